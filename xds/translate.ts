// IR → Envoy v3 resources, as plain objects in Envoy's field names (pure), and the snapshot
// they make.
import { buildSnapshot, resource, type Snapshot } from './cache.ts';
import type { ClusterIR, GatewayIR, ListenerIR, RouteConfigIR } from './ir.ts';
import { encodeAny, typeUrls } from './protos.ts';

const ads = { ads: {}, resource_api_version: 'V3' };

export function listenerResource(listener: ListenerIR): object {
  return {
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: listener.port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: listener.statPrefix,
              rds: { route_config_name: listener.routeConfigName, config_source: ads },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
  };
}

export function routeConfigResource(config: RouteConfigIR): object {
  return {
    name: config.name,
    // Envoy answers 404 for a host or path no route matches.
    virtual_hosts: config.virtualHosts.map((host) => ({
      name: host.name,
      domains: host.domains,
      routes: host.routes.map((route) => ({ match: { prefix: route.prefix }, route: { cluster: route.cluster } })),
    })),
  };
}

export function clusterResource(cluster: ClusterIR): object {
  return {
    name: cluster.name,
    type: 'EDS',
    connect_timeout: { seconds: cluster.connectTimeoutSeconds },
    eds_cluster_config: { eds_config: ads },
  };
}

export function endpointResource(cluster: ClusterIR): object {
  return {
    cluster_name: cluster.name,
    endpoints: [{ lb_endpoints: cluster.endpoints.map(({ address, port }) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } })) }],
  };
}

/** Every Envoy resource of the IR, by type, as plain objects (what the golden files hold). */
export function translate(ir: GatewayIR): Record<string, object[]> {
  return {
    [typeUrls.cluster]: ir.clusters.map(clusterResource),
    [typeUrls.endpoint]: ir.clusters.map(endpointResource),
    [typeUrls.listener]: ir.listeners.map(listenerResource),
    [typeUrls.route]: ir.routeConfigs.map(routeConfigResource),
  };
}

/** The snapshot of an IR: every resource encoded as Any. */
export function snapshotOf(ir: GatewayIR): Snapshot {
  return buildSnapshot({
    [typeUrls.cluster]: ir.clusters.map((cluster) => resource(cluster.name, encodeAny(typeUrls.cluster, clusterResource(cluster)))),
    [typeUrls.endpoint]: ir.clusters.map((cluster) => resource(cluster.name, encodeAny(typeUrls.endpoint, endpointResource(cluster)))),
    [typeUrls.listener]: ir.listeners.map((listener) => resource(listener.name, encodeAny(typeUrls.listener, listenerResource(listener)))),
    [typeUrls.route]: ir.routeConfigs.map((config) => resource(config.name, encodeAny(typeUrls.route, routeConfigResource(config)))),
  });
}
