// samples/ingress/ as a user applies them: the installation sample with kubectl, then each
// Ingress sample into an application namespace, each answering through the installation's
// load-balancer address as its comment says.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster, namespaceGone } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { sendRequest, type HttpResponse, type RequestOptions } from '../support/http.ts';
import type { Installation } from '../support/installations.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

const samples = fileURLToPath(new URL('../../samples/ingress/', import.meta.url));

interface Echo {
  backend: string;
  path: string;
}

describe('samples/ingress/', function () {
  this.timeout(180_000);
  let operator: RunningOperator | undefined;
  let namespace: string;
  let address = '';
  const hosts: TestHost[] = [];

  const get = (host: string, path: string, options: RequestOptions = {}) => sendRequest(`http://${address}${path}`, { ...options, headers: { host, ...options.headers } });
  const backendOf = (response: HttpResponse) => {
    expect(response.status, response.body).to.equal(200);
    return (JSON.parse(response.body) as Echo).backend;
  };
  const until = async (description: string, check: () => Promise<boolean>) => {
    await eventually(description, async () => ((await check().catch(() => false)) ? true : undefined), 60_000, 200);
  };
  const apply = (file: string) => kubectlOk(['apply', '-n', namespace, '-f', `${samples}${file}`]);

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    operator = await runOperator();
    await kubectlOk(['apply', '-f', `${samples}installation.yaml`]);
    await kubectlOk(['wait', '--for=condition=Ready', 'gwi/portico', '--timeout=120s']);
    await kubectlOk(['wait', '--for=condition=ConfigSynced', 'gwi/portico', '--timeout=120s']);
    address = await eventually('the installation\'s address', async () => {
      const installation = JSON.parse(await kubectlOk(['get', 'gwi', 'portico', '-o', 'json'])) as Installation;
      return installation.status?.addresses?.find((entry) => entry.type === 'IPAddress')?.value;
    }, 60_000, 200);
    namespace = await createNamespace('ingress-samples');
    for (const backend of ['web', 'api', 'fallback']) {
      const host = await createTestHost();
      hosts.push(host);
      await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, backend, 80, [await host.startBackend(backend, 8080)])));
    }
  });

  after(async () => {
    await kubectl(['delete', '-f', `${samples}ingress-class.yaml`, '--ignore-not-found']);
    await kubectl(['delete', '-f', `${samples}installation.yaml`, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await namespaceGone('portico-gateway').catch(() => undefined);
    await operator?.stop();
    for (const host of hosts) await host.destroy();
    if (namespace) await deleteNamespace(namespace);
  });

  it('installation.yaml keeps the default class "portico"', async () => {
    const annotation = await kubectlOk(['get', 'ingressclass', 'portico', '-o', 'jsonpath={.metadata.annotations.ingressclass\\.kubernetes\\.io/is-default-class}']);
    expect(annotation.trim()).to.equal('true');
  });

  it('shop.yaml: the login page by exact path, the API by path elements, other hosts to the fallback', async () => {
    await apply('shop.yaml');
    await until('the shop', async () => (await get('shop.example.com', '/login')).status === 200);
    expect(backendOf(await get('shop.example.com', '/login'))).to.equal('web');
    expect(backendOf(await get('shop.example.com', '/api/orders'))).to.equal('api');
    expect(backendOf(await get('shop.example.com', '/apix'))).to.equal('web');
    expect(backendOf(await get('other.example.com', '/'))).to.equal('fallback');
    const shown = await kubectlOk(['get', 'ingress', 'shop', '-n', namespace, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
    expect(shown.trim()).to.equal(address);
  });

  it('tls.yaml: HTTPS with the cert-manager-style Secret, plain HTTP redirected', async () => {
    const pair = await selfSignedCertificate(['secure.example.com']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, 'shop-example-com-tls', pair)));
    await apply('tls.yaml');
    const secure = () => sendRequest(`https://${address}/`, { headers: { host: 'secure.example.com' }, tls: { servername: 'secure.example.com', rejectUnauthorized: false } });
    await until('the certificate', async () => (await secure()).tls?.certificate.fingerprint256 === new X509Certificate(pair.cert).fingerprint256);
    expect(backendOf(await secure())).to.equal('web');
    const plain = await get('secure.example.com', '/cart');
    expect(plain.status).to.equal(308);
    expect(plain.headers.location).to.equal('https://secure.example.com/cart');
  });

  it('from-ingress-nginx.yaml: the rewrite, CORS and the body limit as ingress-nginx had them', async () => {
    await apply('from-ingress-nginx.yaml');
    await until('the legacy API', async () => backendOf(await get('legacy.example.com', '/api/orders')) === 'api');
    const answer = await get('legacy.example.com', '/api/orders?page=2');
    expect(backendOf(answer)).to.equal('api');
    expect((JSON.parse(answer.body) as Echo).path).to.equal('/orders?page=2');
    const preflight = await get('legacy.example.com', '/api/orders', { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).to.equal('https://shop.example.com');
    expect((await get('legacy.example.com', '/api/upload', { method: 'POST', body: 'x'.repeat(9 * 1024 * 1024) })).status).to.equal(413);
  });

  it('canary.yaml: X-Canary: always reaches the canary, and about a tenth of the rest', async () => {
    await apply('canary.yaml');
    await until('the canary', async () => (backendOf(await get('checkout.example.com', '/', { headers: { 'x-canary': 'always' } }))) === 'api');
    expect(backendOf(await get('checkout.example.com', '/', { headers: { 'x-canary': 'never' } }))).to.equal('web');
    const seen = new Map<string, number>();
    for (let request = 0; request < 60; request++) {
      const backend = backendOf(await get('checkout.example.com', '/'));
      seen.set(backend, (seen.get(backend) ?? 0) + 1);
    }
    expect(seen.get('web') ?? 0, JSON.stringify([...seen])).to.be.greaterThan(seen.get('api') ?? 0);
  });

  it('ingress-class.yaml: a class written by hand for the installation is served by it', async () => {
    await kubectlOk(['apply', '-f', `${samples}ingress-class.yaml`]);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'by-hand', namespace },
      spec: { ingressClassName: 'portico-by-hand', rules: [{ host: 'by-hand.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] } }] },
    }));
    await until('the Ingress of the hand-written class', async () => backendOf(await get('by-hand.example.com', '/')) === 'api');
    expect(backendOf(await get('by-hand.example.com', '/'))).to.equal('api');
  });
});
