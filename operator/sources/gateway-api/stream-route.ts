// A TCPRoute or TLSRoute → its fragment in one Gateway's graph (its backends' clusters), the
// connections it takes on each listener it attaches to (a TLSRoute's by SNI: its hostnames on the
// listener's), and its status under each parentRef naming the Gateway. Which route a connection
// goes to when several take the same ones is stream-listeners.ts's to decide. Pure.
import { originOf } from '../../graph/origin.ts';
import type { ClusterIR } from '../../../xds/ir.ts';
import { attachRoute, gatewayApiSourceName, referringRoute, resolvedRefs, ruleSplits, type RouteTranslation } from './httproute.ts';
import type { ResolvedListener } from './listeners.ts';
import type { GatewayLookups } from './lookups.ts';
import type { Gateway, StreamRoute } from './types.ts';

export type StreamRouteKind = 'TLSRoute' | 'TCPRoute';

/** The connections a route takes on one listener, and where they go. */
export interface StreamTake {
  /** The listener's index in the build. */
  index: number;
  /** SNI names (TLS listeners); none: every connection. */
  serverNames: string[];
  /** By weight; none when no backend resolved (the connections are then closed). */
  clusters: Array<{ cluster: string; weight: number }>;
}

export interface StreamRouteTranslation extends RouteTranslation {
  takes: StreamTake[];
}

export function translateStreamRoute(kind: StreamRouteKind, route: StreamRoute, gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): StreamRouteTranslation {
  const hostnames = kind === 'TLSRoute' ? route.spec.hostnames ?? [] : [];
  const { parents, attachments } = attachRoute(kind, route, hostnames, gateway, listeners, lookups);
  const clusters: ClusterIR[] = [];
  // The CRDs allow one rule: its backends take the route's connections.
  const { splits, problem } = ruleSplits(route.spec.rules[0]?.backendRefs, referringRoute(kind, route), 'spec.rules[0]', lookups, clusters);
  const refs = resolvedRefs(problem);
  for (const parent of parents) parent.conditions.push(refs);
  const weighted = splits.map(({ cluster, weight }) => ({ cluster, weight }));
  const takes = attachments
    .filter(({ listener }) => listener.ready)
    .map(({ index, hostnames: served }) => ({ index, serverNames: kind === 'TLSRoute' ? served.filter((name) => name !== '*') : [], clusters: weighted }));
  return {
    fragment: {
      origin: originOf(gatewayApiSourceName, kind, route),
      generation: route.metadata?.generation ?? 0,
      version: String(route.metadata?.generation ?? 0),
      listeners: [],
      hosts: [],
      clusters: [...new Map(clusters.map((cluster) => [cluster.name, cluster])).values()],
      secrets: [],
      tlsChains: [],
    },
    parents,
    attachedTo: [...new Set(attachments.map(({ index }) => index))].sort((a, b) => a - b),
    takes,
  };
}
