// External authorization through real Envoy pods: the installation's spec.externalAuthorization
// over gRPC, HTTP and HTTPS (real TLS, verified), allow and deny, failure-mode-allow with the
// service down, and every change taking effect by reconcile, with the same operator and Envoys
// (the installation's own Deployment's pods on the test bed, reached through its load balancer).
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngressSpec, KnativeIngress } from '../../operator/sources/knative/types.ts';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { sendRequest } from '../support/http.ts';
import { installKnativeCrds } from '../support/knative.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { eventually } from '../support/processes.ts';

describe('external authorization through real Envoy pods', function () {
  this.timeout(180_000);
  const name = `authz-${randomBytes(3).toString('hex')}`;
  const ingressClass = `${name}.ingress.networking.knative.dev`;
  let namespace: string;
  let gateway: Gateway | undefined;
  let authzHost: TestHost;
  let backendHost: TestHost;
  let grpcServer: Backend;
  let httpServer: Backend;
  let httpsServer: Backend;
  let dir: string;

  const request = (path: string, headers: Record<string, string> = {}) =>
    sendRequest(`http://${gateway!.endpoint('externalHTTP')}${path}`, { headers: { host: 'app.example.com', ...headers } });
  /** Points the installation at another authorization setting, as a user edits the spec. */
  const configure = async (externalAuthorization: object | null) => {
    // The whole setting is replaced: a merge would keep fields of the previous protocol.
    const operation = externalAuthorization ? { op: 'add', path: '/spec/externalAuthorization', value: externalAuthorization } : { op: 'remove', path: '/spec/externalAuthorization' };
    await kubectlOk(['patch', 'gwi', name, '--type=json', '-p', JSON.stringify([operation])]);
  };
  /**
   * The installation's Envoys as a user sees them: each pod (name, uid, container restarts, as
   * `kubectl get pods` shows) and its Envoy's uptime from the stats listener's /stats.
   */
  const envoys = async () => {
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-n', gateway!.namespace, '-l', `portico.dev/installation=${name},app.kubernetes.io/component=gateway`, '-o', 'json'])) as {
      items: Array<{ metadata: { name: string; uid: string; deletionTimestamp?: string }; status?: { podIP?: string; containerStatuses?: Array<{ name: string; restartCount: number }> } }>;
    };
    const running = pods.items.filter((pod) => !pod.metadata.deletionTimestamp);
    if (running.some((pod) => !pod.status?.podIP)) throw new Error(`an Envoy pod has no IP yet (a rollout under way?):\n${await kubectlOk(['get', 'pods', '-n', gateway!.namespace, '-o', 'wide'])}`);
    return Promise.all(running.map(async (pod) => {
      const stats = await sendRequest(`http://${pod.status?.podIP ?? ''}:9000/stats?filter=${encodeURIComponent('^server\\.uptime$')}`);
      expect(stats.status, stats.body).to.equal(200);
      const uptime = Number(/^server\.uptime: (\d+)$/m.exec(stats.body)?.[1]);
      expect(uptime, stats.body).to.not.be.NaN;
      const restarts = (pod.status?.containerStatuses ?? []).map((container) => `${container.name}=${container.restartCount}`).sort().join(',');
      return { pod: `${pod.metadata.name} ${pod.metadata.uid} ${restarts}`, uptime };
    }));
  };
  /**
   * Waits until `check` holds for several requests in a row: the load balancer spreads
   * connections over the Envoys in turn, and a setting has taken effect when every Envoy shows it.
   */
  const onEveryEnvoy = (what: string, check: () => Promise<boolean>) =>
    eventually(what, async () => {
      for (let connection = 0; connection < 4; connection++) if (!(await check())) return undefined;
      return true;
    });
  /** Waits until a request without permission gets `status`: the new setting reached every Envoy. */
  const deniedWith = (status: number) => onEveryEnvoy(`a request without permission to get ${status}`, async () => (await request('/')).status === status);

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installKnativeCrds();
    namespace = await createNamespace('authz-apps');
    dir = mkdtempSync(join(tmpdir(), 'portico-authz-'));
    authzHost = await createTestHost();
    backendHost = await createTestHost();
    // The HTTPS service proves its name (its IP address) with a certificate from a test authority.
    const pair = await selfSignedCertificate([authzHost.address]);
    writeFileSync(join(dir, 'tls.crt'), pair.cert);
    writeFileSync(join(dir, 'tls.key'), pair.key);
    grpcServer = await authzHost.startAuthorizationServer('grpc', 9000);
    httpServer = await authzHost.startAuthorizationServer('http', 9080);
    httpsServer = await authzHost.startAuthorizationServer('http', 9443, { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') });
    // The authority's Secret, as cert-manager writes one: the certificate is its own authority here.
    const authority = tlsSecretManifest(namespace, 'authz-ca', pair) as { data: Record<string, string> };
    authority.data['ca.crt'] = Buffer.from(pair.cert).toString('base64');
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(authority));
    gateway = await startGateway(name, {
      knative: { ingressClass },
      tls: { upstreamCASecretRef: { namespace, name: 'authz-ca' } },
      externalAuthorization: { host: `${authzHost.address}:9000`, protocol: 'grpc', packAsBytes: true },
    });
    const backend = await backendHost.startBackend('app');
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, 'app', 80, [backend])));
    const spec: IngressSpec = {
      rules: [{
        hosts: ['app.example.com'],
        visibility: 'ExternalIP',
        http: { paths: [
          { path: '/.well-known/acme-challenge/', splits: [{ serviceNamespace: namespace, serviceName: 'app', servicePort: 80 }] },
          { splits: [{ serviceNamespace: namespace, serviceName: 'app', servicePort: 80 }] },
        ] },
      }],
    };
    const ingress: KnativeIngress = {
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: { name: 'app', namespace, labels: { 'serving.knative.dev/service': 'app' }, annotations: { 'networking.knative.dev/ingress.class': ingressClass } },
      spec,
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(ingress));
    await kubectlOk(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/app', '-n', namespace, '--timeout=60s']);
  });

  after(async () => {
    await kubectl(['delete', 'ingresses.networking.internal.knative.dev', '--all', '-n', namespace, '--wait=true', '--timeout=60s']);
    await gateway?.stop();
    for (const host of [authzHost, backendHost]) await host.destroy();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('grpc: allows and denies, and tells the service the host\'s visibility and the KIngress\'s labels', async () => {
    const denied = await request('/');
    expect(denied.status).to.equal(403);
    expect(denied.body).to.include('denied by the authorization service');
    const allowed = await request('/', { 'x-allow': 'yes' });
    expect(allowed.status).to.equal(200);
    const seen = JSON.parse((JSON.parse(allowed.body) as { headers: Record<string, string> }).headers['x-authz-context']!) as { context: Record<string, string> };
    expect(seen.context).to.deep.equal({ client: 'kourier', visibility: 'ExternalIP', 'serving.knative.dev/service': 'app' });
  });

  it('sends the request body along, up to maxRequestBytes', async () => {
    const allowed = await sendRequest(`http://${gateway!.endpoint('externalHTTP')}/`, { method: 'POST', headers: { host: 'app.example.com', 'x-allow': 'yes', 'content-type': 'text/plain' }, body: 'x'.repeat(100) });
    const seen = JSON.parse((JSON.parse(allowed.body) as { headers: Record<string, string> }).headers['x-authz-context']!) as { bodyBytes: number };
    expect(seen.bodyBytes).to.equal(100);
  });

  it('never checks ACME challenges, nor Knative\'s probe', async () => {
    expect((await request('/.well-known/acme-challenge/token')).status).to.equal(200);
    expect((await request('/healthz', { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'override' })).status).to.equal(200);
  });

  it('failureModeAllow: with the service down, requests fail closed, or pass when allowed to', async () => {
    await grpcServer.stop();
    await onEveryEnvoy('requests to fail closed', async () => (await request('/', { 'x-allow': 'yes' })).status === 403);
    await configure({ host: `${authzHost.address}:9000`, protocol: 'grpc', failureModeAllow: true });
    await onEveryEnvoy('requests to pass with the service down', async () => (await request('/')).status === 200);
  });

  it('http: switches to an HTTP service with a path prefix by reconcile, no restart', async () => {
    const envoysBefore = await envoys();
    const started = Date.now();
    expect(envoysBefore).to.have.length(2);
    // Envoy sends an HTTP service only Host, Method, Path, Content-Length and Authorization unless told more.
    await configure({ host: `${authzHost.address}:9080`, protocol: 'http', pathPrefix: '/check', allowedHeaders: ['x-allow'] });
    await deniedWith(403);
    const denied = JSON.parse((await request('/orders?id=1')).body) as { path: string };
    expect(denied.path).to.equal('/check/orders?id=1');
    expect((await request('/', { 'x-allow': 'yes' })).status).to.equal(200);
    // The same Envoy pods, not restarted, their Envoys up all along.
    const envoysAfter = await envoys();
    expect(envoysAfter.map((envoy) => envoy.pod).sort()).to.deep.equal(envoysBefore.map((envoy) => envoy.pod).sort());
    for (const envoy of envoysAfter) {
      const before = envoysBefore.find((candidate) => candidate.pod === envoy.pod)!;
      expect(envoy.uptime, `${envoy.pod}: Envoy's uptime`).to.be.at.least(before.uptime + Math.floor((Date.now() - started) / 1000) - 1);
    }
    expect(httpServer.output.text()).to.not.include('Error');
  });

  it('allowedHeaders: only the listed headers reach the service', async () => {
    await configure({ host: `${authzHost.address}:9080`, protocol: 'http', allowedHeaders: ['x-allow'] });
    await onEveryEnvoy('the cookie to stay away from the service', async () => {
      const denied = JSON.parse((await request('/', { cookie: 'session=secret', 'x-other': '1' })).body) as { headers?: Record<string, string> };
      return denied.headers !== undefined && !('cookie' in denied.headers);
    });
    await configure({ host: `${authzHost.address}:9080`, protocol: 'http', allowedHeaders: ['x-allow', 'cookie'] });
    await onEveryEnvoy('the cookie to reach the service', async () => {
      const denied = JSON.parse((await request('/', { cookie: 'session=secret' })).body) as { headers?: Record<string, string> };
      return denied.headers?.cookie === 'session=secret';
    });
  });

  it('https: checks over real TLS, verifying the service with the installation\'s upstream authority', async () => {
    // Only the HTTPS service is left: an answer from it proves the TLS connection and its verification.
    await httpServer.stop();
    await configure({ host: `${authzHost.address}:9443`, protocol: 'https', allowedHeaders: ['x-allow'] });
    await onEveryEnvoy('an allowed request to pass through the HTTPS service', async () => (await request('/', { 'x-allow': 'yes' })).status === 200);
    expect((await request('/')).status).to.equal(403);
    expect(httpsServer.output.text()).to.not.include('Error');
    // Trusting another authority, Envoy refuses the service's certificate and fails closed.
    const stranger = await selfSignedCertificate(['stranger.example.com']);
    const otherAuthority = tlsSecretManifest(namespace, 'other-ca', stranger) as { data: Record<string, string> };
    otherAuthority.data['ca.crt'] = Buffer.from(stranger.cert).toString('base64');
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(otherAuthority));
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { tls: { upstreamCASecretRef: { namespace, name: 'other-ca' } } } })]);
    await onEveryEnvoy('an untrusted service to be refused', async () => (await request('/', { 'x-allow': 'yes' })).status === 403);
  });

  it('is off again when the setting is removed', async () => {
    await configure(null);
    await onEveryEnvoy('requests to pass unchecked', async () => (await request('/')).status === 200);
  });
});
