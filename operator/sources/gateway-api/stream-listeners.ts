// The Envoy listeners of a Gateway's TLS and TCP ports, from the TLSRoutes and TCPRoutes that
// take their connections: one filter chain per SNI name (TLS; a listener in Terminate mode ends TLS
// first, one in Passthrough mode passes the bytes as they come) or one for the port (TCP), each
// proxying to its route's backends by weight. Where several routes take the same connections, the
// oldest route has them (the spec's rule for routes in conflict). Pure.
import type { ListenerIR, StreamChainIR, TlsParamsIR } from '../../../xds/ir.ts';
import { byNamespacedAge } from '../../kube/age.ts';
import { envoyPort, streamProtocol, type ResolvedListener } from './listeners.ts';
import type { StreamTake } from './stream-route.ts';
import type { StreamRoute } from './types.ts';

export interface StreamRouteTakes {
  kind: string;
  route: StreamRoute;
  takes: StreamTake[];
}

const statName = (kind: string, route: StreamRoute) => `${kind.toLowerCase()}_${route.metadata?.namespace ?? ''}_${route.metadata?.name ?? ''}`;

export function streamListeners(listeners: readonly ResolvedListener[], routes: readonly StreamRouteTakes[], params: TlsParamsIR, proxyProtocol: boolean): ListenerIR[] {
  const chainsByPort = new Map<number, StreamChainIR[]>();
  /** port + SNI name ('' for any) → taken. */
  const taken = new Set<string>();
  for (const { kind, route, takes } of [...routes].sort((a, b) => byNamespacedAge(a.route, b.route))) {
    for (const take of takes) {
      const resolved = listeners[take.index];
      if (!resolved?.ready || !streamProtocol(resolved.listener.protocol)) continue;
      const port = resolved.listener.port;
      const names = (take.serverNames.length ? take.serverNames : ['']).filter((name) => !taken.has(`${port}\0${name}`));
      for (const name of names) taken.add(`${port}\0${name}`);
      // No backend: the names stay taken, and their connections are closed (no chain matches).
      if (!names.length || !take.clusters.length) continue;
      const chain: StreamChainIR = {
        statPrefix: statName(kind, route),
        serverNames: names.filter(Boolean),
        ...(resolved.terminateSecret ? { terminateSecret: resolved.terminateSecret } : {}),
        clusters: take.clusters,
      };
      chainsByPort.set(port, [...(chainsByPort.get(port) ?? []), chain]);
    }
  }
  return [...chainsByPort.entries()].sort(([a], [b]) => a - b).map(([port, chains]) => {
    const name = `listener_${port}`;
    const inspectTls = listeners.some((item) => item.ready && item.listener.port === port && item.listener.protocol === 'TLS');
    return {
      name,
      address: '0.0.0.0',
      port: envoyPort(port),
      // No table: the listener proxies connections.
      routeConfigName: `port_${port}`,
      statPrefix: name,
      ...(proxyProtocol ? { proxyProtocol: true } : {}),
      // The chain for any name last: Envoy prefers a named match anyway, people reading it too.
      streams: { chains: [...chains].sort((a, b) => Number(a.serverNames.length === 0) - Number(b.serverNames.length === 0)), inspectTls, params },
    };
  });
}
