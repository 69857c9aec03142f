// A backend for real traffic in tests: an HTTP server that answers every request with
// JSON naming itself and echoing what it received. Run inside a test host's network
// namespace: node e2e/support/backend.ts --name NAME --port PORT [--host ADDRESS]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'backend' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '0.0.0.0' },
  },
});

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.stringify({
      backend: values.name,
      method: request.method,
      path: request.url,
      headers: request.headers,
      body: Buffer.concat(chunks).toString(),
      remoteAddress: request.socket.remoteAddress,
    });
    response.writeHead(200, { 'content-type': 'application/json', 'x-backend': values.name }).end(body);
  });
});

server.listen(Number(values.port), values.host, () => {
  // The test host helper waits for this line.
  process.stdout.write(`listening ${values.host}:${values.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
