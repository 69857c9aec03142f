// The drawings as a person sees them: every golden case through the real Graphviz (WebAssembly),
// then the SVG's text and tooltips read back as a browser would show them.
import { expect } from 'chai';
import { toDot } from './dot.ts';
import { dotToSvg, renderSvg, svgElement } from './svg.ts';
import { dotCase, dotCases } from './testdata/dot-cases.ts';
import type { GraphView } from './view.ts';

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** XML text as a browser reads it. */
function decode(text: string): string {
  return text.replaceAll(/&(#x[0-9a-f]+|#[0-9]+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return entities[entity] ?? whole;
  });
}
const elements = (svg: string, tag: string) => [...svg.matchAll(new RegExp(`<${tag}\\b[^>]*>([^<]*)</${tag}>`, 'g'))].map((match) => decode(match[1]!));

describe('dotToSvg', () => {
  for (const name of dotCases) {
    it(`renders the ${name} case without a warning`, async () => {
      const { svg, warnings } = await renderSvg(toDot(dotCase(name)));
      expect(warnings).to.deep.equal([]);
      expect(svgElement(svg)).to.match(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    });
  }

  it('writes a host\'s name in its node and the reason of a refused object in its tooltip', async () => {
    const svg = await dotToSvg(toDot(dotCase('refused')));
    expect(elements(svg, 'text')).to.include('hello.default.example.com');
    expect(elements(svg, 'title')).to.include('KIngress default/broken\nrefused: spec.rules[0].http.paths[0].splits[0].servicePort: Service default/missing has no port 80');
  });

  it('names the winner in the tooltip of a conflicting object and of its conflict edge', async () => {
    const titles = elements(await dotToSvg(toDot(dotCase('conflicting'))), 'title');
    expect(titles).to.include('KIngress other/impostor\nconflicting: spec.rules[0].hosts: hello.default.example.com is already served by KIngress default/hello');
    expect(titles).to.include('conflict: spec.rules[0].hosts: hello.default.example.com is already served by KIngress default/hello');
  });

  it('shows quotes, backslashes, newlines and entities as they were written', async () => {
    const svg = await dotToSvg(toDot(dotCase('quoting')));
    const texts = elements(svg, 'text');
    expect(texts).to.include.members(['say "hi".example.com', 'C:\\path\\n', 'first line', 'second line', 'installation odd "name"']);
    expect(elements(svg, 'title')).to.include('KIngress default/odd\nrefused: spec.rules[0].http.paths[0].path: "/a\\"b" is not a valid path;\nuse &lt; for <');
  });

  it('prefixes element ids when asked, so that drawings share a page', async () => {
    const svg = await dotToSvg(toDot(dotCase('served')), { idPrefix: 'graph-2' });
    const ids = [...svg.matchAll(/ id="([^"]*)"/g)].map((match) => decode(match[1]!));
    expect(ids).to.not.be.empty;
    for (const id of ids) expect(id).to.match(/^(a_)?graph-2/);
    await expectRejection(dotToSvg('digraph {}', { idPrefix: '"><script>' }), 'idPrefix');
  });

  it('lays out off the main thread, which keeps running meanwhile', async () => {
    // Graphviz takes a good part of a second over a thousand hosts. Counting turns of the event
    // loop while it works tells a worker (thousands of turns) from a render on this thread,
    // which holds the loop from start to end (none, or the few around it).
    const view: GraphView = { installation: 'big', nodes: [{ id: 't', kind: 'table', label: 'external', status: 'served' }], edges: [] };
    for (let index = 0; index < 1000; index++) {
      view.nodes.push({ id: `h${index}`, kind: 'virtualHost', label: `host${index}.example.com`, status: 'served' }, { id: `c${index}`, kind: 'cluster', label: `default/svc${index}/80/http1`, status: 'served' });
      view.edges.push({ from: 't', to: `h${index}` }, { from: `h${index}`, to: `c${index}` });
    }
    const state = { done: false };
    let turns = 0;
    const drawing = dotToSvg(toDot(view)).finally(() => { state.done = true; });
    while (!state.done) await new Promise<void>((resolve) => { setImmediate(() => { turns++; resolve(); }); });
    expect(elements(await drawing, 'text')).to.include('host999.example.com');
    expect(turns).to.be.greaterThan(100);
  });

  it('says why Graphviz could not render', async () => {
    await expectRejection(dotToSvg('digraph { a -> }'), 'Graphviz could not render the graph: ');
  });
});

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).to.be.instanceOf(Error);
  expect((error as Error).message).to.include(message);
}
