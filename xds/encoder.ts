// IR → snapshot, at the cost of what changed. The encoder remembers the encoding of every IR
// object it has seen (by identity, so nothing is kept once the IR lets go of it): a source that
// hands back the same ClusterIR or VirtualHostIR objects for what did not change makes their
// Envoy resources free. A RouteConfiguration's bytes are its virtual hosts' bytes laid end to
// end, so a route table of thousands of hosts is re-encoded one host at a time, not whole.
import protobuf from 'protobufjs';
import { buildSnapshot, resource, type Resource, type Snapshot } from './cache.ts';
import type { ClusterIR, GatewayIR, ListenerIR, RouteConfigIR, SecretIR, VirtualHostIR } from './ir.ts';
import { encodeAny, envoyRoot, typeUrls, type Any } from './protos.ts';
import { clusterResource, edsClusters, endpointResource, listenerResource, routeAuthorizationsOf, routeConfigResource, secretResource, virtualHostResource } from './translate.ts';

/** Field number of RouteConfiguration.virtual_hosts (envoy/config/route/v3/route.proto). */
const virtualHostsField = 2;

function encodeMessage(typeName: string, object: object): Uint8Array {
  const type = envoyRoot().lookupType(typeName);
  const message = type.fromObject(object);
  const problem = type.verify(message);
  if (problem) throw new Error(`${typeName}: ${problem}`);
  return type.encode(message).finish();
}

/** Values kept by the IR object they were made from: IR objects are never mutated, so identity is content. */
class Memo<K extends object, V> {
  private readonly values = new WeakMap<K, V>();

  get(key: K, make: () => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      value = make();
      this.values.set(key, value);
    }
    return value;
  }
}

export class SnapshotEncoder {
  private readonly clusters = new Memo<ClusterIR, Resource>();
  private readonly endpoints = new Memo<ClusterIR, Resource>();
  /** A listener's encoding with the route authorization services it was made with (its table's). */
  private readonly listeners = new WeakMap<ListenerIR, { authorizations: string; resource: Resource }>();
  private readonly secrets = new Memo<SecretIR, Resource>();
  /** A virtual host as it sits inside a RouteConfiguration: field tag, length, message. */
  private readonly virtualHosts = new Memo<VirtualHostIR, Uint8Array>();

  snapshotOf(ir: GatewayIR): Snapshot {
    const eds = edsClusters(ir.clusters);
    return buildSnapshot({
      [typeUrls.cluster]: ir.clusters.map((cluster) => this.clusters.get(cluster, () => resource(cluster.name, encodeAny(typeUrls.cluster, clusterResource(cluster))))),
      [typeUrls.endpoint]: eds.map((cluster) => this.endpoints.get(cluster, () => resource(cluster.name, encodeAny(typeUrls.endpoint, endpointResource(cluster))))),
      [typeUrls.listener]: ir.listeners.map((listener) => this.listener(ir, listener)),
      // A build makes new route configurations; their hosts' bytes are what is kept.
      [typeUrls.route]: ir.routeConfigs.map((config) => resource(config.name, this.routeConfiguration(config))),
      [typeUrls.secret]: (ir.secrets ?? []).map((secret) => this.secrets.get(secret, () => resource(secret.name, encodeAny(typeUrls.secret, secretResource(secret))))),
    });
  }

  private listener(ir: GatewayIR, listener: ListenerIR): Resource {
    const services = routeAuthorizationsOf(ir, listener.routeConfigName);
    const authorizations = services.length ? JSON.stringify(services) : '';
    const kept = this.listeners.get(listener);
    if (kept?.authorizations === authorizations) return kept.resource;
    const made = resource(listener.name, encodeAny(typeUrls.listener, listenerResource(listener, services)));
    this.listeners.set(listener, { authorizations, resource: made });
    return made;
  }

  /** The RouteConfiguration's bytes: what comes before the virtual hosts, the hosts, what comes after; as protobufjs would write it whole. */
  private routeConfiguration(config: RouteConfigIR): Any {
    const { name, ...after } = routeConfigResource({ ...config, virtualHosts: [] }) as { name: string; virtual_hosts?: unknown };
    delete after.virtual_hosts;
    const hosts = config.virtualHosts.map((host) =>
      this.virtualHosts.get(host, () => {
        const message = encodeMessage('envoy.config.route.v3.VirtualHost', virtualHostResource(host));
        return protobuf.Writer.create().uint32((virtualHostsField << 3) | 2).bytes(message).finish();
      }));
    const type = 'envoy.config.route.v3.RouteConfiguration';
    return { type_url: typeUrls.route, value: Buffer.concat([encodeMessage(type, { name }), ...hosts, encodeMessage(type, after)]) };
  }
}

/** The snapshot of an IR, every resource encoded afresh. */
export function snapshotOf(ir: GatewayIR): Snapshot {
  return new SnapshotEncoder().snapshotOf(ir);
}
