// Every golden translation is a config the real Envoy accepts: what `envoy --mode validate`
// refuses as static config, Envoy would reject (NACK) over xDS.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { staticBootstrapOf, validateBootstrap } from '../support/envoy.ts';

const goldenDirectories = [new URL('../../xds/testdata/translate/', import.meta.url)];

describe('golden translations', function () {
  this.timeout(60_000);
  for (const directory of goldenDirectories) {
    for (const name of readdirSync(directory).sort()) {
      it(`${name} passes envoy --mode validate`, async () => {
        const resources = parseYaml(readFileSync(new URL(`${name}/expected.yaml`, directory), 'utf8')) as Record<string, object[]>;
        const result = await validateBootstrap(staticBootstrapOf(resources));
        expect(result.valid, result.output).to.equal(true);
      });
    }
  }
});
