// Golden files: each testdata/render/<case>/installation.yaml (as a user writes it) beside
// expected.yaml (what the operator applies). PORTICO_UPDATE_GOLDEN=1 rewrites the expected
// files; review the diff before committing it.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { withDefaults } from '../api/schema-defaults.ts';
import { renderInstallation } from './render.ts';
import { casesDirectory, renderCase, renderCases, renderSettings as settings } from './testdata/render-cases.ts';

describe('renderInstallation (golden files)', () => {
  for (const name of renderCases) {
    it(name, () => {
      const { installation, xdsClient } = renderCase(name);
      const rendered = renderInstallation(installation, settings, xdsClient);
      const actual = stringify(rendered, { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`${name}/expected.yaml`, casesDirectory);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }

  it('is deterministic', () => {
    const input = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'a' }, spec: {} });
    expect(renderInstallation(input, settings)).to.deep.equal(renderInstallation(input, settings));
  });
});
