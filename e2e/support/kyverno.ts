// The real Kyverno CLI (`kyverno apply`, built by e2e/kyverno/kyverno.sh): one mutate rule in a
// ClusterPolicy, applied to one resource, as Kyverno's engine does it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { run, runOrThrow } from './processes.ts';

const buildScript = fileURLToPath(new URL('../kyverno/kyverno.sh', import.meta.url));
let binary: Promise<string> | undefined;

/** The path of the Kyverno CLI, built on first use (cold: several minutes). */
export function kyvernoCli(): Promise<string> {
  binary ??= runOrThrow('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] }).then((out) => out.trim());
  return binary;
}

/** A mutate rule as Kyverno's ClusterPolicy spells it. */
export type KyvernoMutate = { patchStrategicMerge: Record<string, unknown> } | { patchesJson6902: string };

/** What Kyverno made of a resource: the mutated resource, or the error its rule reported. */
export type KyvernoResult = { resource: Record<string, unknown> } | { error: string };

/** Applies `mutate` to `resource` with `kyverno apply`, as the rule of a ClusterPolicy matching its kind. */
export async function kyvernoApply(resource: Record<string, unknown>, mutate: KyvernoMutate): Promise<KyvernoResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-kyverno-'));
  try {
    const policy = {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'portico-patch' },
      spec: { background: false, rules: [{ name: 'patch', match: { any: [{ resources: { kinds: [resource.kind] } }] }, mutate }] },
    };
    // JSON, not YAML: Kyverno reads YAML 1.1, where an unquoted yes or y is a boolean.
    writeFileSync(join(dir, 'policy.yaml'), JSON.stringify(policy));
    writeFileSync(join(dir, 'resource.yaml'), JSON.stringify(resource));
    writeFileSync(join(dir, 'mutated.yaml'), '');
    const result = await run(await kyvernoCli(), ['apply', join(dir, 'policy.yaml'), '--resource', join(dir, 'resource.yaml'), '--output', join(dir, 'mutated.yaml'), '--remove-color']);
    const summary = /pass: (\d+), fail: (\d+), warn: (\d+), error: (\d+), skip: (\d+)/.exec(result.stdout);
    if (result.code !== 0 || !summary || summary[2] !== '0' || summary[4] !== '0') return { error: `${result.stdout}\n${result.stderr}`.trim() };
    const [mutated] = parseAllDocuments(readFileSync(join(dir, 'mutated.yaml'), 'utf8')).map((document) => document.toJS() as Record<string, unknown> | null);
    return { resource: mutated ?? resource };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
