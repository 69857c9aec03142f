// Golden files: testdata/translate/<case>/ir.yaml (the IR) beside expected.yaml (Envoy's
// resources by type). PORTICO_UPDATE_GOLDEN=1 rewrites the expected files; review the diff.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import type { GatewayIR } from './ir.ts';
import { decodeAny, typeUrls, type TypeUrl } from './protos.ts';
import { snapshotOf } from './encoder.ts';
import { translate } from './translate.ts';

const casesDirectory = new URL('./testdata/translate/', import.meta.url);

describe('translate (golden files)', () => {
  for (const name of readdirSync(casesDirectory).sort()) {
    it(name, () => {
      const ir = parseYaml(readFileSync(new URL(`${name}/ir.yaml`, casesDirectory), 'utf8')) as GatewayIR;
      const actual = stringify(translate(ir), { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`${name}/expected.yaml`, casesDirectory);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
      // Every resource must encode, or the snapshot could not be served.
      const snapshot = snapshotOf(ir);
      for (const [typeUrl, resources] of Object.entries(translate(ir))) {
        expect([...(snapshot.types.get(typeUrl as TypeUrl)?.resources.keys() ?? [])], typeUrl).to.have.length(resources.length);
      }
    });
  }

  it('encodes into a snapshot that decodes to the same resources', () => {
    const ir = parseYaml(readFileSync(new URL('with-routes/ir.yaml', casesDirectory), 'utf8')) as GatewayIR;
    const snapshot = snapshotOf(ir);
    const listeners = [...snapshot.types.get(typeUrls.listener)!.resources.values()].map((item) => decodeAny(item.any).name);
    expect(listeners).to.deep.equal(ir.listeners.map((listener) => listener.name).sort());
    const route = decodeAny([...snapshot.types.get(typeUrls.route)!.resources.values()][0]!.any) as { virtual_hosts: Array<{ domains: string[] }> };
    expect(route.virtual_hosts[0]!.domains).to.deep.equal(['hello.example.com', 'hello.example.com:*']);
  });
});
