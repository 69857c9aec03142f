// Draws one installation's routing graph (a GraphView) as Graphviz DOT: left to right from
// listeners to clusters, one shape and colour per kind of node, what is not served filled red
// (refused) or orange (conflicting) with a dashed outline and the reason in its tooltip, and
// conflict edges dashed red. Pure and deterministic: the same view, in any order, gives the
// same text, so that golden files and caches can compare it.
import type { GraphEdge, GraphNode, GraphView, NodeKind, NodeStatus } from './view.ts';

/** How each kind of node looks: its shape and, when served, its fill. */
export const kindStyles: Record<NodeKind, { shape: string; fill: string; title: string }> = {
  listener: { shape: 'cds', fill: '#cfe2ff', title: 'listener' },
  table: { shape: 'tab', fill: '#e2d9f3', title: 'route table' },
  virtualHost: { shape: 'box', fill: '#d1e7dd', title: 'virtual host' },
  route: { shape: 'rarrow', fill: '#f1f3f5', title: 'route' },
  cluster: { shape: 'box3d', fill: '#cff4fc', title: 'cluster' },
  secret: { shape: 'octagon', fill: '#fff8e1', title: 'secret' },
  object: { shape: 'ellipse', fill: '#ffffff', title: 'source object' },
};

/**
 * How a status overrides a node's look: served nodes keep their kind's fill and a solid grey
 * outline; refused and conflicting ones take these colours whatever their kind. The page's
 * legend reads the same table, so that the two never disagree.
 */
export const statusStyles: Record<NodeStatus, { fill?: string; outline: string; dashed: boolean; meaning: string }> = {
  served: { outline: '#495057', dashed: false, meaning: 'served: in the configuration the Envoys get' },
  refused: { fill: '#f8d7da', outline: '#dc3545', dashed: true, meaning: 'refused: its translator rejected it; the tooltip names the field' },
  conflicting: { fill: '#ffe5b4', outline: '#fd7e14', dashed: true, meaning: 'conflicting: an older object holds what it claims; the tooltip names the winner' },
};

/** The colour of conflict edges (a losing object to what it claimed). */
export const conflictEdgeColour = '#dc3545';

/** Listeners first, clusters and secrets last: the order the picture reads in, left to right. */
const kindOrder: NodeKind[] = ['object', 'listener', 'table', 'virtualHost', 'route', 'cluster', 'secret'];

/**
 * A DOT quoted string holding `text` exactly as a person should read it. DOT itself only
 * unescapes \" ; Graphviz then reads backslash sequences (\n, \l, \N, …) in labels and tooltips,
 * so a backslash is doubled, and a newline becomes \n (a centred line break). Graphviz also
 * decodes HTML entities in labels, so & is written &amp; : "&lt;" stays four characters.
 */
export function dotString(text: string): string {
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('&', '&amp;')
    .replaceAll(/\r\n|\r|\n/g, '\\n');
  return `"${escaped}"`;
}

/**
 * A DOT quoted identifier. Identifiers are only compared, never shown, so the escaping needs to
 * be one-to-one and parse, not to read well: no entity decoding here, a newline is written \n
 * (a doubled backslash before it keeps \\n and a real newline apart).
 */
export function dotId(id: string): string {
  return `"${id.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll(/\r\n|\r|\n/g, '\\n')}"`;
}

function attributes(pairs: Array<[string, string | undefined]>): string {
  const written = pairs.filter((pair): pair is [string, string] => pair[1] !== undefined).map(([key, value]) => `${key}=${value}`);
  return written.length === 0 ? '' : ` [${written.join(', ')}]`;
}

/** What hovering a node says: where it came from (objects and hosts), and why it is not served. */
function tooltip(node: GraphNode): string | undefined {
  const lines: string[] = [];
  if (node.origin && (node.kind === 'virtualHost' || node.kind === 'object' || node.status !== 'served')) lines.push(node.origin);
  if (node.status !== 'served') lines.push(node.reason ? `${node.status}: ${node.reason}` : node.status);
  return lines.length === 0 ? undefined : lines.join('\n');
}

function nodeLine(node: GraphNode): string {
  const kind = kindStyles[node.kind];
  const status = statusStyles[node.status];
  // The status is also written under the label, so that it reads without colour.
  const label = node.status === 'served' ? node.label : `${node.label}\n(${node.status})`;
  const style = ['filled', ...(node.kind === 'virtualHost' ? ['rounded'] : []), ...(status.dashed ? ['dashed'] : [])].join(',');
  const tip = tooltip(node);
  return `  ${dotId(node.id)}${attributes([
    ['label', dotString(label)],
    ['shape', kind.shape],
    ['style', dotString(style)],
    ['fillcolor', dotString(status.fill ?? kind.fill)],
    ['color', dotString(status.outline)],
    ['penwidth', node.status === 'served' ? undefined : '2'],
    ['tooltip', tip === undefined ? undefined : dotString(tip)],
  ])};`;
}

function edgeLine(edge: GraphEdge, nodes: Map<string, GraphNode>): string {
  if (!edge.conflict) return `  ${dotId(edge.from)} -> ${dotId(edge.to)};`;
  const loser = nodes.get(edge.from);
  const tip = loser?.reason ? `conflict: ${loser.reason}` : 'conflict';
  // constraint=false: a conflict edge points back at an older object's host, and must not
  // pull the loser into that host's rank and scramble the left-to-right reading.
  return `  ${dotId(edge.from)} -> ${dotId(edge.to)}${attributes([
    ['style', 'dashed'],
    ['color', dotString(conflictEdgeColour)],
    ['penwidth', '2'],
    ['constraint', 'false'],
    ['tooltip', dotString(tip)],
  ])};`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The view as a DOT digraph named after its installation. Nodes are written by kind (in
 * reading order) then id, edges by their ends; an edge repeated in the view is drawn once.
 * An edge may name a node the view lacks: Graphviz then draws a bare node, which shows the
 * slip instead of hiding it.
 */
export function toDot(view: GraphView): string {
  const nodes = [...view.nodes].sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || compare(a.id, b.id));
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges = new Map<string, GraphEdge>();
  for (const edge of view.edges) {
    const key = JSON.stringify([edge.from, edge.to, edge.conflict === true]);
    if (!edges.has(key)) edges.set(key, edge);
  }
  const sortedEdges = [...edges.entries()].sort(([a], [b]) => compare(a, b)).map(([, edge]) => edge);
  return [
    `digraph ${dotId(view.installation)} {`,
    `  graph [rankdir=LR, label=${dotString(`installation ${view.installation}`)}, labelloc=t, labeljust=l, fontname="Helvetica", nodesep=0.3, ranksep=0.6];`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [color="#868e96", arrowsize=0.7];',
    ...nodes.map(nodeLine),
    ...sortedEdges.map((edge) => edgeLine(edge, byId)),
    '}',
    '',
  ].join('\n');
}
