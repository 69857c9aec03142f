// A backend for real traffic in tests: it names itself and echoes what it received, so a test
// can tell where a request was routed and what the proxy did to it. Run inside a test host's
// network namespace:
//   node e2e/support/backend.ts --name NAME --port PORT [--host ADDRESS]
//     [--protocol http1|h2c|grpc] [--tls-cert FILE --tls-key FILE]
// http1: HTTP/1.1 (HTTPS with TLS). h2c: HTTP/2 with prior knowledge and HTTP/1.1 on one port
// (with TLS: h2 or http/1.1 by ALPN). Both answer JSON and accept websocket upgrades, echoing
// each message prefixed with "NAME: ". grpc: the Echo service of echo.proto.
// What a request asks for, for conformance scenarios: ?status=N answers N, ?delay=MS answers
// after MS milliseconds, and /stream?chunks=N&interval=MS sends N lines MS apart.
import { Server as GrpcServer, ServerCredentials, type Metadata, type handleBidiStreamingCall, type handleUnaryCall } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { createSecureServer as createH2Server, createServer as createH2cServer, type Http2ServerRequest } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { WebSocketServer, type RawData } from 'ws';
import { echoService, type EchoReply, type EchoRequest } from './echo-service.ts';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'backend' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '0.0.0.0' },
    protocol: { type: 'string', default: 'http1' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
const name = values.name;
const protocol = values.protocol;
if (protocol !== 'http1' && protocol !== 'h2c' && protocol !== 'grpc') fail(`unknown --protocol ${protocol}: expected http1, h2c or grpc`);
if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together');
const tls = values['tls-cert'] && values['tls-key'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined;

/** Requests being answered and websockets open: SIGTERM waits for them (briefly). */
let inFlight = 0;
const settled: Array<() => void> = [];
function begin(): void {
  inFlight += 1;
}
function finish(): void {
  inFlight -= 1;
  if (inFlight === 0) for (const resolve of settled.splice(0)) resolve();
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function ready(port: number): void {
  // The test host helper waits for this line.
  process.stdout.write(`listening ${values.host}:${port}\n`);
}

// --- HTTP/1.1 and HTTP/2, through node's HTTP/2 compatibility API, which gives both one shape.

/** What the handler uses of a response, common to HTTP/1 and HTTP/2 responses. */
interface Reply {
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  write(chunk: string): unknown;
  end(chunk: string): unknown;
  once(event: 'close', listener: () => void): unknown;
}

function handle(request: IncomingMessage | Http2ServerRequest, response: Reply): void {
  begin();
  let closed = false;
  response.once('close', () => {
    closed = true;
    finish();
  });
  answer(request, response, () => closed).catch((error: unknown) => {
    process.stderr.write(`answering ${request.url ?? ''}: ${String(error)}\n`);
  });
}

async function answer(request: IncomingMessage | Http2ServerRequest, response: Reply, isClosed: () => boolean): Promise<void> {
  const body = await readAll(request);
  const url = new URL(request.url ?? '/', 'http://backend');
  const status = Number(url.searchParams.get('status') ?? 200);
  const delay = Number(url.searchParams.get('delay') ?? 0);
  const chunks = Number(url.searchParams.get('chunks') ?? 3);
  const interval = Number(url.searchParams.get('interval') ?? 100);
  if (!Number.isInteger(status) || status < 200 || status > 599 || ![delay, chunks, interval].every((value) => value >= 0)) {
    // Rather than a thrown RangeError and a request left hanging.
    response.writeHead(400, { 'content-type': 'text/plain', 'x-backend': name });
    response.end('status must be 200-599; delay, chunks and interval numbers >= 0\n');
    return;
  }
  if (delay > 0) await sleep(delay);
  if (isClosed()) return;
  if (url.pathname === '/stream') {
    response.writeHead(status, { 'content-type': 'text/plain', 'x-backend': name });
    for (let chunk = 1; chunk <= chunks && !isClosed(); chunk += 1) {
      if (chunk > 1) await sleep(interval);
      response.write(`${name} chunk ${chunk}\n`);
    }
    if (!isClosed()) response.end('');
    return;
  }
  // For HTTP/2 this is a proxy of the connection's socket, which answers reads of its properties.
  const socket = request.socket;
  const echo = {
    backend: name,
    httpVersion: request.httpVersion,
    method: request.method,
    path: request.url,
    headers: request.headers,
    body,
    remoteAddress: socket.remoteAddress,
    tls: tls ? tlsEcho(socket as TLSSocket) : undefined,
  };
  // Knative's data-plane contract, as its queue-proxy keeps it: a probe gets its hash back.
  const probeHash = request.headers['k-network-probe'] === 'probe' ? request.headers['k-network-hash'] : undefined;
  response.writeHead(status, { 'content-type': 'application/json', 'x-backend': name, ...(typeof probeHash === 'string' ? { 'k-network-hash': probeHash } : {}) });
  response.end(JSON.stringify(echo));
}

/** What the client chose in the handshake: the name it asked for (SNI), the ALPN protocol, the TLS version. */
function tlsEcho(socket: TLSSocket): { servername: string | false | null; alpnProtocol: string | false | null; version: string | null } {
  return { servername: socket.servername, alpnProtocol: socket.alpnProtocol, version: socket.getProtocol() };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

const websockets = new WebSocketServer({ noServer: true });
websockets.on('connection', (socket) => {
  begin();
  socket.once('close', finish);
  socket.on('message', (data, isBinary) => {
    socket.send(Buffer.concat([Buffer.from(`${name}: `), asBuffer(data)]), { binary: isBinary });
  });
});

function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
  websockets.handleUpgrade(request, socket, head, (websocket) => websockets.emit('connection', websocket, request));
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * No idle timeout on HTTP/1.1 connections (node's default is 5 s), as HTTP/2 has none: a proxy
 * that pools connections for longer could send a request on one as the backend closes it,
 * and answer 503 for a backend that was fine.
 */
const keepAliveTimeout = 0;

function serveHttp(): void {
  let listener: TcpServer;
  if (protocol === 'http1') {
    const server = tls ? createHttpsServer({ ...tls, keepAliveTimeout }, handle) : createHttpServer({ keepAliveTimeout }, handle);
    server.on('upgrade', upgrade);
    listener = server;
  } else if (tls) {
    // ALPN picks h2 or http/1.1; websocket upgrades arrive on the HTTP/1.1 connections.
    const server = createH2Server({ ...tls, allowHTTP1: true, http1Options: { keepAliveTimeout } }, handle);
    server.on('upgrade', upgrade);
    listener = server;
  } else {
    listener = cleartextHttp1AndHttp2();
  }
  listener.listen(Number(values.port), values.host, () => {
    const address = listener.address();
    ready(typeof address === 'object' && address ? address.port : Number(values.port));
  });
  process.once('SIGTERM', () => {
    listener.close();
    for (const websocket of websockets.clients) websocket.close(1001, 'backend stopping');
    void drained().then(() => process.exit(0));
  });
}

/**
 * HTTP/2 with prior knowledge and HTTP/1.1 on one cleartext port. node's allowHTTP1 works
 * only for TLS (where ALPN chooses), so this looks at a connection's first bytes: HTTP/2's
 * preface starts "PRI * HTTP/2.0", which no HTTP/1 request line does.
 */
function cleartextHttp1AndHttp2(): TcpServer {
  const http1 = createHttpServer({ keepAliveTimeout }, handle);
  http1.on('upgrade', upgrade);
  const http2 = createH2cServer(handle);
  const preface = Buffer.from('PRI * HTTP/2.0');
  return createTcpServer((socket) => {
    let seen = Buffer.alloc(0);
    const sniff = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const length = Math.min(seen.length, preface.length);
      const isHttp2 = seen.subarray(0, length).equals(preface.subarray(0, length));
      if (isHttp2 && length < preface.length) return; // too few bytes to tell yet
      socket.off('data', sniff);
      socket.pause();
      socket.unshift(seen);
      (isHttp2 ? http2 : http1).emit('connection', socket);
      // The HTTP/1 server reads through 'data' events, which the pause above stopped.
      if (!isHttp2) socket.resume();
    };
    socket.on('data', sniff);
    socket.on('error', () => {}); // a client that resets before sending is no error of ours
  });
}

/** Resolves when nothing is in flight, or after 2 s: a stopping backend does not wait on a stuck client. */
function drained(): Promise<void> {
  if (inFlight === 0) return Promise.resolve();
  return Promise.race([new Promise<void>((resolve) => settled.push(resolve)), sleep(2_000)]);
}

// --- gRPC

function serveGrpc(): void {
  const service = echoService();
  const reply = (request: EchoRequest, metadata: Metadata, authority: string): EchoReply => ({
    backend: name,
    message: request.message,
    authority,
    metadata: Object.fromEntries(Object.entries(metadata.getMap()).map(([key, value]) => [key, typeof value === 'string' ? value : value.toString('base64')])),
  });
  const unary: handleUnaryCall<EchoRequest, EchoReply> = (call, callback) => {
    callback(null, reply(call.request, call.metadata, call.getHost()));
  };
  const chat: handleBidiStreamingCall<EchoRequest, EchoReply> = (call) => {
    call.on('data', (request: EchoRequest) => call.write(reply(request, call.metadata, call.getHost())));
    call.on('end', () => call.end());
  };
  const server = new GrpcServer();
  server.addService(service.definition, { Unary: unary, Chat: chat });
  const credentials = tls ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]) : ServerCredentials.createInsecure();
  server.bindAsync(`${values.host}:${values.port}`, credentials, (error, port) => {
    if (error) fail(`binding ${values.host}:${values.port}: ${error.message}`);
    ready(port);
  });
  process.once('SIGTERM', () => {
    // Calls in flight may finish, for 2 s at most.
    setTimeout(() => process.exit(0), 2_000).unref();
    server.tryShutdown(() => process.exit(0));
  });
}

// Last, once every constant above is initialized.
if (protocol === 'grpc') serveGrpc();
else serveHttp();
