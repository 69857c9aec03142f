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
  return { part: stream.length ? { ...part, listeners: [...part.listeners, ...stream] } : part, fragments, listeners, routes: built };
}
