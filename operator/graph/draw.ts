// One installation's graph as a picture sees it (graph/view.ts): listeners → route tables →
// the virtual hosts of served objects → their routes → clusters, TLS listeners → certificates,
// and every object of every source, the refused and conflicting ones marked with their reason
// and a conflict edge to the object that holds what they claimed. Pure.
import type { HeaderMatchIR, RouteIR } from '../../xds/ir.ts';
import { describePathMatch } from '../../xds/path-match.ts';
import type { InstallationGraph } from './merge.ts';
import { describe } from './origin.ts';
import type { GraphEdge, GraphNode, GraphView } from './view.ts';

const matchLabel = (prefix: string) => (match: HeaderMatchIR) => `${prefix}${match.name}${match.exact !== undefined ? `: ${match.exact}` : match.regex !== undefined ? ` ~ ${match.regex}` : ' present'}`;

function routeLabel(route: RouteIR): string {
  const match = [
    `${route.method ? `${route.method} ` : ''}${describePathMatch(route)}`,
    ...(route.headers ?? []).map(matchLabel('')),
    ...(route.query ?? []).map(matchLabel('?')),
  ].join('\n');
  if (route.redirect) return `${match}\n→ redirect${'httpsRedirect' in route.redirect ? ' to https' : ''}`;
  if (route.direct) return `${match}\n→ ${route.direct.status} from Envoy`;
  return match;
}

export function drawGraph(installation: string, graph: InstallationGraph): GraphView {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const node = (item: GraphNode) => {
    if (!nodes.has(item.id)) nodes.set(item.id, item);
    return item.id;
  };
  const ir = graph.resources();
  const clusterNames = new Set(ir.clusters.map((cluster) => cluster.name));
  const cluster = (name: string) => node({ id: `cluster:${name}`, kind: 'cluster', label: name, status: clusterNames.has(name) ? 'served' : 'refused', ...(clusterNames.has(name) ? {} : { reason: 'not among the installation\'s clusters' }) });

  for (const listener of ir.listeners) {
    const id = node({ id: `listener:${listener.name}`, kind: 'listener', label: `${listener.name}\n${listener.address}:${listener.port}${listener.tls ? ' (TLS)' : listener.streams ? ' (TCP proxy)' : ''}`, status: 'served' });
    // A proxying listener has no table: its chains go to clusters straight.
    for (const chain of listener.streams?.chains ?? []) for (const split of chain.clusters) edges.push({ from: id, to: cluster(split.cluster) });
    if (listener.streams) continue;
    edges.push({ from: id, to: node({ id: `table:${listener.routeConfigName}`, kind: 'table', label: listener.routeConfigName, status: 'served' }) });
    for (const chain of listener.tls?.chains ?? []) {
      const label = `${chain.secret}\n${chain.serverNames.length ? chain.serverNames.join(', ') : 'any other name'}`;
      edges.push({ from: id, to: node({ id: `secret:${listener.name}:${chain.secret}:${chain.serverNames.join(',')}`, kind: 'secret', label, status: 'served' }) });
    }
  }
  for (const config of ir.routeConfigs) node({ id: `table:${config.name}`, kind: 'table', label: config.name, status: 'served' });
  for (const name of clusterNames) cluster(name);

  const objects = [...graph.objects()];
  const objectIds = new Map(objects.map(({ fragment }) => [describe(fragment.origin), `object:${fragment.origin.key}`]));
  for (const { fragment, outcome } of objects) {
    const origin = describe(fragment.origin);
    const objectId = node({
      id: `object:${fragment.origin.key}`,
      kind: 'object',
      label: origin,
      status: outcome.status,
      origin,
      ...(outcome.status === 'served' ? {} : { reason: `${outcome.reason}: ${outcome.message}` }),
    });
    if (outcome.status === 'conflicting') {
      const winner = objectIds.get(outcome.winner);
      if (winner && winner !== objectId) edges.push({ from: objectId, to: winner, conflict: true });
      continue;
    }
    if (outcome.status !== 'served') continue;
    for (const claim of fragment.hosts) {
      const hostId = node({ id: `host:${claim.table}:${claim.host.name}`, kind: 'virtualHost', label: claim.host.domains.filter((domain) => !domain.endsWith(':*')).join('\n'), status: 'served', origin });
      edges.push({ from: `table:${claim.table}`, to: hostId }, { from: objectId, to: hostId });
      for (const [index, route] of claim.host.routes.entries()) {
        const routeId = node({ id: `${hostId}#${index}`, kind: 'route', label: routeLabel(route), status: 'served', origin });
        edges.push({ from: hostId, to: routeId });
        for (const split of route.forward?.clusters ?? []) edges.push({ from: routeId, to: cluster(split.cluster) });
      }
    }
  }
  return { installation, nodes: [...nodes.values()], edges };
}
