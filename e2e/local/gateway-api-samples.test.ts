// samples/gateway-api/ as a user applies them, with kubectl, as they are: the installation that
// keeps the GatewayClass, one Gateway with HTTP and HTTPS listeners on one load-balancer
// address, the cert-manager-shaped certificate Secret, and the routes of two namespaces — the
// split, the header filter, another team's host, a gRPC service — each answering through that
// address; and a TLS passthrough Gateway of its own, its backend ending TLS. The gRPC and TLS
// backends are the Gateway API's echo server, run as pods by the test bed.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installCrds, kubectl, kubectlOk, localCluster, namespaceGone } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { installGatewayApiCrds, type GatewayStatus } from '../support/gateway-api.ts';
import { callGrpcEcho, grpcEchoService } from '../support/echo-basic-grpc.ts';
import { sendRequest, type HttpResponse, type RequestOptions } from '../support/http.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

const samples = fileURLToPath(new URL('../../samples/gateway-api/', import.meta.url));

interface Echo {
  backend: string;
  headers: Record<string, string>;
}

describe('samples/gateway-api/', function () {
  this.timeout(180_000);
  let operator: RunningOperator | undefined;
  let address = '';
  const hosts: TestHost[] = [];
  const certificateOf = (file: string) => /tls\.crt: \|\n((?: {4}.*\n)+)/.exec(readFileSync(`${samples}${file}`, 'utf8'))?.[1]?.replace(/^ {4}/gm, '') ?? '';
  const sampleCa = certificateOf('platform-tls.yaml');
  let passthroughAddress = '';

  const get = (host: string, path: string, options: RequestOptions = {}) => sendRequest(`http://${address}${path}`, { ...options, headers: { host, ...options.headers } });
  const echo = (response: HttpResponse): Echo => {
    expect(response.status, response.body).to.equal(200);
    return JSON.parse(response.body) as Echo;
  };
  const apply = (file: string) => kubectlOk(['apply', '-f', `${samples}${file}`]);
  const startBackend = async (namespace: string, name: string) => {
    const host = await createTestHost();
    hosts.push(host);
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, name, 80, [await host.startBackend(name, 8080)])));
  };

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installGatewayApiCrds();
    operator = await runOperator();
    await apply('installation.yaml');
    await kubectlOk(['wait', '--for=condition=Ready', 'gwi/gateway-api', '--timeout=120s']);
    await apply('namespaces.yaml');
    await startBackend('echo', 'echo-1-echo-server');
    await startBackend('echo', 'echo-2-echo-server');
    await startBackend('observability', 'grafana');
    await apply('platform-tls.yaml');
    await apply('gateway.yaml');
    await apply('echo-routes.yaml');
    await apply('grafana-route.yaml');
    await apply('grpc-echo.yaml');
    await apply('tls-passthrough.yaml');
    await kubectlOk(['wait', '--for=condition=Programmed', 'gateway/platform', '-n', 'infrastructure', '--timeout=120s']);
    await kubectlOk(['wait', '--for=condition=Programmed', 'gateway/passthrough', '-n', 'infrastructure', '--timeout=120s']);
    await kubectlOk(['wait', '--for=condition=Available', 'deployment/grpc-echo', 'deployment/app-tls', '-n', 'echo', '--timeout=180s']);
    passthroughAddress = (JSON.parse(await kubectlOk(['get', 'gateway', 'passthrough', '-n', 'infrastructure', '-o', 'json'])) as GatewayStatus).status?.addresses?.[0]?.value ?? '';
    const status = (JSON.parse(await kubectlOk(['get', 'gateway', 'platform', '-n', 'infrastructure', '-o', 'json'])) as GatewayStatus).status;
    address = status?.addresses?.[0]?.value ?? '';
    await eventually('the routes to answer', async () => ((await get('echo.platform.example.com', '/')).status === 200 ? true : undefined), 60_000, 200);
  });

  after(async () => {
    await kubectl(['delete', '-f', `${samples}tls-passthrough.yaml`, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kubectl(['delete', '-f', `${samples}gateway.yaml`, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kubectl(['delete', '-f', `${samples}installation.yaml`, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kubectl(['delete', '-f', `${samples}namespaces.yaml`, '--ignore-not-found', '--wait=false']);
    for (const namespace of ['infrastructure', 'echo', 'observability']) await namespaceGone(namespace).catch(() => undefined);
    await operator?.stop();
    for (const host of hosts) await host.destroy();
  });

  it('installation.yaml keeps the GatewayClass, and its Service patch annotates the Service the Gateway generated', async () => {
    await kubectlOk(['wait', '--for=condition=Accepted', 'gatewayclass/portico', '--timeout=60s']);
    const services = JSON.parse(await kubectlOk(['get', 'services', '-n', 'infrastructure', '-l', 'gateway.networking.k8s.io/gateway-name=platform', '-o', 'json'])) as { items: Array<{ metadata: { annotations?: Record<string, string> }; spec: { ports: Array<{ port: number }> } }> };
    expect(services.items).to.have.length(1);
    expect(services.items[0]?.metadata.annotations).to.include({ 'external-dns.alpha.kubernetes.io/hostname': '*.platform.example.com' });
    expect(services.items[0]?.spec.ports.map((port) => port.port)).to.deep.equal([80, 443]);
  });

  it('gateway.yaml: both listeners on one address take the routes of both allowed namespaces', async () => {
    const status = (JSON.parse(await kubectlOk(['get', 'gateway', 'platform', '-n', 'infrastructure', '-o', 'json'])) as GatewayStatus).status;
    expect(status?.listeners?.map((listener) => [listener.name, listener.attachedRoutes])).to.deep.equal([['http', 4], ['https', 4]]);
    expect(echo(await get('grafana.platform.example.com', '/')).backend).to.equal('grafana');
    expect((await get('grafana.elsewhere.example.com', '/')).status).to.equal(404);
  });

  it('platform-tls.yaml: the HTTPS listener serves the Secret\'s certificate by SNI', async () => {
    const response = await sendRequest(`https://${address}/`, { headers: { host: 'grafana.platform.example.com' }, tls: { servername: 'grafana.platform.example.com', ca: sampleCa } });
    expect(echo(response).backend).to.equal('grafana');
    expect(response.tls?.certificate.subject.CN).to.equal('*.platform.example.com');
  });

  it('echo-routes.yaml: split-echo goes 95/5 to echo-1 and echo-2, and /req-header-add reaches echo-1 with foo: bar', async () => {
    const counts = new Map<string, number>();
    for (let request = 0; request < 400; request++) {
      const backend = echo(await get('split-echo.platform.example.com', '/')).backend;
      counts.set(backend, (counts.get(backend) ?? 0) + 1);
    }
    // 5% of 400 is 20; a count outside this range happens about three times in a million runs.
    expect(counts.get('echo-2-echo-server') ?? 0).to.be.within(4, 45);
    expect((counts.get('echo-1-echo-server') ?? 0) + (counts.get('echo-2-echo-server') ?? 0)).to.equal(400);
    const added = echo(await get('echo.platform.example.com', '/req-header-add'));
    expect(added.backend).to.equal('echo-1-echo-server');
    expect(added.headers).to.include({ foo: 'bar' });
    expect(echo(await get('echo.platform.example.com', '/')).headers).to.not.have.property('foo');
  });

  it('grpc-echo.yaml: calls of the echo service reach its pod over HTTP/2, in clear text and over TLS, with the route\'s header; other services get UNIMPLEMENTED', async () => {
    const authority = 'grpc.platform.example.com';
    const answer = await eventually('the gRPC service to answer', async () => callGrpcEcho(`${address}:80`, 'Echo', { authority }).catch(() => undefined), 60_000, 500);
    expect(answer.context.pod).to.match(/^grpc-echo-/);
    expect(answer.context.namespace).to.equal('echo');
    expect(answer.fullyQualifiedMethod).to.equal(`/${grpcEchoService}/Echo`);
    expect(answer.authority).to.equal(authority);
    expect(answer.headers).to.deep.include({ key: 'x-served-by', value: 'portico' });
    const secure = await callGrpcEcho(`${address}:443`, 'EchoTwo', { authority, tls: { ca: sampleCa } });
    expect(secure.fullyQualifiedMethod).to.equal(`/${grpcEchoService}/EchoTwo`);
    expect(secure.context.pod).to.match(/^grpc-echo-/);
    // 12 is UNIMPLEMENTED: from the echo server for its unimplemented method, from Envoy (no route) for another service.
    const failed = (call: Promise<unknown>) => call.then(() => undefined, (error: unknown) => (error as { code?: number }).code);
    expect(await failed(callGrpcEcho(`${address}:80`, 'EchoThree', { authority }))).to.equal(12);
    expect(await failed(callGrpcEcho(`${address}:80`, 'Echo', { authority: 'other.platform.example.com' }))).to.equal(12);
  });

  it('tls-passthrough.yaml: the TLS listener passes app.secure.example.com to its backend, which ends TLS with its own certificate; other names are not let through', async () => {
    const servername = 'app.secure.example.com';
    const response = await eventually('the passthrough route to answer', async () => sendRequest(`https://${passthroughAddress}/`, { headers: { host: servername }, tls: { servername, ca: certificateOf('tls-passthrough.yaml') } }).catch(() => undefined), 60_000, 500);
    expect(response.status, response.body).to.equal(200);
    expect(response.tls?.certificate.subject.CN).to.equal(servername);
    expect((JSON.parse(response.body) as { pod: string }).pod).to.match(/^app-tls-/);
    const refused = await sendRequest(`https://${passthroughAddress}/`, { headers: { host: 'other.secure.example.com' }, tls: { servername: 'other.secure.example.com', ca: certificateOf('tls-passthrough.yaml') } }).then(() => 'answered', (error: unknown) => String(error));
    expect(refused).to.not.equal('answered');
    const status = (JSON.parse(await kubectlOk(['get', 'gateway', 'passthrough', '-n', 'infrastructure', '-o', 'json'])) as GatewayStatus).status;
    expect(status?.listeners?.map((listener) => [listener.name, listener.attachedRoutes])).to.deep.equal([['tls', 1]]);
  });
});
