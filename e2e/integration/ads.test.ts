// The ADS server against a real Envoy started from the bootstrap the operator renders, and
// against a second, independent gRPC client.
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { expect } from 'chai';
import { pino } from 'pino';
import { withDefaults } from '../../operator/api/schema-defaults.ts';
import { renderInstallation } from '../../operator/installation/render.ts';
import { buildSnapshot, resource, SnapshotCache } from '../../xds/cache.ts';
import { aggregatedDiscoveryService, decodeAny, encodeAny, typeUrls } from '../../xds/protos.ts';
import { AdsServer, type ProxyState } from '../../xds/server.ts';
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/sotw-stream.ts';
import { startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { sendRequest } from '../support/http.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { eventually, freePort } from '../support/processes.ts';

const installation = 'xds-test';

function listener(port: number, statPrefix = 'http') {
  return resource('http', encodeAny(typeUrls.listener, {
    name: 'http',
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: statPrefix,
          rds: { route_config_name: 'routes', config_source: { ads: {}, resource_api_version: 'V3' } },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
        },
      }],
    }],
  }));
}

const emptyRoutes = resource('routes', encodeAny(typeUrls.route, { name: 'routes' }));

function routesTo(cluster: string) {
  return resource('routes', encodeAny(typeUrls.route, {
    name: 'routes',
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
  }));
}

function edsCluster(name: string) {
  return resource(name, encodeAny(typeUrls.cluster, {
    name,
    type: 'EDS',
    connect_timeout: { seconds: 2 },
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  }));
}

function endpoints(cluster: string, backends: Backend[]) {
  return resource(cluster, encodeAny(typeUrls.endpoint, {
    cluster_name: cluster,
    endpoints: [{ lb_endpoints: backends.map((backend) => ({ endpoint: { address: { socket_address: { address: backend.address, port_value: backend.port } } } })) }],
  }));
}

for (const protocol of ['sotw', 'delta'] as const) describe(`the ADS server with a real Envoy (${protocol === 'sotw' ? 'state of the world' : 'incremental'})`, function () {
  this.timeout(60_000);
  const cache = new SnapshotCache();
  const proxies = new Map<string, ProxyState>();
  const server = new AdsServer(cache, pino({ level: 'silent' }), { onProxyChange: (proxy) => proxies.set(proxy.nodeId, { ...proxy, acked: { ...proxy.acked } }) });
  let xdsPort: number;
  let listenPort: number;
  let envoy: EnvoyProcess | undefined;
  let host: TestHost | undefined;
  let backend: Backend;

  const proxy = () => proxies.get('envoy-0');
  const accepted = (typeUrl: string, version: string) => proxy()?.acked[typeUrl as keyof ProxyState['acked']] === version;

  before(async () => {
    xdsPort = await server.listen('127.0.0.1:0');
    listenPort = await freePort();
    host = await createTestHost();
    backend = await host.startBackend('xds-echo');
  });

  after(async () => {
    await envoy?.stop();
    await server.close();
    await host?.destroy();
  });

  it('programs an Envoy started from the rendered bootstrap: listeners answer 404 until routes exist', async () => {
    cache.set(installation, buildSnapshot({ [typeUrls.listener]: [listener(listenPort)], [typeUrls.route]: [emptyRoutes] }));
    const spec = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: installation }, spec: { listeners: { ports: { metrics: await freePort() } } } });
    const rendered = renderInstallation(spec, { xds: { host: '127.0.0.1', port: xdsPort, protocol }, adminPort: await freePort() });
    const configMap = rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    envoy = await startEnvoy(configMap.data['envoy-bootstrap.yaml']!, { args: ['--service-node', 'envoy-0', '--service-cluster', installation] });
    const snapshot = cache.get(installation)!;
    await eventually('Envoy to accept the listener and routes of the snapshot', () =>
      Promise.resolve(accepted(typeUrls.listener, snapshot.types.get(typeUrls.listener)!.version) && accepted(typeUrls.route, snapshot.types.get(typeUrls.route)!.version) ? true : undefined));
    const response = await eventually('the listener to answer', () => sendRequest(`http://127.0.0.1:${listenPort}/anything`).catch(() => undefined));
    expect(response.status).to.equal(404);
    expect(proxy()).to.include({ installation, connected: true });
  });

  it('routes to a backend once clusters, endpoints and routes arrive', async () => {
    cache.set(installation, buildSnapshot({
      [typeUrls.cluster]: [edsCluster('echo')],
      [typeUrls.endpoint]: [endpoints('echo', [backend])],
      [typeUrls.listener]: [listener(listenPort)],
      [typeUrls.route]: [routesTo('echo')],
    }));
    const response = await eventually('a 200 from the backend through Envoy', async () => {
      const answer = await sendRequest(`http://127.0.0.1:${listenPort}/hello`);
      return answer.status === 200 ? answer : undefined;
    });
    expect((JSON.parse(response.body) as { backend: string }).backend).to.equal('xds-echo');
  });

  it('records a rejected push with Envoy\'s own words, and Envoy keeps serving the last good config', async () => {
    const good = cache.get(installation)!;
    cache.set(installation, buildSnapshot({
      [typeUrls.cluster]: [edsCluster('echo')],
      [typeUrls.endpoint]: [endpoints('echo', [backend])],
      // Envoy's validation requires a stat_prefix: an empty one is refused.
      [typeUrls.listener]: [listener(listenPort, '')],
      [typeUrls.route]: [routesTo('echo')],
    }));
    const nack = await eventually('Envoy to reject the listener', () => Promise.resolve(proxy()?.lastNack));
    expect(nack.typeUrl).to.equal(typeUrls.listener);
    expect(nack.message).to.match(/StatPrefix: value length must be at least 1/i);
    expect(proxy()?.acked[typeUrls.listener]).to.equal(good.types.get(typeUrls.listener)?.version);
    expect((await sendRequest(`http://127.0.0.1:${listenPort}/still`)).status).to.equal(200);
  });

  it('serves a second, independent gRPC client the same resources', async () => {
    const Client = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');
    const client = new Client(`127.0.0.1:${xdsPort}`, credentials.createInsecure()) as unknown as {
      StreamAggregatedResources(): ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
      close(): void;
    };
    const call = client.StreamAggregatedResources();
    try {
      const response = await new Promise<DiscoveryResponse>((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
        call.write({ node: { id: 'second-client', cluster: installation }, type_url: typeUrls.cluster });
      });
      expect(response.type_url).to.equal(typeUrls.cluster);
      expect(response.resources.map((any) => decodeAny(any).name)).to.deep.equal(['echo']);
      expect(response.version_info).to.equal(cache.get(installation)!.types.get(typeUrls.cluster)!.version);
    } finally {
      call.end();
      client.close();
    }
  });
});
