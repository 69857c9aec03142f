// /debug/graph on the operator's HTTP server: each installation's routing graph as DOT or SVG
// (?installation=NAME[&format=dot|svg]), and without an installation a page that draws them all
// with a legend. The page is self-contained (inline SVG, inline style, no script): the operator
// often runs where nothing outside the cluster is reachable, and inline SVG keeps its tooltips.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { conflictEdgeColour, kindStyles, statusStyles, toDot } from '../graph/dot.ts';
import { dotToSvg, svgElement } from '../graph/svg.ts';
import type { GraphView, NodeKind, NodeStatus } from '../graph/view.ts';

/** What the endpoint reads: the installations that have a graph, and one's view of it. */
export interface GraphSource {
  installations(): string[];
  /** The installation's graph as drawn now; undefined when there is no such installation. */
  view(installation: string): GraphView | undefined;
}

export const debugGraphPath = '/debug/graph';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const formats = { dot: 'text/vnd.graphviz; charset=utf-8', svg: 'image/svg+xml' } as const;
type Format = keyof typeof formats;
const isFormat = (value: string): value is Format => Object.hasOwn(formats, value);

// Nothing on these pages loads anything or runs a script; the policy says so to the browser too.
const commonHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
};

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const knownList = (names: string[]) => (names.length === 0 ? 'none' : names.join(', '));

/** The routes to add to the ProbeServer: `debugGraphPath` only. */
export function debugGraphRoutes(graphs: GraphSource): Record<string, Handler> {
  return {
    [debugGraphPath]: (request, response) => {
      const send = (status: number, contentType: string, body: string, headers: Record<string, string> = {}) => {
        response.writeHead(status, { ...commonHeaders, 'content-type': contentType, ...headers });
        response.end(request.method === 'HEAD' ? undefined : body);
      };
      // A failure of the graph's side answers 500 to this request; it must never throw out of
      // the server's handler, which would take the whole operator down with it.
      serve(graphs, request, send).catch((error: unknown) => {
        if (!response.headersSent) send(500, 'text/plain; charset=utf-8', `${error instanceof Error ? error.message : String(error)}\n`);
        else response.destroy();
      });
    },
  };
}

type Send = (status: number, contentType: string, body: string, headers?: Record<string, string>) => void;

async function serve(graphs: GraphSource, request: IncomingMessage, send: Send): Promise<void> {
  const text = (status: number, body: string, headers: Record<string, string> = {}) => { send(status, 'text/plain; charset=utf-8', `${body}\n`, headers); };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    text(405, `${request.method ?? 'this method'} is not allowed here; use GET`, { allow: 'GET, HEAD' });
    return;
  }
  const query = new URL(request.url ?? '/', 'http://operator').searchParams;
  const installation = query.get('installation');
  const format = query.get('format');
  const known = [...graphs.installations()].sort();
  if (format !== null && !isFormat(format)) {
    text(400, `format=${format}: unknown format; the format parameter takes ${Object.keys(formats).join(' or ')}`);
    return;
  }
  if (installation === null) {
    if (format !== null) text(400, `format=${format} draws one installation: add installation=NAME (known: ${knownList(known)})`);
    else send(200, 'text/html; charset=utf-8', await page(graphs, known));
    return;
  }
  const view = graphs.view(installation);
  if (!view) {
    text(404, `no installation ${installation}; known: ${knownList(known)}`);
    return;
  }
  const dot = toDot(view);
  if (format === 'svg') send(200, formats.svg, await dotToSvg(dot));
  else send(200, formats.dot, dot);
}

const statusOrder: NodeStatus[] = ['served', 'refused', 'conflicting'];

/** "7 nodes: 1 refused, 1 conflicting", or "nothing routed yet". */
function summary(view: GraphView): string {
  if (view.nodes.length === 0) return 'nothing routed yet';
  const unserved = statusOrder.slice(1).map((status) => [status, view.nodes.filter((node) => node.status === status).length] as const).filter(([, count]) => count > 0);
  const nodes = `${view.nodes.length} node${view.nodes.length === 1 ? '' : 's'}`;
  return unserved.length === 0 ? `${nodes}, all served` : `${nodes}: ${unserved.map(([status, count]) => `${count} ${status}`).join(', ')}`;
}

/** The legend's swatch for a status, in the colours the drawing uses. */
function statusSwatch(status: NodeStatus): string {
  const style = statusStyles[status];
  const fill = style.fill ?? '#ffffff';
  return `<li><span class="swatch" style="background:${fill};border:2px ${style.dashed ? 'dashed' : 'solid'} ${style.outline}"></span>${escapeHtml(style.meaning)}</li>`;
}

function legend(): string {
  const kinds = (Object.keys(kindStyles) as NodeKind[]).map((kind) => `<span class="kind"><span class="swatch" style="background:${kindStyles[kind].fill}"></span>${escapeHtml(kindStyles[kind].title)}</span>`);
  return [
    '<section class="legend" aria-label="legend">',
    '<ul>',
    ...statusOrder.map(statusSwatch),
    `<li><span class="edge" style="border-top:2px dashed ${conflictEdgeColour}"></span>conflict edge: from the object that lost to what it claimed</li>`,
    '</ul>',
    `<p>Served nodes are filled by kind: ${kinds.join(' ')}. Hover a node for the object it came from and why it is not served.</p>`,
    '</section>',
  ].join('\n');
}

/** One installation's section: its name, a summary, links to its DOT and SVG, and its drawing inline. */
async function section(graphs: GraphSource, installation: string, index: number): Promise<string> {
  const anchor = `installation-${index}`;
  const view = graphs.view(installation);
  const query = `?installation=${encodeURIComponent(installation)}`;
  const head = [
    `<section id="${anchor}" class="installation" data-installation="${escapeHtml(installation)}">`,
    `<h2>${escapeHtml(installation)}</h2>`,
  ];
  if (!view) return [...head, '<p>no graph: the installation is gone</p>', '</section>'].join('\n');
  let drawing: string;
  if (view.nodes.length === 0) drawing = '';
  else {
    try {
      drawing = `<div class="graph">${svgElement(await dotToSvg(toDot(view), { idPrefix: `graph-${index}` }))}</div>`;
    } catch (error) {
      drawing = `<p class="error">${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
    }
  }
  return [
    ...head,
    `<p>${escapeHtml(summary(view))} · <a href="${escapeHtml(query)}">DOT</a> · <a href="${escapeHtml(`${query}&format=svg`)}">SVG</a></p>`,
    drawing,
    '</section>',
  ].filter(Boolean).join('\n');
}

/** The page of every installation's graph. Links are relative, so that it also works behind a proxy's path prefix. */
async function page(graphs: GraphSource, installations: string[]): Promise<string> {
  const sections: string[] = [];
  for (const [index, installation] of installations.entries()) sections.push(await section(graphs, installation, index));
  const contents = installations.length === 0
    ? '<p>No installations yet.</p>'
    : `<nav><ul class="installations">\n${installations.map((name, index) => `<li><a href="#installation-${index}">${escapeHtml(name)}</a></li>`).join('\n')}\n</ul></nav>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Portico routing graphs</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5rem; color: #212529; }
h2 { margin-top: 2rem; border-bottom: 1px solid #dee2e6; }
.legend ul, .installations { padding-left: 1rem; }
.legend li { list-style: none; margin: 0.2rem 0; }
.swatch { display: inline-block; width: 1.4em; height: 0.9em; margin-right: 0.4em; vertical-align: middle; border: 1px solid #495057; }
.edge { display: inline-block; width: 2em; margin-right: 0.4em; vertical-align: middle; }
.kind { white-space: nowrap; margin-right: 0.6em; }
.graph { overflow: auto; }
.error { color: #dc3545; }
</style>
</head>
<body>
<h1>Routing graphs</h1>
${legend()}
${contents}
${sections.join('\n')}
</body>
</html>
`;
}
