// Differential test of Service patches against the real Kyverno CLI (v1.19, built from the Go
// module proxy by e2e/kyverno/kyverno.sh): each case of the corpus
// (operator/installation/patches/testdata/kyverno-cases.yaml) patches a Service Portico renders,
// once through `kyverno apply` (a ClusterPolicy with the mutate rule) and once through
// Portico's patcher, and the outcomes must be equal (or both fail). A case listed as a
// departure must differ from Kyverno's (else the listing is stale) and equal what
// `kubectl patch --local --type strategic` makes of the same patch.
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyServicePatches } from '../../operator/installation/patches/apply.ts';
import { corpusServices, kyvernoCases, type KyvernoCase } from '../../operator/installation/patches/testdata/kyverno-cases.ts';
import { kubectl } from '../support/cluster.ts';
import { kyvernoApply, kyvernoCli, type KyvernoMutate } from '../support/kyverno.ts';

type Outcome = { resource: unknown } | { error: string };

function portico({ service, patch }: KyvernoCase): Outcome {
  const { objects, problems } = applyServicePatches([corpusServices[service]!], [patch]);
  return problems.length > 0 ? { error: problems[0]!.message } : { resource: objects[0] };
}

function kyvernoRule({ patch }: KyvernoCase): KyvernoMutate {
  // Kyverno takes a JSON patch as text.
  return patch.patchStrategicMerge ? { patchStrategicMerge: patch.patchStrategicMerge } : { patchesJson6902: JSON.stringify(patch.patchesJson6902) };
}

describe('Service patches, against the Kyverno CLI', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first run builds the Kyverno CLI
    await kyvernoCli();
    dir = mkdtempSync(join(tmpdir(), 'portico-kyverno-corpus-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a corpus of at least 40 cases, some of them departures', () => {
    expect(kyvernoCases.length).to.be.at.least(40);
    expect(kyvernoCases.filter((testCase) => testCase.departure)).to.not.be.empty;
  });

  for (const testCase of kyvernoCases) {
    const { name, service, departure } = testCase;
    it(departure ? `${name} (departs from Kyverno's CLI: kubectl is the reference)` : name, async function () {
      const original = corpusServices[service] as KubernetesObject & Record<string, unknown>;
      const ours = portico(testCase);
      const theirs: Outcome = await kyvernoApply(original, kyvernoRule(testCase));
      if (!departure) {
        if ('error' in theirs) {
          expect(ours, `Kyverno refused it (${theirs.error}), so must Portico`).to.have.property('error');
        } else {
          expect(ours, 'error' in ours ? ours.error : '').to.deep.equal(theirs);
        }
        return;
      }
      this.timeout(10 * 60_000); // kubectl may need the local cluster started first
      expect(ours, `Kyverno's CLI now gives what Portico does: drop the departure (${departure})`).to.not.deep.equal(theirs);
      const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
      writeFileSync(file, JSON.stringify(original));
      const expected = await kubectl(['patch', '--local', '-f', file, '--type', 'strategic', '-p', JSON.stringify(testCase.kubectl ?? testCase.patch.patchStrategicMerge), '-o', 'json']);
      expect(expected.code, expected.stderr).to.equal(0);
      expect(ours).to.deep.equal({ resource: JSON.parse(expected.stdout) as unknown });
    });
  }
});
