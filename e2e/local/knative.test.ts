// Knative's ingress conformance scenarios, through the real Envoys of a gateway the operator
// installed and programs (its own Deployment's pods on the test bed, reached through its
// load balancer): KIngresses of the installation's class, Services whose EndpointSlices point
// at echo backends in test hosts, and requests that name their host.
import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { ingressHash } from '../../operator/sources/knative/hash.ts';
import type { HTTPIngressPath, IngressRule, IngressSpec, KnativeIngress } from '../../operator/sources/knative/types.ts';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { grpcUnary, sendHttp2, sendRequest, websocketExchange, type HttpResponse, type TlsOptions } from '../support/http.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { gauge } from '../support/installations.ts';
import { installKnativeCrds } from '../support/knative.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { eventually } from '../support/processes.ts';

interface Echo {
  backend: string;
  path: string;
  headers: Record<string, string>;
}

describe('Knative ingress through real Envoy pods', function () {
  this.timeout(180_000);
  const name = `kn-${randomBytes(3).toString('hex')}`;
  const ingressClass = `${name}.ingress.networking.knative.dev`;
  let namespace: string;
  let gateway: Gateway | undefined;
  const hosts: TestHost[] = [];
  const backends: Record<string, Backend> = {};

  const kingress = 'ingresses.networking.internal.knative.dev';
  const external = (path: string, host: string, headers: Record<string, string> = {}) =>
    sendRequest(`http://${gateway!.endpoint('externalHTTP')}${path}`, { headers: { host, ...headers } });
  const internal = (path: string, host: string, headers: Record<string, string> = {}) =>
    sendRequest(`http://${gateway!.endpoint('internalHTTP')}${path}`, { headers: { host, ...headers } });
  const secure = (path: string, host: string, tls: TlsOptions = {}) =>
    sendRequest(`https://${gateway!.endpoint('externalHTTPS')}${path}`, { headers: { host }, tls: { servername: host, rejectUnauthorized: false, ...tls } });
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const echo = (response: HttpResponse): Echo => {
    expect(response.status, response.body).to.equal(200);
    return JSON.parse(response.body) as Echo;
  };

  /** A Service `service` in the test namespace whose endpoints are `backend`'s, its port named `portName`. */
  const service = async (service: string, backend: string, portName = 'http') => {
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, service, 80, [backends[backend]!], portName)));
  };
  /** A backend of its own on a new test host. */
  const startBackend = async (backend: string, protocol: 'http1' | 'h2c' | 'grpc' = 'http1') => {
    const host = await createTestHost();
    hosts.push(host);
    backends[backend] = await host.startBackend(backend, 8080, { protocol });
  };

  const split = (serviceName: string, percent?: number, appendHeaders?: Record<string, string>) => ({
    serviceNamespace: namespace,
    serviceName,
    servicePort: 80,
    ...(percent === undefined ? {} : { percent }),
    ...(appendHeaders ? { appendHeaders } : {}),
  });
  const rule = (ruleHosts: string[], paths: HTTPIngressPath[], visibility: IngressRule['visibility'] = 'ExternalIP'): IngressRule => ({ hosts: ruleHosts, visibility, http: { paths } });

  /** Applies a KIngress of the installation's class (or `ingressClassName`). */
  const applyIngress = async (ingressName: string, spec: IngressSpec, ingressClassName = ingressClass) => {
    const manifest: KnativeIngress = {
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: { name: ingressName, namespace, annotations: { 'networking.knative.dev/ingress.class': ingressClassName } },
      spec,
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
  };
  const getIngress = async (ingressName: string) => JSON.parse(await kubectlOk(['get', kingress, ingressName, '-n', namespace, '-o', 'json'])) as KnativeIngress;
  const condition = async (ingressName: string, type: string) => (await getIngress(ingressName)).status?.conditions?.find((candidate) => candidate.type === type);
  const waitReady = async (ingressName: string) => {
    await kubectlOk(['wait', '--for=condition=Ready', `${kingress}/${ingressName}`, '-n', namespace, '--timeout=60s']);
  };
  /**
   * True once `check` holds for several connections in a row: the load balancer spreads
   * connections over the Envoys in turn, and a change has taken effect when every Envoy shows it.
   */
  const onEveryEnvoy = async (check: () => Promise<boolean>) => {
    for (let connection = 0; connection < 4; connection++) if (!(await check())) return undefined;
    return true;
  };
  /** The installation's Envoy pods as `kubectl get pods` shows them: name, uid and container restarts. */
  const envoyPods = async () => {
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-n', gateway!.namespace, '-l', `portico.dev/installation=${name},app.kubernetes.io/component=gateway`, '-o', 'json'])) as {
      items: Array<{ metadata: { name: string; uid: string }; status?: { containerStatuses?: Array<{ name: string; restartCount: number }> } }>;
    };
    return pods.items.map((pod) => `${pod.metadata.name} ${pod.metadata.uid} ${(pod.status?.containerStatuses ?? []).map((container) => `${container.name}=${container.restartCount}`).join(',')}`).sort();
  };
  const pushes = async (type: string) => gauge((await gateway!.operator.process.get('/metrics')).body, `portico_xds_pushes_total{installation="${name}",type="${type}"}`) ?? 0;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installKnativeCrds();
    namespace = await createNamespace('kn-apps');
    gateway = await startGateway(name, { knative: { ingressClass } });
    for (const backend of ['blue', 'green']) await startBackend(backend);
    await service('blue', 'blue');
    await service('green', 'green');
  });

  after(async () => {
    if (process.env.PORTICO_DEBUG) process.stderr.write(gateway?.operator.process.output.text() ?? '');
    await kubectl(['delete', kingress, '--all', '-n', namespace, '--wait=true', '--timeout=60s']);
    await gateway?.stop();
    for (const host of hosts) await host.destroy();
    await deleteNamespace(namespace);
  });

  it('basics: serves a host once its KIngress is Ready, and says where in status', async () => {
    await applyIngress('basics', { rules: [rule(['basics.example.com'], [{ splits: [split('blue')] }])] });
    await waitReady('basics');
    expect(echo(await external('/', 'basics.example.com')).backend).to.equal('blue');
    expect(echo(await external('/', 'basics.example.com:80')).backend).to.equal('blue');
    expect((await external('/', 'unknown.example.com')).status).to.equal(404);
    const ingress = await getIngress('basics');
    expect(ingress.status?.publicLoadBalancer?.ingress?.[0]?.domainInternal).to.equal(`kourier.gw-${name}.svc.cluster.local`);
    expect(ingress.status?.privateLoadBalancer?.ingress?.[0]?.domainInternal).to.equal(`kourier-internal.gw-${name}.svc.cluster.local`);
    expect(ingress.status?.observedGeneration).to.equal(ingress.metadata?.generation);
    const balanced = ingress.status?.conditions?.find((candidate) => candidate.type === 'LoadBalancerReady');
    // Every Envoy pod of the installation (two replicas by default) holds it.
    const envoys = (await gateway!.podIPs()).length;
    expect(envoys).to.equal(2);
    expect(balanced).to.include({ status: 'True', message: `${envoys}/${envoys} proxies serve this version of the KIngress.` });
  });

  it('headers/probe: the gateway answers Knative\'s probe with the KIngress\'s hash', async () => {
    const ingress = await getIngress('basics');
    const response = await external('/healthz', 'basics.example.com', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'override' });
    expect(response.status).to.equal(200);
    expect(response.headers['k-network-hash']).to.equal(ingressHash(ingress));
  });

  it('headers/probe: a probe with its own hash passes through to the backend, which answers it', async () => {
    const hash = '2701a1b241db6af811992c57a5e11171847148ac3d2e1a8cc992a62f9e4fa111';
    const response = await external('/healthz', 'basics.example.com', { 'K-Network-Probe': 'probe', 'K-Network-Hash': hash });
    expect(response.status).to.equal(200);
    expect(response.headers['k-network-hash']).to.equal(hash);
    expect(response.headers['x-backend']).to.equal('blue');
  });

  it('path and percentage: each path splits by its own percentages', async () => {
    await applyIngress('path-percent', {
      rules: [rule(['path-percent.example.com'], [
        { path: '/split/', splits: [split('blue', 50, { 'X-Split': 'blue' }), split('green', 50, { 'X-Split': 'green' })] },
        { splits: [split('blue')] },
      ])],
    });
    await waitReady('path-percent');
    const answers = await Promise.all(Array.from({ length: 100 }, () => external('/split/x', 'path-percent.example.com')));
    const green = answers.filter((answer) => echo(answer).backend === 'green').length;
    expect(Math.abs(green - 50), `${green}/100 to green`).to.be.at.most(20);
    for (let index = 0; index < 10; index++) expect(echo(await external('/other', 'path-percent.example.com')).backend).to.equal('blue');
  });

  it('visibility/split and visibility/path: a ClusterLocal rule with paths and splits, internal only', async () => {
    await applyIngress('local-paths', {
      rules: [rule(['local-paths.kn-apps.svc.cluster.local'], [
        { path: '/green/', splits: [split('green')] },
        { splits: [split('blue', 50), split('green', 50)] },
      ], 'ClusterLocal')],
    });
    await waitReady('local-paths');
    expect((await external('/green/', 'local-paths.kn-apps.svc.cluster.local')).status).to.equal(404);
    expect(echo(await internal('/green/x', 'local-paths.kn-apps')).backend).to.equal('green');
    const seen = new Set<string>();
    for (let index = 0; index < 40 && seen.size < 2; index++) seen.add(echo(await internal('/', 'local-paths.kn-apps.svc')).backend);
    expect([...seen].sort()).to.deep.equal(['blue', 'green']);
  });

  it('headers: path-level and split-level headers replace what the client sent', async () => {
    await applyIngress('headers', {
      rules: [rule(['headers.example.com'], [{ appendHeaders: { 'X-Path': 'route' }, splits: [split('blue', 100, { 'X-Split': 'split' })] }])],
    });
    await waitReady('headers');
    const seen = echo(await external('/', 'headers.example.com', { 'X-Path': 'client', 'X-Split': 'client' }));
    expect(seen.headers['x-path']).to.equal('route');
    expect(seen.headers['x-split']).to.equal('split');
  });

  it('headers/tags and dispatch by path: header matches and longer prefixes first', async () => {
    await applyIngress('dispatch', {
      rules: [rule(['dispatch.example.com'], [
        { headers: { 'Knative-Serving-Tag': { exact: 'green' } }, splits: [split('green')] },
        { splits: [split('blue')] },
        { path: '/green/', splits: [split('green')] },
      ])],
    });
    await waitReady('dispatch');
    expect(echo(await external('/', 'dispatch.example.com')).backend).to.equal('blue');
    expect(echo(await external('/', 'dispatch.example.com', { 'Knative-Serving-Tag': 'green' })).backend).to.equal('green');
    expect(echo(await external('/green/page', 'dispatch.example.com')).backend).to.equal('green');
  });

  it('hosts/multiple and rule: every host of a rule, each rule its own backend', async () => {
    await applyIngress('multi', {
      rules: [rule(['a.multi.example.com', 'b.multi.example.com'], [{ splits: [split('blue')] }]), rule(['c.multi.example.com'], [{ splits: [split('green')] }])],
    });
    await waitReady('multi');
    expect(echo(await external('/', 'a.multi.example.com')).backend).to.equal('blue');
    expect(echo(await external('/', 'b.multi.example.com')).backend).to.equal('blue');
    expect(echo(await external('/', 'c.multi.example.com')).backend).to.equal('green');
  });

  it('percentage: ten splits get their percent of 1,000 requests within 10 points, and 0% gets none', async () => {
    const percents = [1, 2, 4, 8, 16, 32, 37, 0, 0, 0];
    await applyIngress('percentage', {
      rules: [rule(['percentage.example.com'], [{ splits: percents.map((percent, index) => split(index % 2 ? 'green' : 'blue', percent, { 'X-Split': String(index) })) }])],
    });
    await waitReady('percentage');
    const counts = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => external('/', 'percentage.example.com')));
      for (const answer of answers) {
        const splitSeen = echo(answer).headers['x-split'] ?? '';
        counts.set(splitSeen, (counts.get(splitSeen) ?? 0) + 1);
      }
    }
    for (const [index, percent] of percents.entries()) {
      const got = ((counts.get(String(index)) ?? 0) / 1000) * 100;
      if (percent === 0) expect(got, `split ${index}`).to.equal(0);
      else expect(Math.abs(got - percent), `split ${index}: ${got}% for ${percent}%`).to.be.at.most(10);
    }
  });

  it('visibility: a ClusterLocal host answers on the internal listener only', async () => {
    await applyIngress('local', { rules: [rule(['local.kn-apps.svc.cluster.local'], [{ splits: [split('green')] }], 'ClusterLocal')] });
    await waitReady('local');
    expect((await external('/', 'local.kn-apps.svc.cluster.local')).status).to.equal(404);
    expect(echo(await internal('/', 'local.kn-apps.svc.cluster.local')).backend).to.equal('green');
    expect(echo(await internal('/', 'local.kn-apps')).backend).to.equal('green');
    // ExternalIP hosts are served internally too.
    expect(echo(await internal('/', 'basics.example.com')).backend).to.equal('blue');
  });

  it('host-rewrite: the backend sees the rewritten host', async () => {
    await applyIngress('rewrite', { rules: [rule(['rewrite.example.com'], [{ rewriteHost: 'blue.kn-apps.svc.cluster.local', splits: [split('blue')] }])] });
    await waitReady('rewrite');
    expect(echo(await external('/', 'rewrite.example.com')).headers.host).to.equal('blue.kn-apps.svc.cluster.local');
  });

  it('httpoption: Redirected answers plain HTTP with 301 to https externally, not internally', async () => {
    await applyIngress('redirected', { httpOption: 'Redirected', rules: [rule(['redirected.example.com'], [{ splits: [split('blue')] }])] });
    await waitReady('redirected');
    const response = await external('/some/path?q=1', 'redirected.example.com');
    expect(response.status).to.equal(301);
    expect(response.headers.location).to.equal('https://redirected.example.com/some/path?q=1');
    expect(echo(await internal('/', 'redirected.example.com')).backend).to.equal('blue');
  });

  it('ingressclass: a KIngress of another class is neither served nor touched', async () => {
    await applyIngress('other-class', { rules: [rule(['other-class.example.com'], [{ splits: [split('blue')] }])] }, 'istio.ingress.networking.knative.dev');
    await applyIngress('after-other', { rules: [rule(['after-other.example.com'], [{ splits: [split('blue')] }])] });
    await waitReady('after-other');
    expect((await external('/', 'other-class.example.com')).status).to.equal(404);
    expect((await getIngress('other-class')).status).to.equal(undefined);
  });

  it('a host claimed twice stays with the first KIngress; the second says DomainConflict', async () => {
    await applyIngress('claims-second', { rules: [rule(['basics.example.com'], [{ splits: [split('green')] }])] });
    const conflicted = await eventually('the conflict in status', async () => {
      const found = await condition('claims-second', 'LoadBalancerReady');
      return found?.reason === 'DomainConflict' ? found : undefined;
    });
    expect(conflicted.status).to.equal('False');
    expect(conflicted.message).to.include(`${namespace}/basics`);
    expect(echo(await external('/', 'basics.example.com')).backend).to.equal('blue');
  });

  it('one bad KIngress is refused alone with the field named; the others keep serving and updating', async () => {
    await applyIngress('bad-header', { rules: [rule(['bad.example.com'], [{ appendHeaders: { 'Bad Header': 'x' }, splits: [split('blue')] }])] });
    const refused = await eventually('the refusal in status', async () => {
      const found = await condition('bad-header', 'NetworkConfigured');
      return found?.status === 'False' ? found : undefined;
    });
    expect(refused.reason).to.equal('InvalidHeader');
    expect(refused.message).to.include('spec.rules[0].http.paths[0].appendHeaders');
    expect((await condition('bad-header', 'Ready'))?.status).to.equal('False');
    await applyIngress('basics', { rules: [rule(['basics.example.com'], [{ splits: [split('green')] }])] });
    await eventually('the good KIngress to be updated', () => onEveryEnvoy(async () => (await external('/', 'basics.example.com')).body.includes('"green"')));
    await waitReady('basics');
    expect(echo(await external('/', 'basics.example.com')).backend).to.equal('green');
  });

  it('an endpoint change is pushed as endpoints only (EDS), and traffic follows it', async () => {
    await applyIngress('eds', { rules: [rule(['eds.example.com'], [{ splits: [split('moving')] }])] });
    await service('moving', 'blue');
    await waitReady('eds');
    await eventually('traffic to reach blue', () => onEveryEnvoy(async () => (await external('/', 'eds.example.com')).body.includes('"blue"')));
    const before = { listeners: await pushes('Listener'), routes: await pushes('RouteConfiguration'), endpoints: await pushes('ClusterLoadAssignment') };
    await service('moving', 'green');
    await eventually('traffic to reach green', () => onEveryEnvoy(async () => (await external('/', 'eds.example.com')).body.includes('"green"')));
    expect(await pushes('Listener')).to.equal(before.listeners);
    expect(await pushes('RouteConfiguration')).to.equal(before.routes);
    expect(await pushes('ClusterLoadAssignment')).to.be.greaterThan(before.endpoints);
  });

  it('tls: SNI picks the KIngress\'s certificate, sent to Envoy by SDS', async () => {
    const pair = await selfSignedCertificate(['tls.example.com']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, 'tls-cert', pair)));
    await applyIngress('tls', { tls: [{ hosts: ['tls.example.com'], secretName: 'tls-cert', secretNamespace: namespace }], rules: [rule(['tls.example.com'], [{ splits: [split('blue')] }])] });
    await waitReady('tls');
    const response = await eventually('the HTTPS listener to answer', () => secure('/', 'tls.example.com').catch(() => undefined));
    expect(echo(response).backend).to.equal('blue');
    expect(response.tls?.certificate.fingerprint256).to.equal(fingerprint(pair.cert));
    expect(response.tls?.alpnProtocol).to.equal('http/1.1');
  });

  it('certificate rotation: a renewed Secret reaches Envoy within seconds, no restart, no listener change', async () => {
    const before = { listeners: await pushes('Listener'), secrets: await pushes('Secret'), pods: await envoyPods() };
    const renewed = await selfSignedCertificate(['tls.example.com']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, 'tls-cert', renewed)));
    await eventually('every Envoy to serve the renewed certificate', () =>
      onEveryEnvoy(async () => (await secure('/', 'tls.example.com')).tls?.certificate.fingerprint256 === fingerprint(renewed.cert)));
    expect(await pushes('Listener')).to.equal(before.listeners);
    expect(await pushes('Secret')).to.be.greaterThan(before.secrets);
    expect(await envoyPods(), 'the same Envoy pods, none restarted').to.deep.equal(before.pods);
  });

  it('default certificate: names no KIngress certificate claims get the installation\'s', async () => {
    const pair = await selfSignedCertificate(['*.example.com']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, 'default-cert', pair)));
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { tls: { secretRef: { namespace, name: 'default-cert' } } } })]);
    await eventually('the default certificate to be served', () =>
      onEveryEnvoy(async () => (await secure('/', 'basics.example.com').catch(() => undefined))?.tls?.certificate.fingerprint256 === fingerprint(pair.cert)));
    const response = await secure('/', 'basics.example.com');
    expect(response.tls?.certificate.fingerprint256).to.equal(fingerprint(pair.cert));
    expect(echo(response).backend).to.equal('green');
    expect((await secure('/', 'tls.example.com')).tls?.certificate.fingerprint256).to.not.equal(fingerprint(pair.cert));
  });

  it('cipher suites: a client offering only a suite the installation does not allow is refused', async () => {
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { tls: { cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'], maximumVersion: '1.2' } } })]);
    const tls12 = { maxVersion: 'TLSv1.2' as const };
    await eventually('the disallowed suite to be refused', () =>
      onEveryEnvoy(() => secure('/', 'basics.example.com', { ...tls12, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }).then(() => false, () => true)));
    const allowed = await secure('/', 'basics.example.com', { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect(allowed.tls?.cipher).to.equal('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(echo(allowed).backend).to.equal('green');
  });

  it('retry: a 503 from the backend reaches the client (no automatic retries)', async () => {
    const response = await external('/?status=503', 'basics.example.com');
    expect(response.status).to.equal(503);
    expect(response.headers['x-backend']).to.equal('green');
  });

  it('timeout: a request that takes 10 s succeeds (no route timeout)', async function () {
    this.timeout(60_000);
    expect(echo(await external('/?delay=10000', 'basics.example.com')).backend).to.equal('green');
  });

  it('basics/http2: a Service port named http2 gets HTTP/2 upstream', async () => {
    await startBackend('h2c', 'h2c');
    await service('h2c-svc', 'h2c', 'http2');
    await applyIngress('http2', { rules: [rule(['http2.example.com'], [{ splits: [split('h2c-svc')] }])] });
    await waitReady('http2');
    const seen = JSON.parse((await external('/', 'http2.example.com')).body) as { backend: string; httpVersion: string };
    expect(seen).to.include({ backend: 'h2c', httpVersion: '2.0' });
    // And the client may speak HTTP/2 (h2c) to the gateway too.
    const direct = await sendHttp2(`http://${gateway!.endpoint('externalHTTP')}/`, { authority: 'http2.example.com' });
    expect(direct.status).to.equal(200);
    expect(direct.httpVersion).to.equal('2.0');
  });

  it('grpc and grpc/split: gRPC calls reach a gRPC backend, split across two', async () => {
    await startBackend('grpc-a', 'grpc');
    await startBackend('grpc-b', 'grpc');
    await service('grpc-a', 'grpc-a', 'h2c');
    await service('grpc-b', 'grpc-b', 'h2c');
    await applyIngress('grpc', { rules: [rule(['grpc.example.com'], [{ splits: [split('grpc-a', 50), split('grpc-b', 50)] }])] });
    await waitReady('grpc');
    const seen = new Set<string>();
    for (let call = 0; call < 40 && seen.size < 2; call++) {
      const reply = await grpcUnary(gateway!.endpoint('externalHTTP'), 'hello', { authority: 'grpc.example.com' });
      expect(reply.message).to.equal('hello');
      seen.add(reply.backend);
    }
    expect([...seen].sort()).to.deep.equal(['grpc-a', 'grpc-b']);
  });

  it('websocket and websocket/split: upgrades pass through, to every split', async () => {
    await applyIngress('websocket', { rules: [rule(['ws.example.com'], [{ splits: [split('blue', 50), split('green', 50)] }])] });
    await waitReady('websocket');
    const seen = new Set<string>();
    for (let connection = 0; connection < 40 && seen.size < 2; connection++) {
      const [reply] = await websocketExchange(`ws://${gateway!.endpoint('externalHTTP')}/`, ['hello'], { headers: { host: 'ws.example.com' } });
      expect(reply).to.match(/^(blue|green): hello$/);
      seen.add(reply!.split(':')[0]!);
    }
    expect([...seen].sort()).to.deep.equal(['blue', 'green']);
  });

  it('update: backends rotated under continuous traffic fail no request', async function () {
    this.timeout(120_000);
    await service('rotating-0', 'blue');
    await applyIngress('update', { rules: [rule(['update.example.com'], [{ splits: [split('rotating-0')] }])] });
    await waitReady('update');
    const traffic = { stop: false };
    const failures: string[] = [];
    let sent = 0;
    const sending = (async () => {
      while (!traffic.stop) {
        sent += 1;
        const answer = await external('/', 'update.example.com').catch((error: unknown) => ({ status: 0, body: String(error) }));
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.body.slice(0, 100)}`);
      }
    })();
    const rotation = ['green', 'blue', 'green'];
    for (const [index, backend] of rotation.entries()) {
      // As Knative does: the new revision's Service first, then the KIngress, then the old Service goes.
      await service(`rotating-${index + 1}`, backend);
      await applyIngress('update', { rules: [rule(['update.example.com'], [{ splits: [split(`rotating-${index + 1}`)] }])] });
      await waitReady('update');
      await kubectlOk(['delete', 'service', `rotating-${index}`, '-n', namespace]);
      await kubectlOk(['delete', 'endpointslice', `rotating-${index}-test-hosts`, '-n', namespace]);
    }
    traffic.stop = true;
    await sending;
    expect(failures, `${failures.length} of ${sent} failed`).to.deep.equal([]);
    expect(sent).to.be.greaterThan(50);
  });

  // Last: PROXY protocol changes what every external connection must start with.
  it('proxy protocol: v1 and v2, plain and TLS with SNI; the client address comes from it', async () => {
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { proxyProtocol: { enabled: true } } })]);
    const source = { address: '203.0.113.7', port: 40_000 };
    await eventually('the external listener to expect PROXY protocol', () =>
      onEveryEnvoy(async () => (await external('/', 'basics.example.com', {}).then((answer) => answer.status, () => 0)) !== 200));
    for (const version of [1, 2] as const) {
      const plain = await sendRequest(`http://${gateway!.endpoint('externalHTTP')}/`, { headers: { host: 'basics.example.com' }, proxyProtocol: { version, source } });
      expect(echo(plain).headers['x-forwarded-for'], `v${version}`).to.equal(source.address);
      const overTls = await sendRequest(`https://${gateway!.endpoint('externalHTTPS')}/`, {
        headers: { host: 'tls.example.com' },
        tls: { servername: 'tls.example.com', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
        proxyProtocol: { version, source },
      });
      expect(echo(overTls).backend, `v${version} over TLS`).to.equal('blue');
      expect(echo(overTls).headers['x-forwarded-for']).to.equal(source.address);
      // Without SNI the default certificate answers, and the Host header picks the route.
      const withoutSni = await sendRequest(`https://${gateway!.endpoint('externalHTTPS')}/`, {
        headers: { host: 'basics.example.com' },
        tls: { servername: '', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
        proxyProtocol: { version, source },
      });
      expect(echo(withoutSni).backend, `v${version} over TLS without SNI`).to.equal('green');
    }
    // The internal listener is not behind the load balancer and takes plain requests.
    expect(echo(await internal('/', 'basics.example.com')).backend).to.equal('green');
  });
});
