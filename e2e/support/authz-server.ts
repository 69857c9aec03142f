// An external authorization service for tests, run inside a test host:
//   node e2e/support/authz-server.ts --protocol grpc|http --port PORT --host ADDRESS [--tls-cert FILE --tls-key FILE]
// It allows a request whose `x-allow` header is `yes` and denies every other one. gRPC
// (envoy.service.auth.v3.Authorization) passes the context extensions it received upstream in
// `x-authz-context`; HTTP answers a denial with the path and headers it was sent, as JSON.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseArgs } from 'node:util';
import { protoIncludeDirs } from '../../xds/protos.ts';

const { values } = parseArgs({
  options: {
    protocol: { type: 'string', default: 'grpc' },
    port: { type: 'string', default: '9000' },
    host: { type: 'string', default: '0.0.0.0' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
const port = Number(values.port);
const tls = values['tls-cert'] && values['tls-key'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined;
const ready = () => process.stdout.write(`listening ${values.host}:${port}\n`);

interface CheckRequest {
  attributes?: { context_extensions?: Record<string, string>; request?: { http?: { headers?: Record<string, string>; body?: string; raw_body?: Buffer } } };
}

if (values.protocol === 'grpc') {
  const definition = loadSync('envoy/service/auth/v3/external_auth.proto', { includeDirs: protoIncludeDirs, keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
  // proto-loader types the service as a plain object; external_auth.proto gives it this shape.
  const service = definition['envoy.service.auth.v3.Authorization'] as unknown as ServiceDefinition;
  const server = new Server();
  server.addService(service, {
    Check: (call: ServerUnaryCall<CheckRequest, object>, callback: sendUnaryData<object>) => {
      const http = call.request.attributes?.request?.http;
      const allowed = http?.headers?.['x-allow'] === 'yes';
      const seen = JSON.stringify({ context: call.request.attributes?.context_extensions ?? {}, bodyBytes: (http?.raw_body?.length ?? 0) + (http?.body?.length ?? 0) });
      callback(null, allowed
        ? { status: { code: 0 }, ok_response: { headers: [{ header: { key: 'x-authz-context', value: seen } }] } }
        : { status: { code: 7 }, denied_response: { status: { code: 403 }, body: `denied by the authorization service ${seen}` } });
    },
  });
  const credentials = tls ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]) : ServerCredentials.createInsecure();
  server.bindAsync(`${values.host}:${port}`, credentials, (error) => {
    if (error) throw error;
    ready();
  });
  process.on('SIGTERM', () => { server.forceShutdown(); process.exit(0); });
} else {
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const allowed = request.headers['x-allow'] === 'yes';
    response.writeHead(allowed ? 200 : 403, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url, headers: request.headers }));
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  server.listen(port, values.host, ready);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
