// What single routes ask of Envoy, through the real Envoy: the translation of CORS, source
// ranges, rate limits, body size limits, a route's own authorization service, path rewrites,
// retries, idle timeouts and redirects that drop the query, each filter off in the connection
// manager until a route's own settings turn it on; and the filters' order, which decides what
// a refusal carries. A static Envoy on loopback, a backend and an
// authorization service in this process; no Kubernetes.
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayIR, RouteIR } from '../../xds/ir.ts';
import { translate } from '../../xds/translate.ts';
import { startEnvoy, staticBootstrapOf, type EnvoyProcess } from '../support/envoy.ts';
import { sendRequest } from '../support/http.ts';
import { freePort } from '../support/processes.ts';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  bytes: number;
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('route policies through the real Envoy', function () {
  this.timeout(60_000);
  let envoy: EnvoyProcess | undefined;
  let port = 0;
  const servers: Server[] = [];
  const checks: Seen[] = [];
  /** Requests the backend saw, by path without the query. */
  const tries = new Map<string, number>();

  const route = (path: string, settings: Partial<RouteIR>): RouteIR => ({ segmentPrefix: path, forward: { clusters: [{ cluster: 'backend', weight: 1 }] }, ...settings });
  const get = (path: string, options: Parameters<typeof sendRequest>[1] = {}) => sendRequest(`http://127.0.0.1:${port}${path}`, { ...options, headers: { host: 'app.example.com', ...options.headers } });

  before(async () => {
    const backend = await listen((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        const path = new URL(request.url ?? '/', 'http://backend').pathname;
        tries.set(path, (tries.get(path) ?? 0) + 1);
        // The first try of /flaky fails as an overloaded backend does.
        if (path === '/flaky' && tries.get(path) === 1) return void response.writeHead(503).end();
        const delay = Number(new URL(request.url ?? '/', 'http://backend').searchParams.get('delay') ?? 0);
        setTimeout(() => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ method: request.method, path: request.url, headers: request.headers, bytes }));
        }, delay);
      });
    });
    // Allows a request whose x-allow is yes, and names the user for the backend.
    const authorization = await listen((request, response) => {
      checks.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers as Record<string, string>, bytes: 0 });
      if (request.headers['x-allow'] === 'yes') response.writeHead(200, { 'x-user': 'alice' }).end();
      else response.writeHead(403, { 'content-type': 'text/plain' }).end('denied by the route\'s service\n');
    });
    servers.push(backend.server, authorization.server);
    port = await freePort();
    const cors = { allowOrigins: ['https://app.example.com', 'https://*.example.org'], allowMethods: ['GET', 'POST'], allowHeaders: ['content-type'], allowCredentials: true, maxAgeSeconds: 600 };
    const service = {
      cluster: 'authz', protocol: 'http' as const, uri: `http://127.0.0.1:${authorization.port}`, pathPrefix: '/verify',
      failureModeAllow: false, timeoutSeconds: 5, maxRequestBytes: 0, packAsBytes: false, allowedHeaders: ['x-allow'], upstreamHeaders: ['x-user'],
    };
    const ir: GatewayIR = {
      listeners: [{ name: 'listener', address: '127.0.0.1', port, routeConfigName: 'routes', statPrefix: 'listener' }],
      routeConfigs: [{
        name: 'routes',
        virtualHosts: [{
          name: 'app',
          domains: ['app.example.com'],
          routes: [
            route('/cors', { cors }),
            route('/others-only', { sourceRanges: ['198.18.0.0/24'] }),
            route('/loopback-only', { sourceRanges: ['127.0.0.0/8', '::1/128'] }),
            route('/limited', { rateLimit: { requestsPerSecond: 1, burst: 2, status: 503 } }),
            route('/small', { maxRequestBytes: 1024 }),
            route('/guarded', { cors, sourceRanges: ['198.18.0.0/24'] }),
            route('/guarded-limited', { cors, rateLimit: { requestsPerSecond: 1, burst: 1 } }),
            route('/guarded-small', { cors, maxRequestBytes: 16 }),
            route('/whole', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], pathRewrite: { full: '/static\\index.html' } } }),
            route('/flaky', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], retry: { attempts: 2, retryOn: ['retriable-status-codes'], statusCodes: [503], backoffSeconds: 0.01 } } }),
            route('/slow', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], idleTimeoutSeconds: 1 } }),
            { regex: '(?i)(?:/something(/|$)(.*)).*', forward: { clusters: [{ cluster: 'backend', weight: 1 }], pathRewrite: { regex: '(?i)^(?:/something(/|$)(.*)).*', substitution: '/\\2' } } },
            route('/strip', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], pathRewrite: { prefix: '/' } } }),
            route('/old-api', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], pathRewrite: { prefix: '/v2' } } }),
            route('/patient', { forward: { clusters: [{ cluster: 'backend', weight: 1 }], retry: { attempts: 0, perTryIdleTimeoutSeconds: 1 } } }),
            route('/checked', { authorization: { name: 'authz', service } }),
            { exact: '/moved', redirect: { scheme: 'https', host: 'new.example.com', path: { full: '/landing' }, status: 308, stripQuery: true } },
            route('/', {}),
          ],
        }],
      }],
      clusters: [
        { name: 'backend', connectTimeoutSeconds: 1, endpoints: [{ address: '127.0.0.1', port: backend.port }] },
        { name: 'authz', connectTimeoutSeconds: 1, endpoints: [{ address: '127.0.0.1', port: authorization.port }] },
      ],
    };
    const bootstrap = JSON.parse(staticBootstrapOf(translate(ir))) as Record<string, unknown>;
    envoy = await startEnvoy(JSON.stringify({ ...bootstrap, admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } } }));
  });

  after(async () => {
    await envoy?.stop();
    for (const server of servers) server.close();
  });

  it('answers a CORS preflight from an allowed origin, wildcards included, and not one from another', async () => {
    const preflight = (origin: string) => get('/cors/items', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight('https://shop.example.org');
    expect(allowed.headers['access-control-allow-origin']).to.equal('https://shop.example.org');
    expect(allowed.headers['access-control-allow-methods']).to.equal('GET, POST');
    expect(allowed.headers['access-control-allow-credentials']).to.equal('true');
    expect(allowed.headers['access-control-max-age']).to.equal('600');
    expect((await preflight('https://evil.example.net')).headers['access-control-allow-origin']).to.equal(undefined);
    const plain = await get('/', { headers: { origin: 'https://app.example.com' } });
    expect(plain.headers['access-control-allow-origin'], 'a route without CORS adds none').to.equal(undefined);
  });

  it('answers preflights before the address check and the rate limit, and gives their refusals the CORS headers', async () => {
    const origin = 'https://app.example.com';
    for (const path of ['/guarded', '/guarded-limited']) {
      const preflight = await get(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(preflight.status, path).to.equal(200);
      expect(preflight.headers['access-control-allow-origin'], path).to.equal(origin);
    }
    const outside = await get('/guarded', { headers: { origin } });
    expect(outside.status).to.equal(403);
    expect(outside.headers['access-control-allow-origin'], 'a browser can read the 403').to.equal(origin);
    const statuses: number[] = [];
    for (let request = 0; request < 3; request++) {
      const answer = await get('/guarded-limited', { headers: { origin } });
      statuses.push(answer.status);
      expect(answer.headers['access-control-allow-origin'], `answer ${request}`).to.equal(origin);
    }
    expect(statuses).to.include(429);
    const large = await get('/guarded-small', { method: 'POST', body: 'x'.repeat(100), headers: { origin } });
    expect(large.status).to.equal(413);
    expect(large.headers['access-control-allow-origin']).to.equal(origin);
  });

  it('refuses clients outside a route\'s source ranges with 403', async () => {
    expect((await get('/others-only')).status).to.equal(403);
    expect((await get('/loopback-only')).status).to.equal(200);
  });

  it('limits a route to its rate, answering the status it names', async () => {
    const statuses: number[] = [];
    for (let request = 0; request < 4; request++) statuses.push((await get('/limited')).status);
    expect(statuses.slice(0, 2)).to.deep.equal([200, 200]);
    expect(statuses.slice(2)).to.include(503);
    expect((await get('/')).status, 'other routes are not limited').to.equal(200);
  });

  it('refuses bodies over a route\'s limit with 413 and passes smaller ones', async () => {
    expect((await get('/small', { method: 'POST', body: 'x'.repeat(2000) })).status).to.equal(413);
    const small = await get('/small', { method: 'POST', body: 'x'.repeat(500) });
    expect(small.status).to.equal(200);
    expect((JSON.parse(small.body) as Seen).bytes).to.equal(500);
    expect((await get('/', { method: 'POST', body: 'x'.repeat(5000) })).status, 'other routes take any size').to.equal(200);
  });

  it('rewrites the path by a route\'s expression, groups included, keeping the query', async () => {
    const answer = await get('/Something/new/path?x=1');
    expect((JSON.parse(answer.body) as Seen).path).to.equal('/new/path?x=1');
  });

  it('replaces a segment prefix by whole path elements', async () => {
    const path = async (request: string) => (JSON.parse((await get(request)).body) as Seen).path;
    expect(await path('/strip/page?x=1')).to.equal('/page?x=1');
    expect(await path('/strip')).to.equal('/');
    expect(await path('/old-api/items')).to.equal('/v2/items');
    expect(await path('/old-api')).to.equal('/v2');
  });

  it('replaces the whole path literally, backslashes too, keeping the query', async () => {
    const answer = await get('/whole/page?x=1');
    expect((JSON.parse(answer.body) as Seen).path).to.equal('/static\\index.html?x=1');
  });

  it('retries a status the route names', async () => {
    const answer = await get('/flaky');
    expect(answer.status).to.equal(200);
    expect(tries.get('/flaky')).to.equal(2);
  });

  it('gives 504 when a request of the route goes without bytes longer than its idle timeout', async () => {
    expect((await get('/slow?delay=2500')).status).to.equal(504);
    expect((await get('/slow?delay=200')).status).to.equal(200);
  });

  it('gives 504 when the backend is silent longer than the per-try idle timeout', async () => {
    expect((await get('/patient?delay=2500')).status).to.equal(504);
    expect((await get('/patient?delay=200')).status).to.equal(200);
  });

  it('checks a route with its own authorization service: allowed with its header copied upstream, denied with its answer', async () => {
    const denied = await get('/checked/page');
    expect(denied.status).to.equal(403);
    expect(denied.body).to.contain('denied by the route\'s service');
    const allowed = await get('/checked/page', { headers: { 'x-allow': 'yes' } });
    expect(allowed.status).to.equal(200);
    expect((JSON.parse(allowed.body) as Seen).headers['x-user']).to.equal('alice');
    expect(checks.at(-1)?.path).to.equal('/verify/checked/page');
    const before = checks.length;
    expect((await get('/')).status, 'other routes are not checked').to.equal(200);
    expect(checks.length).to.equal(before);
  });

  it('redirects without the request\'s query when asked', async () => {
    const answer = await get('/moved?from=old');
    expect(answer.status).to.equal(308);
    expect(answer.headers.location).to.equal('https://new.example.com/landing');
  });
});
