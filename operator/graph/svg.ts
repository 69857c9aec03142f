// Renders DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): the operator's image
// has no Graphviz binary, and a subprocess per request would cost more than a page is worth.
// The WebAssembly module is instantiated on the first drawing and reused for every later one.
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/** The one Graphviz instance; a failed instantiation is forgotten, so that the next drawing tries again. */
function graphviz(): Promise<Viz> {
  viz ??= instance().catch((error: unknown) => {
    viz = undefined;
    throw error;
  });
  return viz;
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
  const result = (await graphviz()).render(dot, {
    format: 'svg',
    ...(options.idPrefix === undefined ? {} : { graphAttributes: { id: options.idPrefix } }),
  });
  if (result.status !== 'success') {
    throw new Error(`Graphviz could not render the graph: ${result.errors.map((error) => error.message.trim()).join('; ') || 'no message'}`);
  }
  return { svg: withTitleElements(result.output), warnings: result.errors.map((error) => error.message.trim()) };
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
