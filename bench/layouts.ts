// How an installation's routes can be laid out for Envoy, for bench/envoy-routes.ts to compare:
//
// - single: what Portico (and Kourier) serve. Each listener asks RDS for one RouteConfiguration
//   that holds every virtual host, so one more host is a new RouteConfiguration of all of them.
// - scoped: scoped RDS. Each host gets its own RouteConfiguration, and a ScopedRouteConfiguration
//   per domain maps (listener's route table, Host) to it. Envoy gives every scoped HTTP connection
//   manager every scope, so the key carries the listener's route table name too: an early header
//   mutation sets it as a request header before the scope is looked up. A scope matches a Host
//   whole, so wildcard domains cannot be laid out this way (envoyproxy/envoy#19098).
//
// VHDS is not here: Envoy took the virtual hosts it was sent over delta ADS without an error
// and without applying them (update_success stayed 0), so there was nothing to time.
import { buildSnapshot, resource, type Resource, type Snapshot } from '../xds/cache.ts';
import type { SnapshotEncoder } from '../xds/encoder.ts';
import type { GatewayIR, VirtualHostIR } from '../xds/ir.ts';
import { encodeAny, typeUrls, type TypeUrl } from '../xds/protos.ts';
import { listenerResource, virtualHostResource } from '../xds/translate.ts';

export const layouts = ['single', 'scoped'] as const;
export type Layout = (typeof layouts)[number];

const scopeHeader = 'x-portico-route-table';
const ads = { ads: {}, resource_api_version: 'V3' };

type ConnectionManager = Record<string, unknown>;

/** The listener with its HTTP connection manager asking for scoped routes instead of one RouteConfiguration. */
function scopedListener(listener: GatewayIR['listeners'][number]): object {
  const object = listenerResource(listener) as { filter_chains: Array<{ filters: Array<{ typed_config: ConnectionManager }> }> };
  for (const chain of object.filter_chains) {
    for (const filter of chain.filters) {
      const manager = filter.typed_config;
      delete manager.rds;
      manager.scoped_routes = {
        name: listener.routeConfigName,
        scope_key_builder: { fragments: [scopeHeader, ':authority'].map((name) => ({ header_value_extractor: { name, element_separator: ';', index: 0 } })) },
        rds_config_source: ads,
        scoped_rds: { scoped_rds_config_source: ads },
      };
      // Scopes name hosts without ports.
      manager.strip_any_host_port = true;
      manager.early_header_mutation_extensions = [{
        name: 'envoy.http.early_header_mutation.header_mutation',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation',
          mutations: [{ append: { header: { key: scopeHeader, value: listener.routeConfigName }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } }],
        },
      }];
    }
  }
  return object;
}

/** Lays out snapshots the scoped way, encoding each host once per route table (as SnapshotEncoder does). */
export class ScopedLayout {
  private readonly encoder: SnapshotEncoder;
  private readonly hosts = new Map<string, WeakMap<VirtualHostIR, Resource[]>>();

  constructor(encoder: SnapshotEncoder) {
    this.encoder = encoder;
  }

  snapshotOf(ir: GatewayIR): Snapshot {
    // Clusters, endpoints and secrets as Portico encodes them; routes and listeners are laid out here.
    const shared = this.encoder.snapshotOf({ ...ir, listeners: [], routeConfigs: [] });
    const kept = (typeUrl: TypeUrl) => [...(shared.types.get(typeUrl)?.resources.values() ?? [])];
    const routes: Resource[] = [];
    const scopes: Resource[] = [];
    for (const config of ir.routeConfigs) {
      let encoded = this.hosts.get(config.name);
      if (!encoded) this.hosts.set(config.name, (encoded = new WeakMap()));
      for (const host of config.virtualHosts) {
        let made = encoded.get(host);
        if (!made) {
          const routeName = `${config.name}/${host.name}`;
          made = [
            resource(routeName, encodeAny(typeUrls.route, { name: routeName, virtual_hosts: [virtualHostResource(host)], validate_clusters: { value: false } })),
            ...host.domains.map((domain) =>
              resource(`${config.name}/${domain}`, encodeAny(typeUrls.scopedRoute, { name: `${config.name}/${domain}`, route_configuration_name: routeName, key: { fragments: [{ string_key: config.name }, { string_key: domain }] } }))),
          ];
          encoded.set(host, made);
        }
        const [route, ...hostScopes] = made;
        routes.push(route!);
        scopes.push(...hostScopes);
      }
    }
    return buildSnapshot({
      [typeUrls.cluster]: kept(typeUrls.cluster),
      [typeUrls.endpoint]: kept(typeUrls.endpoint),
      [typeUrls.secret]: kept(typeUrls.secret),
      [typeUrls.listener]: ir.listeners.map((listener) => resource(listener.name, encodeAny(typeUrls.listener, scopedListener(listener)))),
      [typeUrls.scopedRoute]: scopes,
      [typeUrls.route]: routes,
    });
  }
}
