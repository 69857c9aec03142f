// Golden file: every case of testdata/kyverno-cases.yaml with what the patcher makes of it, as
// the RFC 6902 changes to the rendered Service (or the problem it reports), in
// testdata/kyverno-cases.golden.yaml; the differential test holds these outcomes against the
// Kyverno CLI and kubectl. PORTICO_UPDATE_GOLDEN=1 rewrites the file; review the diff.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createPatch } from 'rfc6902';
import { parse as parseYaml, stringify } from 'yaml';
import { applyServicePatches } from './apply.ts';
import { corpusServices, goldenFile, kyvernoCases } from './testdata/kyverno-cases.ts';

/** What the patcher makes of a case: the changes to the Service, or the problem it reports. */
function outcome(service: string, patch: (typeof kyvernoCases)[number]['patch']): unknown {
  const original = corpusServices[service];
  if (!original) throw new Error(`the corpus renders no Service ${service}`);
  const { objects, problems } = applyServicePatches([original], [patch]);
  return problems.length > 0 ? { problem: problems[0]!.message } : { changes: createPatch(original, objects[0]) };
}

describe('Service patches (golden file of the Kyverno corpus)', () => {
  const actual = Object.fromEntries(kyvernoCases.map(({ name, service, patch }) => [name, outcome(service, patch)]));
  if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(goldenFile)) writeFileSync(goldenFile, stringify(actual, { lineWidth: 0 }));
  const expected = parseYaml(readFileSync(goldenFile, 'utf8')) as Record<string, unknown>;

  it('has a golden outcome for every case, and only for them', () => {
    expect(Object.keys(expected)).to.deep.equal(kyvernoCases.map(({ name }) => name));
  });

  for (const { name } of kyvernoCases) {
    it(name, () => {
      expect(actual[name]).to.deep.equal(expected[name]);
    });
  }
});
