// The Gateway API through real Envoy pods, as a user checks it: the GatewayClass the installation
// keeps (Accepted), a Gateway that gets an Envoy fleet of its own (Programmed, with the
// load-balancer address in its status), HTTPRoutes that answer through that address with their
// matches, weights and header filters, route status with the spec's reasons, a Gateway's fleet
// gone with the Gateway, and every fleet gone when the installation stops keeping the class.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, serviceWithEndpoints } from '../support/endpoints.ts';
import { installGatewayApiCrds, type GatewayStatus, type RouteStatus } from '../support/gateway-api.ts';
import { sendRequest, type HttpResponse } from '../support/http.ts';
import { installationManifest } from '../support/installations.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

interface Echo {
  backend: string;
  path: string;
  headers: Record<string, string>;
}

describe('the Gateway API through real Envoy pods', function () {
  this.timeout(240_000);
  const suffix = randomBytes(3).toString('hex');
  const installation = `gapi-${suffix}`;
  const className = `portico-${suffix}`;
  let operator: RunningOperator | undefined;
  let infra: string;
  let apps: string;
  let tlsDirectory: string;
  const hosts: TestHost[] = [];

  const apply = (object: object) => kubectlOk(['apply', '-f', '-'], JSON.stringify(object));
  const gatewayManifest = (name: string, listeners: object[]) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: infra },
    spec: { gatewayClassName: className, listeners, infrastructure: { labels: { team: 'web' }, annotations: { 'example.com/owner': 'web-team' } } },
  });
  const route = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: apps }, spec });
  const gatewayStatus = async (name: string) => (JSON.parse(await kubectlOk(['get', 'gateway', name, '-n', infra, '-o', 'json'])) as GatewayStatus).status;
  const routeParents = async (name: string) => (JSON.parse(await kubectlOk(['get', 'httproute', name, '-n', apps, '-o', 'json'])) as RouteStatus).status?.parents ?? [];
  const addressOf = async (name: string) => {
    await kubectlOk(['wait', '--for=condition=Programmed', `gateway/${name}`, '-n', infra, '--timeout=120s']);
    const address = (await gatewayStatus(name))?.addresses?.[0]?.value;
    if (!address) throw new Error(`gateway/${name} is Programmed but shows no address`);
    return address;
  };
  const get = (address: string, host: string, path: string, headers: Record<string, string> = {}) => sendRequest(`http://${address}${path}`, { headers: { host, ...headers } });
  const echo = (response: HttpResponse): Echo => {
    expect(response.status, response.body).to.equal(200);
    return JSON.parse(response.body) as Echo;
  };
  const startBackend = async (name: string) => {
    const host = await createTestHost();
    hosts.push(host);
    const backend = await host.startBackend(name, 8080);
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(apps, name, 80, [backend])));
  };
  const fleetDeployments = async () => (await kubectlOk(['get', 'deployments', '-n', infra, '-l', 'portico.dev/gateway', '-o', 'name'])).trim().split('\n').filter(Boolean).sort();

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installGatewayApiCrds();
    infra = await createNamespace('gapi-infra');
    apps = await createNamespace('gapi-apps');
    // Each fleet's Envoys get a client certificate of their own for mutual TLS to xDS.
    tlsDirectory = mkdtempSync(join(tmpdir(), 'portico-gapi-tls-'));
    operator = await runOperator(undefined, ['--envoy-xds-tls-dir', tlsDirectory]);
    await apply(installationManifest(installation, { namespace: `gw-${installation}`, gatewayAPI: { className }, envoy: { replicas: 1, drainSeconds: 1 } }));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${installation}`, '--timeout=120s']);
    await startBackend('v1');
    await startBackend('v2');
  });

  after(async () => {
    await kubectl(['delete', 'gwi', installation, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kubectl(['delete', 'gatewayclass', className, '--ignore-not-found']);
    for (const namespace of [infra, apps]) if (namespace) await deleteNamespace(namespace);
    await operator?.stop();
    for (const host of hosts) await host.destroy();
    if (tlsDirectory) rmSync(tlsDirectory, { recursive: true, force: true });
  });

  it('keeps the GatewayClass the installation asks for, Accepted, naming it in parametersRef', async () => {
    await kubectlOk(['wait', '--for=condition=Accepted', `gatewayclass/${className}`, '--timeout=60s']);
    const gatewayClass = JSON.parse(await kubectlOk(['get', 'gatewayclass', className, '-o', 'json'])) as { spec: { controllerName: string; parametersRef: { kind: string; name: string } }; status: { supportedFeatures: Array<{ name: string }> } };
    expect(gatewayClass.spec.controllerName).to.equal('portico.dev/gateway-controller');
    expect(gatewayClass.spec.parametersRef).to.include({ kind: 'GatewayInstallation', name: installation });
    expect(gatewayClass.status.supportedFeatures.map((feature) => feature.name)).to.include.members(['Gateway', 'HTTPRoute']);
  });

  it('gives a Gateway a fleet of its own, Programmed at its load-balancer address, and serves its HTTPRoutes there', async () => {
    await apply(gatewayManifest('web', [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }]));
    await apply(route('shop', {
      parentRefs: [{ name: 'web', namespace: infra }],
      hostnames: ['shop.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/cart' }, headers: [{ name: 'x-version', value: '2' }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-shop', value: 'cart' }], remove: ['x-internal'] } },
            { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'portico' }] } }],
          backendRefs: [{ name: 'v2', port: 80 }],
        },
        { backendRefs: [{ name: 'v1', port: 80 }] },
      ],
    }));
    const address = await addressOf('web');
    const deployment = JSON.parse(await kubectlOk(['get', 'deployment', 'portico-web', '-n', infra, '-o', 'json'])) as { metadata: { labels: Record<string, string>; ownerReferences: Array<{ kind: string; name: string }> } };
    expect(deployment.metadata.labels).to.include({ team: 'web' });
    expect(deployment.metadata.ownerReferences).to.deep.include({ ...deployment.metadata.ownerReferences[0], kind: 'Gateway', name: 'web' });
    const service = JSON.parse(await kubectlOk(['get', 'service', 'portico-web', '-n', infra, '-o', 'json'])) as { metadata: { annotations: Record<string, string> }; spec: { ports: Array<{ port: number }> } };
    expect(service.metadata.annotations).to.include({ 'example.com/owner': 'web-team' });
    expect(service.spec.ports.map((port) => port.port)).to.deep.equal([80]);

    const cart = await eventually('the cart rule to answer', async () => {
      const response = await get(address, 'shop.example.com', '/cart/items', { 'x-version': '2', 'x-internal': 'secret' });
      return response.status === 200 ? response : undefined;
    }, 60_000, 200);
    const body = echo(cart);
    expect(body.backend).to.equal('v2');
    expect(body.headers).to.include({ 'x-shop': 'cart' });
    expect(body.headers).to.not.have.property('x-internal');
    expect(cart.headers['x-served-by']).to.equal('portico');
    expect(echo(await get(address, 'shop.example.com', '/cart/items')).backend).to.equal('v1');
    expect(echo(await get(address, 'shop.example.com:80', '/')).backend).to.equal('v1');
    expect((await get(address, 'other.example.com', '/')).status).to.equal(404);

    const status = await gatewayStatus('web');
    expect(status?.listeners?.find((listener) => listener.name === 'http')?.attachedRoutes).to.equal(1);
    const [parent] = await routeParents('shop');
    expect(parent?.controllerName).to.equal('portico.dev/gateway-controller');
    expect(parent?.conditions.map(({ type, status: value, reason }) => ({ type, status: value, reason }))).to.deep.equal([
      { type: 'Accepted', status: 'True', reason: 'Accepted' },
      { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' },
    ]);
  });

  it('splits a rule by weight, and says BackendNotFound for a Service that does not exist while the rest serves', async () => {
    const address = await addressOf('web');
    await apply(route('split', {
      parentRefs: [{ name: 'web', namespace: infra }],
      hostnames: ['split.example.com'],
      rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 1 }, { name: 'v2', port: 80, weight: 1 }, { name: 'nowhere', port: 80, weight: 1 }] }],
    }));
    const seen = await eventually('both halves of the split to answer', async () => {
      const backends = new Set<string>();
      for (let attempt = 0; attempt < 40; attempt++) {
        const response = await get(address, 'split.example.com', '/');
        if (response.status === 200) backends.add(echo(response).backend);
      }
      return backends.size === 2 ? backends : undefined;
    }, 60_000, 200);
    expect([...seen].sort()).to.deep.equal(['v1', 'v2']);
    const refs = await eventually('the route to say which backend is missing', async () => (await routeParents('split'))[0]?.conditions.find((condition) => condition.type === 'ResolvedRefs' && condition.status === 'False'), 30_000, 200);
    expect(refs.reason).to.equal('BackendNotFound');
    expect(refs.message).to.include('nowhere');
  });

  it('adds a ListenerSet\'s listener to the Gateway it names: its port on the fleet\'s Service, routes naming the set answering there', async () => {
    const web = gatewayManifest('web', [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }]);
    await apply({ ...web, spec: { ...web.spec, allowedListeners: { namespaces: { from: 'All' } } } });
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'ListenerSet',
      metadata: { name: 'team-api', namespace: apps },
      spec: { parentRef: { name: 'web', namespace: infra }, listeners: [{ name: 'api', port: 8081, protocol: 'HTTP', hostname: 'api.example.com', allowedRoutes: { namespaces: { from: 'Same' } } }] },
    });
    await apply(route('api', {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'team-api' }],
      rules: [{ backendRefs: [{ name: 'v2', port: 80 }] }],
    }));
    await kubectlOk(['wait', '--for=condition=Accepted', 'listenerset/team-api', '-n', apps, '--timeout=60s']);
    const address = await addressOf('web');
    await eventually('the fleet\'s Service to take the set\'s port', async () => {
      const service = JSON.parse(await kubectlOk(['get', 'service', 'portico-web', '-n', infra, '-o', 'json'])) as { spec: { ports: Array<{ port: number }> } };
      return service.spec.ports.some((port) => port.port === 8081) ? true : undefined;
    }, 60_000, 200);
    const answer = await eventually('the set\'s route to answer on its port', async () => {
      const response = await sendRequest(`http://${address}:8081/`, { headers: { host: 'api.example.com' } }).catch(() => undefined);
      return response?.status === 200 ? response : undefined;
    }, 60_000, 200);
    expect(echo(answer).backend).to.equal('v2');
    // The Gateway's own listener does not serve what names only the set.
    expect((await get(address, 'api.example.com', '/')).status).to.equal(404);
    expect((await gatewayStatus('web'))?.attachedListenerSets).to.equal(1);
    await kubectlOk(['delete', 'listenerset', 'team-api', '-n', apps, '--wait=true']);
  });

  it('refuses a route from a namespace the listener does not allow, with NotAllowedByListeners', async () => {
    await apply(gatewayManifest('same-only', [{ name: 'http', port: 8080, protocol: 'HTTP' }]));
    await apply(route('from-apps', { parentRefs: [{ name: 'same-only', namespace: infra }], rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] }));
    const accepted = await eventually('the route to be told why it is not attached', async () => (await routeParents('from-apps')).find((parent) => parent.parentRef.name === 'same-only')?.conditions.find((condition) => condition.type === 'Accepted'), 60_000, 200);
    expect(accepted).to.include({ status: 'False', reason: 'NotAllowedByListeners' });
  });

  it("removes a Gateway's fleet with the Gateway, and every fleet when the installation no longer keeps the class", async () => {
    expect(await fleetDeployments()).to.deep.equal(['deployment.apps/portico-same-only', 'deployment.apps/portico-web']);
    await kubectlOk(['delete', 'gateway', 'same-only', '-n', infra, '--wait=true']);
    await eventually('the Gateway\'s fleet to go with it', async () => ((await fleetDeployments()).length === 1 ? true : undefined), 60_000, 200);
    await kubectlOk(['patch', 'gwi', installation, '--type', 'json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/gatewayAPI/className' }])]);
    await eventually('the GatewayClass to be deleted', async () => ((await kubectl(['get', 'gatewayclass', className])).code !== 0 ? true : undefined), 60_000, 200);
    await eventually('the remaining fleet to be deleted', async () => ((await fleetDeployments()).length === 0 ? true : undefined), 60_000, 200);
    expect((await kubectlOk(['get', 'secrets,configmaps,serviceaccounts,services', '-n', infra, '-l', 'portico.dev/gateway', '-o', 'name'])).trim()).to.equal('');
  });
});
