// Golden files: testdata/translate/<case>/input.yaml (Ingresses, Services, EndpointSlices,
// Secrets) beside expected.yaml (what became of each Ingress, what of it is not served, and the
// graph's resources). PORTICO_UPDATE_GOLDEN=1 rewrites the expected files; review the diff. The
// IRs' Envoy resources are checked by the real Envoy in e2e/integration/translations.test.ts.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ingressCase, ingressCases } from './testdata/translate-cases.ts';
import { pathMatch } from './translate.ts';

describe('Ingress translation (golden files)', () => {
  for (const name of ingressCases) {
    it(name, () => {
      const actual = stringify(ingressCase(name), { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`./testdata/translate/${name}/expected.yaml`, import.meta.url);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }
});

describe('Ingress path matches', () => {
  it('Prefix matches whole path elements, ImplementationSpecific characters, Exact the path alone', () => {
    expect(pathMatch('/foo', 'Prefix', false)).to.deep.equal({ segmentPrefix: '/foo' });
    expect(pathMatch('/foo', 'ImplementationSpecific', false)).to.deep.equal({ prefix: '/foo' });
    expect(pathMatch('/foo', 'Exact', true)).to.deep.equal({ exact: '/foo' });
  });

  it('a regular expression path starts at the path\'s start and ignores case, as ingress-nginx\'s', () => {
    expect(pathMatch('/api|/v1', 'Prefix', true)).to.deep.equal({ regex: '(?i)(?:/api|/v1).*' });
  });
});
