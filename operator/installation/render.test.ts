// Golden files: each testdata/render/<case>/installation.yaml (as a user writes it) beside
// expected.yaml (what the operator applies). PORTICO_UPDATE_GOLDEN=1 rewrites the expected
// files; review the diff before committing it.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { withDefaults } from '../api/schema-defaults.ts';
import { renderInstallation } from './render.ts';

const casesDirectory = new URL('./testdata/render/', import.meta.url);
const settings = { xds: { host: 'portico-xds.portico-system.svc.cluster.local', port: 18000 } };

describe('renderInstallation (golden files)', () => {
  for (const name of readdirSync(casesDirectory).sort()) {
    it(name, () => {
      const input = withDefaults(parseYaml(readFileSync(new URL(`${name}/installation.yaml`, casesDirectory), 'utf8')) as object);
      const rendered = renderInstallation(input, settings);
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
