// /debug/graph over real HTTP: the ProbeServer on a loopback port, fed by a fake graph source
// holding the drawing's golden views, asked what a person would ask with curl or a browser.
import { expect } from 'chai';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { toDot } from '../graph/dot.ts';
import { dotCase } from '../graph/testdata/dot-cases.ts';
import type { GraphView } from '../graph/view.ts';
import { debugGraphRoutes, escapeHtml, type GraphSource } from './debug-graph.ts';
import { ProbeServer } from './probes.ts';

describe('/debug/graph', () => {
  const views = new Map<string, GraphView>();
  const graphs: GraphSource = {
    installations: () => [...views.keys()],
    view: (installation) => views.get(installation),
  };
  let server: ProbeServer;
  let base: string;
  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: await response.text() };
  };

  before(async () => {
    server = new ProbeServer({ notReady: () => [], metrics: new Registry(), routes: debugGraphRoutes(graphs) }, pino({ level: 'silent' }));
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });

  after(async () => {
    await server.close();
  });

  beforeEach(() => {
    views.clear();
    // Listed out of order: the page sorts them.
    views.set('kourier', { ...dotCase('conflicting'), installation: 'kourier' });
    views.set('fresh', dotCase('empty'));
    views.set('edge', { ...dotCase('refused'), installation: 'edge' });
  });

  it('answers an installation\'s DOT', async () => {
    const response = await get('/debug/graph?installation=kourier');
    expect(response.status).to.equal(200);
    expect(response.type).to.equal('text/vnd.graphviz; charset=utf-8');
    expect(response.body).to.equal(toDot(views.get('kourier')!));
    expect((await get('/debug/graph?installation=kourier&format=dot')).body).to.equal(response.body);
  });

  it('answers an installation\'s SVG, hosts written and reasons in tooltips', async () => {
    const response = await get('/debug/graph?installation=kourier&format=svg');
    expect(response.status).to.equal(200);
    expect(response.type).to.equal('image/svg+xml');
    expect(response.body).to.match(/<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(response.body).to.include('>hello.default.example.com</text>');
    expect(response.body).to.include('<title>KIngress other/impostor&#10;conflicting: spec.rules[0].hosts: hello.default.example.com is already served by KIngress default/hello</title>');
  });

  it('refuses an unknown format, naming the parameter and the formats it takes', async () => {
    const response = await get('/debug/graph?installation=kourier&format=png');
    expect(response.status).to.equal(400);
    expect(response.body).to.equal('format=png: unknown format; the format parameter takes dot or svg\n');
    const alone = await get('/debug/graph?format=svg');
    expect(alone.status).to.equal(400);
    expect(alone.body).to.equal('format=svg draws one installation: add installation=NAME (known: edge, fresh, kourier)\n');
  });

  it('answers 404 for an unknown installation, listing the known ones', async () => {
    const response = await get('/debug/graph?installation=nope');
    expect(response.status).to.equal(404);
    expect(response.body).to.equal('no installation nope; known: edge, fresh, kourier\n');
    views.clear();
    expect((await get('/debug/graph?installation=nope')).body).to.equal('no installation nope; known: none\n');
  });

  it('serves a page that lists every installation, empty ones too, and draws each inline', async () => {
    const response = await get('/debug/graph');
    expect(response.status).to.equal(200);
    expect(response.type).to.equal('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).to.equal("default-src 'none'; style-src 'unsafe-inline'");
    const listed = [...response.body.matchAll(/<li><a href="#installation-\d+">([^<]*)<\/a><\/li>/g)].map((match) => match[1]);
    expect(listed).to.deep.equal(['edge', 'fresh', 'kourier']);
    expect(response.body).to.include('<h2>fresh</h2>\n<p>nothing routed yet');
    expect(response.body).to.include('<h2>kourier</h2>\n<p>7 nodes: 1 conflicting');
    expect(response.body).to.include('<h2>edge</h2>\n<p>7 nodes: 1 refused');
    // Two drawings inline (the empty graph has none), with no XML prologue inside the HTML.
    expect(response.body.match(/<svg /g)).to.have.length(2);
    expect(response.body).to.not.include('<?xml');
    expect(response.body).to.include('<title>KIngress default/broken&#10;refused: ');
    // The legend explains the colours.
    for (const status of ['served:', 'refused:', 'conflicting:', 'conflict edge:']) expect(response.body).to.include(status);
    // Nothing loaded from elsewhere.
    expect(response.body).to.not.match(/<(script|link|img)\b|src=|https?:\/\/(?!www\.w3\.org\/)/);
  });

  it('escapes installation names in the page and in links', async () => {
    views.set('<b>&"x"', { ...dotCase('empty'), installation: '<b>&"x"' });
    const body = (await get('/debug/graph')).body;
    expect(body).to.include('data-installation="&lt;b&gt;&amp;&quot;x&quot;">\n<h2>&lt;b&gt;&amp;&quot;x&quot;</h2>');
    expect(body).to.include(`href="?installation=${escapeHtml(encodeURIComponent('<b>&"x"'))}"`);
    expect(body).to.not.include('<b>&');
  });

  it('says when there are no installations', async () => {
    views.clear();
    expect((await get('/debug/graph')).body).to.include('<p>No installations yet.</p>');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('/debug/graph?installation=kourier', { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.body).to.equal('');
    const post = await get('/debug/graph', { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });

  it('answers 500 when the graph side fails, and keeps serving', async () => {
    const failing = new ProbeServer({
      notReady: () => [],
      metrics: new Registry(),
      routes: debugGraphRoutes({ installations: () => ['x'], view: () => { throw new Error('graph not built'); } }),
    }, pino({ level: 'silent' }));
    const port = await failing.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${port}/debug/graph?installation=x`);
      expect(response.status).to.equal(500);
      expect(await response.text()).to.equal('graph not built\n');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    } finally {
      await failing.close();
    }
  });
});
