// Golden files: testdata/translate/<case>/input.yaml (KIngresses, Services, EndpointSlices)
// beside expected.yaml (what became of each KIngress, and the graph's resources). PORTICO_UPDATE_GOLDEN=1
// rewrites the expected files; review the diff. The IRs' Envoy resources are checked by the
// real Envoy in e2e/integration/translations.test.ts.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { knativeCase, knativeCases } from './testdata/translate-cases.ts';
import { expandedHosts } from './translate.ts';

describe('KIngress translation (golden files)', () => {
  for (const name of knativeCases) {
    it(name, () => {
      const { outcomes, ir } = knativeCase(name);
      const actual = stringify({ outcomes: Object.fromEntries(outcomes), ir }, { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`./testdata/translate/${name}/expected.yaml`, import.meta.url);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }
});

describe('expandedHosts', () => {
  it('adds the short cluster-local names, as Knative does', () => {
    expect(expandedHosts(['hello.default.svc.cluster.local'], 'cluster.local')).to.deep.equal(['hello.default', 'hello.default.svc', 'hello.default.svc.cluster.local']);
    expect(expandedHosts(['hello.example.com'], 'cluster.local')).to.deep.equal(['hello.example.com']);
  });

  it('drops names whose last label is all digits', () => {
    expect(expandedHosts(['198.18.128.1'], 'cluster.local')).to.deep.equal([]);
  });
});
