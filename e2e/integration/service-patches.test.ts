// Differential test of Portico's strategic merge patch: over a corpus of patches of real
// Service manifests, the result equals what the real `kubectl patch --local --type strategic`
// makes of the same patch (or both refuse it).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { servicePatchMeta, strategicMerge } from '../../operator/installation/patches/strategic-merge.ts';
import { kubectl, localCluster } from '../support/cluster.ts';

interface Corpus {
  services: Record<string, Record<string, unknown>>;
  cases: Array<{ name: string; service: string; patch: Record<string, unknown> }>;
}

const corpus = parseYaml(readFileSync(new URL('./testdata/service-patches.yaml', import.meta.url), 'utf8')) as Corpus;

describe('strategic merge patches of Services, against kubectl', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds kubectl
    await localCluster();
    dir = mkdtempSync(join(tmpdir(), 'portico-smp-'));
    for (const [key, service] of Object.entries(corpus.services)) writeFileSync(join(dir, `${key}.json`), JSON.stringify(service));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a corpus of at least 30 patches', () => {
    expect(corpus.cases.length).to.be.at.least(30);
  });

  for (const { name, service, patch } of corpus.cases) {
    it(name, async () => {
      const expected = await kubectl(['patch', '--local', '-f', join(dir, `${service}.json`), '--type', 'strategic', '-p', JSON.stringify(patch), '-o', 'json']);
      let actual: unknown;
      let error: unknown;
      try {
        actual = strategicMerge(corpus.services[service]!, patch, servicePatchMeta);
      } catch (caught) {
        error = caught;
      }
      if (expected.code !== 0) {
        expect(error, `kubectl refused it (${expected.stderr.trim()}), so must Portico`).to.be.instanceOf(Error);
        return;
      }
      expect(error, String(error)).to.equal(undefined);
      expect(actual).to.deep.equal(JSON.parse(expected.stdout));
    });
  }
});
