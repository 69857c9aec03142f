// Golden files: testdata/dot/<case>/view.yaml (a GraphView) beside expected.dot (its drawing).
// PORTICO_UPDATE_GOLDEN=1 rewrites the expected files; review the diff. svg.test.ts renders
// every case with Graphviz, which proves that the DOT parses and reads as written.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dotId, dotString, toDot } from './dot.ts';
import { casesDirectory, dotCase, dotCases } from './testdata/dot-cases.ts';
import type { GraphView } from './view.ts';

describe('toDot (golden files)', () => {
  for (const name of dotCases) {
    it(name, () => {
      const actual = toDot(dotCase(name));
      const expectedFile = new URL(`${name}/expected.dot`, casesDirectory);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }
});

describe('toDot', () => {
  it('draws left to right', () => {
    expect(toDot(dotCase('served'))).to.match(/graph \[rankdir=LR,/);
  });

  it('gives the same text for the same view in any order', () => {
    const view = dotCase('conflicting');
    const shuffled: GraphView = { ...view, nodes: [...view.nodes].reverse(), edges: [...view.edges].reverse() };
    expect(toDot(shuffled)).to.equal(toDot(view));
  });

  it('marks a refused object red and dashed, the reason in its tooltip', () => {
    const line = toDot(dotCase('refused')).split('\n').find((candidate) => candidate.startsWith('  "object:KIngress:default/broken"'));
    expect(line).to.include('style="filled,dashed"').and.include('fillcolor="#f8d7da"');
    expect(line).to.include('tooltip="KIngress default/broken\\nrefused: spec.rules[0].http.paths[0].splits[0].servicePort: Service default/missing has no port 80"');
  });

  it('draws a conflict edge dashed red from the loser to what it claimed', () => {
    const line = toDot(dotCase('conflicting')).split('\n').find((candidate) => candidate.startsWith('  "object:KIngress:other/impostor" ->'));
    expect(line).to.equal('  "object:KIngress:other/impostor" -> "host:external/hello.default.example.com" [style=dashed, color="#dc3545", penwidth=2, constraint=false, '
      + 'tooltip="conflict: spec.rules[0].hosts: hello.default.example.com is already served by KIngress default/hello"];');
  });

  it('puts the origin of a host in its tooltip', () => {
    expect(toDot(dotCase('served'))).to.include('"host:external/hello.default.example.com" [label="hello.default.example.com", shape=box, style="filled,rounded", fillcolor="#d1e7dd", color="#495057", tooltip="KIngress default/hello"];');
  });
});

describe('dotString and dotId', () => {
  it('escape backslashes and double quotes, and write newlines as \\n', () => {
    expect(dotString('say "hi"\\now\nthen')).to.equal(String.raw`"say \"hi\"\\now\nthen"`);
    expect(dotId('a"b\\c\nd')).to.equal(String.raw`"a\"b\\c\nd"`);
  });

  it('keep an HTML entity in a label as written', () => {
    expect(dotString('&lt; & >')).to.equal('"&amp;lt; &amp; >"');
  });

  it('keep ids apart that differ only in how they spell a newline', () => {
    expect(dotId('a\nb')).to.not.equal(dotId('a\\nb'));
  });
});
