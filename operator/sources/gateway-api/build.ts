// One Gateway's graph from its objects: its part (listeners.ts), its own fragment (misdirected
// hosts), each route's fragment by kind (HTTPRoute, GRPCRoute on HTTP tables; TLSRoute, TCPRoute
// as the chains of stream listeners) and what each route is under the Gateway. The source calls it
// with the objects of its caches, the golden tests with theirs. Pure.
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Fragment, HostClaim } from '../../graph/fragment.ts';
import { originOf } from '../../graph/origin.ts';
import type { InstallationPart } from '../../graph/installation.ts';
import { translateGRPCRoute } from './grpcroute.ts';
import { gatewayApiSourceName, translateHTTPRoute, type ParentOutcome, type RouteTranslation } from './httproute.ts';
import { backendClientCertificate, type BackendClientCertificate } from './backend-client.ts';
import { backendTlsOf, policyKey, type PolicyOutcome } from './backend-tls.ts';
import { gatewayPart, tlsParams, type ResolvedListener } from './listeners.ts';
import type { GatewayLookups } from './lookups.ts';
import { streamListeners, type StreamRouteTakes } from './stream-listeners.ts';
import { translateStreamRoute } from './stream-route.ts';
import type { AnyRoute, Gateway, GRPCRoute, HTTPRoute, ListenerSet, RouteKind, StreamRoute } from './types.ts';

/** A route with its kind: objects of every kind share names. */
export interface KindedRoute {
  kind: RouteKind;
  route: AnyRoute;
}

/** Kind/namespace/name: a route's key in builds and status keys. */
export const routeKey = ({ kind, route }: KindedRoute): string => `${kind}/${route.metadata?.namespace ?? ''}/${route.metadata?.name ?? ''}`;

export interface BuiltRoute extends KindedRoute {
  parents: ParentOutcome[];
  attachedTo: number[];
}

export interface GatewayGraph {
  part: InstallationPart;
  fragments: Fragment[];
  listeners: ResolvedListener[];
  /** By routeKey: the routes that name the Gateway (or a set of it). */
  routes: Map<string, BuiltRoute>;
  /** By policyKey: the BackendTLSPolicies naming the Services its HTTP and gRPC routes send to, as they are for it. */
  policies: Map<string, PolicyOutcome>;
  /** The certificate it shows backends, when it names one. */
  backendClient?: BackendClientCertificate;
}

/** The Services (namespace/name) a route of the HTTP family sends to. */
function routeServices({ kind, route }: KindedRoute): Array<{ namespace: string; name: string }> {
  if (kind !== 'HTTPRoute' && kind !== 'GRPCRoute') return [];
  const namespace = route.metadata?.namespace ?? '';
  return (route.spec.rules ?? []).flatMap((rule) => rule.backendRefs ?? [])
    .filter((reference) => (reference.group ?? '') === '' && (reference.kind ?? 'Service') === 'Service')
    .map((reference) => ({ namespace: reference.namespace ?? namespace, name: reference.name }));
}

/** A cluster the Gateway speaks verified TLS to shows the Gateway's client certificate. */
function withClientCertificate(fragment: Fragment, secret: string): Fragment {
  if (!fragment.clusters.some((cluster) => cluster.tls?.ca)) return fragment;
  return { ...fragment, clusters: fragment.clusters.map((cluster) => (cluster.tls?.ca ? { ...cluster, tls: { ...cluster.tls, clientCertificate: secret } } : cluster)) };
}

/** The Gateway's own fragment: the virtual hosts it claims itself (misdirected hosts). */
export function gatewayFragment(gateway: Gateway, hosts: HostClaim[]): Fragment {
  const generation = gateway.metadata?.generation ?? 0;
  return { origin: originOf(gatewayApiSourceName, 'Gateway', gateway), generation, version: String(generation), listeners: [], hosts, clusters: [], secrets: [], tlsChains: [], reads: new Set() };
}

function translateRoute({ kind, route }: KindedRoute, gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): RouteTranslation & { takes?: StreamRouteTakes['takes'] } {
  if (kind === 'HTTPRoute') return translateHTTPRoute(route as HTTPRoute, gateway, listeners, lookups);
  if (kind === 'GRPCRoute') return translateGRPCRoute(route as GRPCRoute, gateway, listeners, lookups);
  return translateStreamRoute(kind, route as StreamRoute, gateway, listeners, lookups);
}

/**
 * `listenerSets`: the sets the Gateway admits, in precedence order; `routes`: those naming the
 * Gateway or one of them; `recording`: the lookups each route is translated with and what it read.
 */
export function buildGatewayGraph(
  gateway: Gateway,
  installation: GatewayInstallation,
  lookups: GatewayLookups,
  listenerSets: readonly ListenerSet[],
  routes: Iterable<KindedRoute>,
  recording: () => { lookups: GatewayLookups; reads: ReadonlySet<string> } = () => ({ lookups, reads: new Set() }),
): GatewayGraph {
  const { part, listeners, hosts } = gatewayPart(gateway, installation, lookups, listenerSets);
  const fragments: Fragment[] = hosts.length ? [gatewayFragment(gateway, hosts)] : [];
  const built = new Map<string, BuiltRoute>();
  const streams: StreamRouteTakes[] = [];
  for (const kinded of routes) {
    const recorded = recording();
    const translation = translateRoute(kinded, gateway, listeners, recorded.lookups);
    if (!translation.parents.length) continue;
    built.set(routeKey(kinded), { ...kinded, parents: translation.parents, attachedTo: translation.attachedTo });
    fragments.push({ ...translation.fragment, reads: recorded.reads });
    if (translation.takes) streams.push({ kind: kinded.kind, route: kinded.route as StreamRoute, takes: translation.takes });
  }
  const stream = streamListeners(listeners, streams, tlsParams(installation), installation.spec.proxyProtocol.enabled);
  const policies = new Map<string, PolicyOutcome>();
  for (const service of new Map([...built.values()].flatMap(routeServices).map((service) => [`${service.namespace}/${service.name}`, service])).values()) {
    for (const outcome of backendTlsOf(service.namespace, service.name, undefined, lookups).outcomes) policies.set(policyKey(outcome.policy), outcome);
  }
  const backendClient = backendClientCertificate(gateway, lookups);
  const clientSecret = backendClient?.secret;
  return {
    part: {
      ...part,
      listeners: stream.length ? [...part.listeners, ...stream] : part.listeners,
      secrets: clientSecret ? [...part.secrets.filter((secret) => secret.name !== clientSecret.name), clientSecret].sort((a, b) => (a.name < b.name ? -1 : 1)) : part.secrets,
    },
    fragments: clientSecret ? fragments.map((fragment) => withClientCertificate(fragment, clientSecret.name)) : fragments,
    listeners,
    routes: built,
    policies,
    ...(backendClient ? { backendClient } : {}),
  };
}
