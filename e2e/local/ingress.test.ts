// Kubernetes Ingress through real Envoy pods and the installation's load-balancer address, as
// a user checks it: the class the installation keeps, the API's path and host rules, the
// defaultBackend, TLS by SNI, the address in `kubectl get ingress`, and Events that say what
// is not served. Ingresses and KIngresses share the installation's Envoys.
import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { sendRequest, type HttpResponse, type RequestOptions } from '../support/http.ts';
import { installKnativeCrds } from '../support/knative.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { eventually } from '../support/processes.ts';

interface Echo {
  backend: string;
  path: string;
  headers: Record<string, string>;
}

interface IngressPath {
  path?: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: { service: { name: string; port: { number?: number; name?: string } } };
}

interface EventList {
  items: Array<{ reason: string; note: string; type: string; regarding: { name: string } }>;
}

describe('Kubernetes Ingress through real Envoy pods', function () {
  this.timeout(180_000);
  const name = `ing-${randomBytes(3).toString('hex')}`;
  const className = `portico-${name}`;
  let namespace: string;
  let gateway: Gateway | undefined;
  const hosts: TestHost[] = [];
  const backends: Record<string, Backend> = {};

  const echo = (response: HttpResponse): Echo => {
    expect(response.status, response.body).to.equal(200);
    return JSON.parse(response.body) as Echo;
  };
  /** A request to the installation's load-balancer address, as a client outside the cluster sends it. */
  const get = (host: string, path: string, options: RequestOptions = {}) => sendRequest(`http://${gateway!.address}${path}`, { ...options, headers: { host, ...options.headers } });
  const getTls = (host: string, path: string) => sendRequest(`https://${gateway!.address}${path}`, { headers: { host }, tls: { servername: host, rejectUnauthorized: false } });
  const backendOf = async (host: string, path: string) => echo(await get(host, path)).backend;
  const startBackend = async (backend: string) => {
    const host = await createTestHost();
    hosts.push(host);
    backends[backend] = await host.startBackend(backend, 8080);
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, backend, 80, [backends[backend]])));
  };
  const path = (value: string, pathType: IngressPath['pathType'], service: string, port: IngressPath['backend']['service']['port'] = { number: 80 }): IngressPath => ({ path: value, pathType, backend: { service: { name: service, port } } });
  const applyIngress = async (ingressName: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) => {
    const manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: ingressName, namespace, annotations }, spec };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
  };
  const address = async (ingressName: string) => (await kubectlOk(['get', 'ingress', ingressName, '-n', namespace, '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).trim();
  const events = async (ingressName: string) =>
    (JSON.parse(await kubectlOk(['get', 'events.events.k8s.io', '-n', namespace, '--field-selector', `regarding.name=${ingressName}`, '-o', 'json'])) as EventList).items;
  const waitServed = async (ingressName: string) => {
    await eventually(`Ingress ${ingressName} to show the installation's address`, async () => ((await address(ingressName)) === gateway!.address ? true : undefined), 60_000, 200);
  };
  /** Until `check` holds on several connections in a row: the load balancer spreads them over the Envoys. */
  const onEveryEnvoy = async (description: string, check: () => Promise<boolean>) => {
    await eventually(description, async () => {
      for (let connection = 0; connection < 4; connection++) if (!(await check())) return undefined;
      return true;
    }, 60_000, 200);
  };

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installKnativeCrds();
    namespace = await createNamespace('ing-apps');
    gateway = await startGateway(name, { ingress: { className }, knative: { ingressClass: `${name}.ingress.networking.knative.dev` }, envoy: { replicas: 2 } });
    for (const backend of ['web', 'api', 'fallback', 'docs']) await startBackend(backend);
  });

  after(async () => {
    await gateway?.stop();
    for (const host of hosts) await host.destroy();
    await kubectl(['delete', 'ingressclass', `${className}-default`, '--ignore-not-found']);
    if (namespace) await deleteNamespace(namespace);
  });

  it('keeps the IngressClass the installation asks for, naming the installation', async () => {
    const ingressClass = JSON.parse(await kubectlOk(['get', 'ingressclass', className, '-o', 'json'])) as { spec: { controller: string; parameters: Record<string, string> } };
    expect(ingressClass.spec.controller).to.equal('portico.dev/ingress-controller');
    expect(ingressClass.spec.parameters).to.deep.equal({ apiGroup: 'portico.dev', kind: 'GatewayInstallation', scope: 'Cluster', name });
    // Deleted by hand, it comes back.
    await kubectlOk(['delete', 'ingressclass', className]);
    await eventually('the IngressClass to be back', async () => ((await kubectl(['get', 'ingressclass', className])).code === 0 ? true : undefined), 30_000, 200);
  });

  it('routes by the API\'s rules: Exact, Prefix by path element, a one-label wildcard, Service ports by name, the defaultBackend; kubectl get ingress shows the address', async () => {
    await applyIngress('shop', {
      ingressClassName: className,
      defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
      rules: [
        { host: 'shop.example.com', http: { paths: [path('/login', 'Exact', 'api'), path('/foo', 'Prefix', 'docs'), path('/', 'Prefix', 'web', { name: 'http' })] } },
        { host: '*.apps.example.com', http: { paths: [path('/', 'Prefix', 'api')] } },
      ],
    });
    await waitServed('shop');
    await onEveryEnvoy('the rules to be served', async () => (await get('shop.example.com', '/login')).status === 200);
    expect(await backendOf('shop.example.com', '/login')).to.equal('api');
    expect(await backendOf('shop.example.com', '/login/more'), 'Exact is the path alone').to.equal('web');
    expect(await backendOf('shop.example.com', '/foo')).to.equal('docs');
    expect(await backendOf('shop.example.com', '/foo/bar')).to.equal('docs');
    expect(await backendOf('shop.example.com', '/foobar'), 'Prefix matches whole path elements').to.equal('web');
    expect(await backendOf('one.apps.example.com', '/')).to.equal('api');
    expect(await backendOf('two.one.apps.example.com', '/'), 'a wildcard takes one label: the rest goes to the defaultBackend').to.equal('fallback');
    expect(await backendOf('elsewhere.example.org', '/x'), 'hosts no rule names go to the defaultBackend').to.equal('fallback');
    const listed = await kubectlOk(['get', 'ingress', 'shop', '-n', namespace, '--no-headers']);
    expect(listed.split(/\s+/)).to.include(gateway!.address);
  });

  it('takes Ingresses without a class by the default class, and the deprecated kubernetes.io/ingress.class annotation', async () => {
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: `${className}-default`, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'portico.dev/ingress-controller', parameters: { apiGroup: 'portico.dev', kind: 'GatewayInstallation', scope: 'Cluster', name } },
    }));
    await applyIngress('classless', { rules: [{ host: 'classless.example.com', http: { paths: [path('/', 'Prefix', 'docs')] } }] });
    await applyIngress('annotated', { rules: [{ host: 'annotated.example.com', http: { paths: [path('/', 'Prefix', 'api')] } }] }, { 'kubernetes.io/ingress.class': className });
    await waitServed('classless');
    await waitServed('annotated');
    await onEveryEnvoy('both to be served', async () => (await get('classless.example.com', '/')).status === 200 && (await get('annotated.example.com', '/')).status === 200);
    expect(await backendOf('classless.example.com', '/')).to.equal('docs');
    expect(await backendOf('annotated.example.com', '/')).to.equal('api');
    // Without a default class, a classless Ingress is another controller's: it leaves the graph.
    await kubectlOk(['delete', 'ingressclass', `${className}-default`]);
    await onEveryEnvoy('the classless Ingress to be dropped', async () => (await backendOf('classless.example.com', '/')) === 'fallback');
  });

  it('serves TLS by SNI with the Ingress\'s Secret, still answers plain HTTP, and redirects it with ssl-redirect', async () => {
    const pair = await selfSignedCertificate(['secure.example.com']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, 'secure-cert', pair)));
    await applyIngress('secure', { ingressClassName: className, tls: [{ hosts: ['secure.example.com'], secretName: 'secure-cert' }], rules: [{ host: 'secure.example.com', http: { paths: [path('/', 'Prefix', 'web')] } }] });
    await waitServed('secure');
    await onEveryEnvoy('the certificate to be served', async () => {
      const answer = await getTls('secure.example.com', '/').catch(() => undefined);
      return answer?.status === 200 && answer.tls?.certificate.fingerprint256 === new X509Certificate(pair.cert).fingerprint256;
    });
    expect(echo(await getTls('secure.example.com', '/x')).backend).to.equal('web');
    expect(echo(await get('secure.example.com', '/x')).backend, 'plain HTTP still answers').to.equal('web');
    await kubectlOk(['annotate', 'ingress', 'secure', '-n', namespace, 'nginx.ingress.kubernetes.io/ssl-redirect=true']);
    await onEveryEnvoy('plain HTTP to be redirected', async () => (await get('secure.example.com', '/x?y=1')).status === 308);
    expect((await get('secure.example.com', '/x?y=1')).headers.location).to.equal('https://secure.example.com/x?y=1');
  });

  it('shares a host path by path with other Ingresses; a path claimed twice stays with the older, and the younger is told why', async () => {
    await applyIngress('docs', { ingressClassName: className, rules: [{ host: 'shop.example.com', http: { paths: [path('/docs', 'Prefix', 'docs')] } }] });
    await waitServed('docs');
    await onEveryEnvoy('the shared host to route /docs', async () => (await backendOf('shop.example.com', '/docs/intro')) === 'docs');
    await applyIngress('docs-again', { ingressClassName: className, rules: [{ host: 'shop.example.com', http: { paths: [path('/docs', 'Prefix', 'api')] } }] });
    const conflict = await eventually('a PathConflict event on the younger Ingress', async () => (await events('docs-again')).find((event) => event.reason === 'PathConflict'), 60_000, 200);
    expect(conflict.type).to.equal('Warning');
    expect(conflict.note).to.contain(`Ingress ${namespace}/docs`);
    expect(await address('docs-again'), 'not served, no address').to.equal('');
    expect(await backendOf('shop.example.com', '/docs/intro')).to.equal('docs');
  });

  it('keeps serving the rest of an Ingress whose Service is missing or whose annotation it does not know, and says so in Events', async () => {
    await applyIngress('partial', {
      ingressClassName: className,
      rules: [{ host: 'partial.example.com', http: { paths: [path('/ok', 'Prefix', 'web'), path('/gone', 'Prefix', 'nowhere')] } }],
    }, { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X: y";' });
    await waitServed('partial');
    await onEveryEnvoy('the good path to be served', async () => (await get('partial.example.com', '/ok')).status === 200);
    expect((await get('partial.example.com', '/gone')).status).to.equal(503);
    const told = await eventually('Events for the missing Service and the unknown annotation', async () => {
      const reasons = (await events('partial')).map((event) => `${event.reason}: ${event.note}`);
      return reasons.some((line) => line.startsWith('BackendNotFound')) && reasons.some((line) => line.startsWith('UnknownAnnotation')) ? reasons : undefined;
    }, 60_000, 200);
    expect(told.find((line) => line.startsWith('BackendNotFound'))).to.contain('spec.rules[0].http.paths[1].backend.service.name');
    expect(told.find((line) => line.startsWith('UnknownAnnotation'))).to.contain('nginx.ingress.kubernetes.io/configuration-snippet');
    // The Service comes: the path serves, with nothing to restart.
    await startBackend('nowhere');
    await onEveryEnvoy('the path to reach the new Service', async () => (await get('partial.example.com', '/gone')).status === 200);
  });

  it('serves KIngresses and Ingresses from the same Envoys', async () => {
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: { name: 'knative-app', namespace, annotations: { 'networking.knative.dev/ingress.class': `${name}.ingress.networking.knative.dev` } },
      spec: { rules: [{ hosts: ['knative.example.com'], visibility: 'ExternalIP', http: { paths: [{ splits: [{ serviceNamespace: namespace, serviceName: 'api', servicePort: 80, percent: 100 }] }] } }] },
    }));
    await kubectlOk(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/knative-app', '-n', namespace, '--timeout=60s']);
    expect(await backendOf('knative.example.com', '/')).to.equal('api');
    expect(await backendOf('shop.example.com', '/')).to.equal('web');
  });

  it('deletes the class it kept when spec.ingress.className changes, and keeps the new one', async () => {
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { ingress: { className: `${className}-renamed` } } })]);
    await eventually('the new class to exist and the old to be gone', async () => {
      const [renamed, old] = await Promise.all([kubectl(['get', 'ingressclass', `${className}-renamed`]), kubectl(['get', 'ingressclass', className])]);
      return renamed.code === 0 && old.code !== 0 ? true : undefined;
    }, 60_000, 200);
    // The Ingresses of the old class are no longer this installation's.
    await eventually('the old class\'s Ingresses to leave the Envoys', async () => ((await get('shop.example.com', '/login')).status === 404 ? true : undefined), 60_000, 200);
    await eventually('their address to be taken back', async () => ((await address('shop')) === '' ? true : undefined), 60_000, 200);
  });
});
