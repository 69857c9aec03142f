// The ingress-nginx annotations Portico reads, each through the installation's Envoy pod and
// its load-balancer address, as a user migrating from ingress-nginx would check them. The
// README's annotation table is what these tests prove.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../support/certificates.ts';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { grpcUnary, sendRequest, type HttpResponse, type RequestOptions } from '../support/http.ts';
import { createTestHost, type Backend, type BackendOptions, type TestHost } from '../support/netns.ts';
import { eventually } from '../support/processes.ts';

interface Echo {
  backend: string;
  path: string;
  headers: Record<string, string>;
  tls?: { servername: string | false; version: string | null };
}

const prefix = 'nginx.ingress.kubernetes.io/';

describe('ingress-nginx annotations through a real Envoy pod', function () {
  this.timeout(180_000);
  const name = `ann-${randomBytes(3).toString('hex')}`;
  const className = `portico-${name}`;
  let namespace: string;
  let gateway: Gateway | undefined;
  const hosts: TestHost[] = [];
  const certificates = mkdtempSync(join(tmpdir(), 'portico-backend-tls-'));

  const get = (host: string, path: string, options: RequestOptions = {}) => sendRequest(`http://${gateway!.address}${path}`, { ...options, headers: { host, ...options.headers } });
  const echo = (response: HttpResponse): Echo => {
    expect(response.status, response.body).to.equal(200);
    return JSON.parse(response.body) as Echo;
  };
  /** A backend on a test host, behind Service `service` of the test namespace at port 80. */
  const startBackend = async (service: string, start: (host: TestHost) => Promise<Backend>) => {
    const host = await createTestHost();
    hosts.push(host);
    const backend = await start(host);
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, service, 80, [backend])));
  };
  const echoBackend = (service: string, options: BackendOptions = {}) => startBackend(service, (host) => host.startBackend(service, 8080, options));
  /** An Ingress of the class for `host`, every path to `service`, with `annotations` under ingress-nginx's prefix. */
  const applyIngress = async (ingressName: string, host: string, service: string, annotations: Record<string, string>, paths: Array<{ path: string; pathType: string }> = [{ path: '/', pathType: 'Prefix' }]) => {
    const manifest = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: ingressName, namespace, annotations: Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${prefix}${key}`, value])) },
      spec: { ingressClassName: className, rules: [{ host, http: { paths: paths.map((path) => ({ ...path, backend: { service: { name: service, port: { number: 80 } } } })) } }] },
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
  };
  /** Until the host answers as `served` says: the Envoy has the Ingress. */
  const until = async (description: string, served: () => Promise<boolean>) => {
    await eventually(description, async () => ((await served().catch(() => false)) ? true : undefined), 60_000, 200);
  };

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('ann-apps');
    // One Envoy: a rate limit is counted per Envoy.
    gateway = await startGateway(name, { ingress: { className }, knative: { ingressClass: `${name}.ingress.networking.knative.dev` }, envoy: { replicas: 1 } });
    const pair = await selfSignedCertificate(['backend.example.com']);
    writeFileSync(join(certificates, 'tls.crt'), pair.cert);
    writeFileSync(join(certificates, 'tls.key'), pair.key);
    const tls = { cert: join(certificates, 'tls.crt'), key: join(certificates, 'tls.key') };
    await echoBackend('web');
    await echoBackend('next');
    await echoBackend('grpc', { protocol: 'grpc' });
    await echoBackend('grpcs', { protocol: 'grpc', tls });
    await echoBackend('https', { tls });
    await startBackend('auth', (host) => host.startAuthorizationServer('http', 9000));
  });

  after(async () => {
    await gateway?.stop();
    for (const host of hosts) await host.destroy();
    rmSync(certificates, { recursive: true, force: true });
    if (namespace) await deleteNamespace(namespace);
  });

  it('force-ssl-redirect answers plain HTTP with 308 to https, with no TLS on the Ingress', async () => {
    await applyIngress('forced', 'forced.example.com', 'web', { 'force-ssl-redirect': 'true' });
    await until('the redirect', async () => (await get('forced.example.com', '/a?b=c')).status === 308);
    expect((await get('forced.example.com', '/a?b=c')).headers.location).to.equal('https://forced.example.com/a?b=c');
  });

  it('backend-protocol speaks GRPC, GRPCS and HTTPS to the backend', async () => {
    await applyIngress('grpc', 'grpc.example.com', 'grpc', { 'backend-protocol': 'GRPC' });
    await applyIngress('grpcs', 'grpcs.example.com', 'grpcs', { 'backend-protocol': 'GRPCS' });
    await applyIngress('https', 'https.example.com', 'https', { 'backend-protocol': 'HTTPS' });
    const call = (authority: string) => grpcUnary(`${gateway!.address}:80`, 'hello', { authority, deadlineMs: 5_000 });
    await until('gRPC to answer', async () => (await call('grpc.example.com')).backend === 'grpc');
    expect((await call('grpc.example.com')).message).to.contain('hello');
    await until('gRPC over TLS to answer', async () => (await call('grpcs.example.com')).backend === 'grpcs');
    await until('HTTPS to answer', async () => (await get('https.example.com', '/')).status === 200);
    const answer = echo(await get('https.example.com', '/'));
    expect(answer.backend).to.equal('https');
    // TLS to the backend (its SNI, the Service's name, is in the golden files: a resumed session shows none here).
    expect(answer.tls, 'the backend was reached over TLS').to.not.equal(undefined);
  });

  it('rewrite-target replaces the path with the groups of the path\'s expression; use-regex matches paths by expression', async () => {
    await applyIngress('rewrite', 'rewrite.example.com', 'web', { 'rewrite-target': '/$2' }, [{ path: '/something(/|$)(.*)', pathType: 'ImplementationSpecific' }]);
    await applyIngress('regex', 'regex.example.com', 'web', { 'use-regex': 'true' }, [{ path: '/v[0-9]+/items', pathType: 'ImplementationSpecific' }]);
    await until('the rewrite', async () => (await get('rewrite.example.com', '/something/new')).status === 200);
    expect(echo(await get('rewrite.example.com', '/something/new/path?x=1')).path).to.equal('/new/path?x=1');
    expect(echo(await get('rewrite.example.com', '/SOMETHING')).path, 'case-insensitive, as ingress-nginx').to.equal('/');
    expect((await get('rewrite.example.com', '/other')).status).to.equal(404);
    await until('the expression path', async () => (await get('regex.example.com', '/v2/items')).status === 200);
    expect(echo(await get('regex.example.com', '/v12/items/7')).path).to.equal('/v12/items/7');
    expect((await get('regex.example.com', '/vx/items')).status).to.equal(404);
  });

  it('proxy-read-timeout gives 504 when the backend is silent longer; proxy-connect-timeout gives up connecting sooner', async () => {
    await applyIngress('slow', 'slow.example.com', 'web', { 'proxy-read-timeout': '1' });
    await until('the route', async () => (await get('slow.example.com', '/')).status === 200);
    expect((await get('slow.example.com', '/?delay=2500')).status).to.equal(504);
    expect((await get('slow.example.com', '/?delay=100')).status).to.equal(200);
    // An endpoint in the blackholed range never answers a connection.
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, 'unreachable', 80, [{ name: 'unreachable', address: '198.19.0.1', port: 8080 } as Backend])));
    await applyIngress('unreachable', 'unreachable.example.com', 'unreachable', { 'proxy-connect-timeout': '1' });
    await until('the route to be there', async () => (await get('unreachable.example.com', '/')).status === 503);
    const started = Date.now();
    const answer = await get('unreachable.example.com', '/');
    expect(answer.status).to.equal(503);
    expect(answer.body).to.contain('timeout');
    // Envoy's default is 5 s; a generous margin over the 1 s asked for.
    expect(Date.now() - started).to.be.lessThan(4_000);
  });

  it('proxy-body-size refuses larger bodies with 413', async () => {
    await applyIngress('small', 'small.example.com', 'web', { 'proxy-body-size': '1k' });
    await until('the limit', async () => (await get('small.example.com', '/', { method: 'POST', body: 'x'.repeat(2048) })).status === 413);
    expect((await get('small.example.com', '/', { method: 'POST', body: 'x'.repeat(512) })).status).to.equal(200);
  });

  it('whitelist-source-range and allowlist-source-range refuse other clients with 403', async () => {
    // The client's address is the one X-Forwarded-For gives (the installation trusts no hops and does not use the connection's).
    await applyIngress('ranges', 'ranges.example.com', 'web', { 'whitelist-source-range': '198.18.5.0/24' });
    await applyIngress('ranges-new', 'ranges-new.example.com', 'web', { 'allowlist-source-range': '198.18.6.7' });
    const from = (host: string, address: string) => get(host, '/', { headers: { 'x-forwarded-for': address } });
    await until('the ranges', async () => (await from('ranges.example.com', '198.18.9.9')).status === 403);
    expect((await from('ranges.example.com', '198.18.5.20')).status).to.equal(200);
    await until('the allowlist', async () => (await from('ranges-new.example.com', '198.18.6.7')).status === 200);
    expect((await from('ranges-new.example.com', '198.18.6.8')).status).to.equal(403);
  });

  it('enable-cors answers preflights for the allowed origins with ingress-nginx\'s defaults', async () => {
    await applyIngress('cors', 'cors.example.com', 'web', { 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example.com, https://*.example.org' });
    const preflight = (origin: string) => get('cors.example.com', '/api', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT' } });
    await until('the preflight', async () => (await preflight('https://app.example.com')).headers['access-control-allow-origin'] === 'https://app.example.com');
    const answer = await preflight('https://shop.example.org');
    expect(answer.headers['access-control-allow-origin']).to.equal('https://shop.example.org');
    expect(answer.headers['access-control-allow-methods']).to.contain('PUT');
    expect(answer.headers['access-control-allow-credentials']).to.equal('true');
    expect((await preflight('https://elsewhere.example.net')).headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('canary takes the requests whose header says always, none that say never, and its weight of the rest', async () => {
    await applyIngress('main', 'canary.example.com', 'web', {});
    await applyIngress('main-canary', 'canary.example.com', 'next', { canary: 'true', 'canary-weight': '50', 'canary-by-header': 'X-Canary' });
    const backend = async (headers: Record<string, string> = {}) => echo(await get('canary.example.com', '/', { headers })).backend;
    await until('the canary', async () => (await backend({ 'x-canary': 'always' })) === 'next');
    for (let request = 0; request < 5; request++) expect(await backend({ 'x-canary': 'never' })).to.equal('web');
    const seen = new Set<string>();
    for (let request = 0; request < 40; request++) seen.add(await backend());
    expect([...seen].sort()).to.deep.equal(['next', 'web']);
  });

  it('auth-url checks each request with the service: allowed, or its denial returned', async () => {
    await applyIngress('guarded', 'guarded.example.com', 'web', { 'auth-url': `http://auth.${namespace}.svc.cluster.local/check` });
    await until('the check', async () => (await get('guarded.example.com', '/page')).status === 403);
    const denied = await get('guarded.example.com', '/page');
    expect((JSON.parse(denied.body) as { path: string }).path, 'the service is asked at its path and the request\'s').to.equal('/check/page');
    expect(echo(await get('guarded.example.com', '/page', { headers: { 'x-allow': 'yes', authorization: 'Bearer t' } })).backend).to.equal('web');
  });

  it('permanent-redirect answers with its code and URL', async () => {
    await applyIngress('moved', 'moved.example.com', 'web', { 'permanent-redirect': 'https://new.example.com/landing', 'permanent-redirect-code': '308' });
    await until('the redirect', async () => (await get('moved.example.com', '/old?x=1')).status === 308);
    expect((await get('moved.example.com', '/old?x=1')).headers.location).to.equal('https://new.example.com/landing');
  });

  it('limit-rps answers 503 past the rate and its burst', async () => {
    await applyIngress('limited', 'limited.example.com', 'web', { 'limit-rps': '1', 'limit-burst-multiplier': '2' });
    await until('the route', async () => (await get('limited.example.com', '/')).status !== 404);
    const statuses: number[] = [];
    for (let request = 0; request < 8; request++) statuses.push((await get('limited.example.com', '/')).status);
    expect(statuses).to.include(503);
    expect(statuses.filter((status) => status === 200).length).to.be.within(1, 4);
  });
});
