import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SnapshotEncoder } from './encoder.ts';
import type { GatewayIR } from './ir.ts';
import { decodeAny, encodeAny, nestedTypes, typeUrls } from './protos.ts';
import { routeConfigResource, translate } from './translate.ts';

const casesDirectory = new URL('./testdata/translate/', import.meta.url);
const cases = readdirSync(casesDirectory).sort();
const irOf = (name: string) => parseYaml(readFileSync(new URL(`${name}/ir.yaml`, casesDirectory), 'utf8')) as GatewayIR;

describe('SnapshotEncoder', () => {
  for (const name of cases) {
    it(`writes each RouteConfiguration of ${name} byte for byte as a whole encoding would`, () => {
      const ir = irOf(name);
      const routes = new SnapshotEncoder().snapshotOf(ir).types.get(typeUrls.route)!.resources;
      for (const config of ir.routeConfigs) {
        expect(routes.get(config.name)!.any.value.equals(encodeAny(typeUrls.route, routeConfigResource(config)).value), config.name).to.equal(true);
      }
    });
  }

  for (const name of cases) {
    it(`keeps every nested typed config of ${name} through the wire encoding (each type's proto is loaded)`, () => {
      for (const [typeUrl, resources] of Object.entries(translate(irOf(name)))) {
        for (const resource of resources) expect(nestedTypes(decodeAny(encodeAny(typeUrl, resource)))).to.deep.equal(nestedTypes(resource));
      }
    });
  }

  it('reuses the encoding of every IR object it has seen, and encodes only what is new', () => {
    const encoder = new SnapshotEncoder();
    const ir = irOf('every-feature');
    const first = encoder.snapshotOf(ir);
    const [changed, ...unchanged] = ir.clusters;
    const next: GatewayIR = { ...ir, clusters: [{ ...changed!, connectTimeoutSeconds: changed!.connectTimeoutSeconds + 1 }, ...unchanged] };
    const second = encoder.snapshotOf(next);
    const clusters = (snapshot: typeof first) => snapshot.types.get(typeUrls.cluster)!.resources;
    for (const cluster of unchanged) expect(clusters(second).get(cluster.name)).to.equal(clusters(first).get(cluster.name));
    expect(clusters(second).get(changed!.name)!.hash).to.not.equal(clusters(first).get(changed!.name)!.hash);
    expect(second.version).to.not.equal(first.version);
    expect(encoder.snapshotOf(next).version).to.equal(second.version);
  });

  it('hashes a RouteConfiguration by its content: equal for equal hosts, whichever encoder; different when a host changes', () => {
    const ir = irOf('every-feature');
    const routeHashes = (snapshot: ReturnType<SnapshotEncoder['snapshotOf']>) => [...snapshot.types.get(typeUrls.route)!.resources.values()].map((item) => item.hash);
    const copy = parseYaml(readFileSync(new URL('every-feature/ir.yaml', casesDirectory), 'utf8')) as GatewayIR;
    expect(routeHashes(new SnapshotEncoder().snapshotOf(copy))).to.deep.equal(routeHashes(new SnapshotEncoder().snapshotOf(ir)));
    const [config, ...others] = ir.routeConfigs;
    const [host, ...hosts] = config!.virtualHosts;
    const renamed: GatewayIR = { ...ir, routeConfigs: [{ ...config!, virtualHosts: [{ ...host!, domains: [...host!.domains, 'one-more.example.com'] }, ...hosts] }, ...others] };
    const encoder = new SnapshotEncoder();
    const before = encoder.snapshotOf(ir).types.get(typeUrls.route)!.resources;
    const after = encoder.snapshotOf(renamed).types.get(typeUrls.route)!.resources;
    expect(after.get(config!.name)!.hash).to.not.equal(before.get(config!.name)!.hash);
    for (const other of others) expect(after.get(other.name)!.hash).to.equal(before.get(other.name)!.hash);
  });
});
