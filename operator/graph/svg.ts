// Renders DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): the operator's image
// has no Graphviz binary, and a subprocess per request would cost more than a page is worth.
// Graphviz runs in one worker thread (graph/svg-worker.ts), started on the first drawing and
// kept for the next ones, so that laying out a large graph never blocks the main thread.
import { Worker } from 'node:worker_threads';
import type { RenderReply, RenderRequest } from './svg-worker.ts';

interface Pending {
  resolve: (reply: RenderReply) => void;
  reject: (error: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

/** The worker, started if need be. One that failed or exited is forgotten, so that the next drawing starts another. */
function graphviz(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./svg-worker.ts', import.meta.url));
  started.on('message', (reply: RenderReply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) started.unref();
    waiting?.resolve(reply);
  });
  const fail = (error: Error) => {
    if (worker === started) worker = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => { fail(new Error(`the Graphviz worker exited with code ${code}`)); });
  worker = started;
  return started;
}

function render(request: Omit<RenderRequest, 'id'>): Promise<RenderReply> {
  const id = nextId++;
  return new Promise<RenderReply>((resolve, reject) => {
    const thread = graphviz();
    pending.set(id, { resolve, reject });
    // Referenced while a drawing is awaited, unreferenced when idle: an idle worker must not
    // keep the operator (or a test run) from exiting, and a busy one must not let it exit first.
    thread.ref();
    thread.postMessage({ id, ...request } satisfies RenderRequest);
  });
}

export interface SvgOptions {
  /**
   * Prefixes the ids of the SVG's elements (Graphviz writes node1, edge1, … otherwise), so that
   * several drawings inlined in one page keep their ids unique. Letters, digits, - and _ only.
   */
  idPrefix?: string;
}

/**
 * Graphviz puts a node's tooltip in its anchor's xlink:title, which SVG 2 deprecates and not
 * every viewer shows; a <title> child is the standard tooltip. The attribute's value is already
 * escaped for XML, so it is valid text content as it stands.
 */
function withTitleElements(svg: string): string {
  return svg.replaceAll(/<a\b[^>]*?\sxlink:title="([^"]*)"[^>]*>/g, (anchor, title: string) => `${anchor}<title>${title}</title>`);
}

/** The SVG drawing of `dot` and Graphviz's warnings; throws with Graphviz's messages if it cannot be rendered. */
export async function renderSvg(dot: string, options: SvgOptions = {}): Promise<{ svg: string; warnings: string[] }> {
  if (options.idPrefix !== undefined && !/^[A-Za-z][\w-]*$/.test(options.idPrefix)) throw new Error(`idPrefix ${JSON.stringify(options.idPrefix)}: letters, digits, - and _ only, starting with a letter`);
  const reply = await render({ dot, options: { format: 'svg', ...(options.idPrefix === undefined ? {} : { graphAttributes: { id: options.idPrefix } }) } });
  if (reply.status !== 'success') throw new Error(`Graphviz could not render the graph: ${reply.messages.join('; ') || 'no message'}`);
  return { svg: withTitleElements(reply.output), warnings: reply.messages };
}

/** The SVG drawing of `dot`; throws with Graphviz's messages if it cannot be rendered. */
export async function dotToSvg(dot: string, options: SvgOptions = {}): Promise<string> {
  return (await renderSvg(dot, options)).svg;
}

/** The SVG element alone, without the XML declaration, doctype and comments before it: for inlining in HTML. */
export function svgElement(svg: string): string {
  const start = svg.indexOf('<svg');
  return start < 0 ? svg : svg.slice(start);
}
