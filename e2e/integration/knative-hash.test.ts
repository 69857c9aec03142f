// Differential test of Portico's KIngress probe hash (operator/sources/knative/hash.ts): on
// random specs (seeded, so every run sees the same ones) it must equal what Knative's own code
// gives (e2e/knative/hashref, built from the pinned knative.dev/networking). First on objects
// handed to Go as they are, with the oddities only Go's decoding settles (nulls, missing
// required fields, escapes, key order); then on KIngresses as the apiserver stores them under
// Knative's CRD, which is what Knative hashes in a cluster.
import { expect } from 'chai';
import { ingressHash, marshalSpec } from '../../operator/sources/knative/hash.ts';
import type { KnativeIngress } from '../../operator/sources/knative/types.ts';
import { createNamespace, deleteNamespace, kubectlOk } from '../support/cluster.ts';
import { installKnativeCrds, knativeHashref } from '../support/knative.ts';
import { runOrThrow } from '../support/processes.ts';
import { seededRandom, type Random } from '../support/random.ts';

const seed = 0x5eed_4a5b;


// Pieces of strings: plain, escaped by Go, multi-byte, and characters whose UTF-8 order differs
// from their UTF-16 order. Lone surrogates only where the apiserver is not in the way.
const plain = ['a', 'Z', '0', '-', '.', '/', ' ', 'serving', 'knative'];
const special = ['<', '>', '&', '"', '\\', '\n', '\t', '\r', '\b', '\f', '\u0001', '\u001f', '\u007f', '\u2028', '\u2029', 'é', '日本', '😀', '\ue000', 'ａ', '\uffff'];
const keys = ['x-a', 'X-A', 'x-b', 'K-Network-Hash', 'Knative-Serving-Tag', 'accept', '', 'é', 'ａ', '😀', '<&>', 'Z', 'z'];

interface Mode { loose: boolean }

function text(r: Random, mode: Mode): string {
  let value = '';
  for (let i = r.int(6); i > 0; i--) value += r.chance(0.6) ? r.pick(plain) : r.pick(special);
  return mode.loose && r.chance(0.03) ? `${value}\ud800` : value;
}

/** Lists are missing, empty or full; nulls only in loose mode (the schema refuses them). */
function maybeList<T>(r: Random, mode: Mode, max: number, item: () => T): T[] | null | undefined {
  if (mode.loose && r.chance(0.05)) return null;
  if (r.chance(0.2)) return undefined;
  return Array.from({ length: r.int(max + 1) }, item);
}

function maybeMap<T>(r: Random, mode: Mode, value: () => T): Record<string, T> | null | undefined {
  if (mode.loose && r.chance(0.05)) return null;
  if (r.chance(0.4)) return undefined;
  const map: Record<string, T> = {};
  // Keys without lone surrogates: Go decodes them all to U+FFFD, so two such keys would merge.
  for (let i = r.int(5); i > 0; i--) map[r.chance(0.7) ? r.pick(keys) : text(r, { loose: false })] = value();
  return map;
}

function optional<T>(r: Random, mode: Mode, value: () => T): T | null | undefined {
  if (mode.loose && r.chance(0.05)) return null;
  return r.chance(0.5) ? value() : undefined;
}

/** The same object with its keys in a random order: Go's field order must not depend on it. */
function shuffled(r: Random, object: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries);
}

function servicePort(r: Random): number | string {
  switch (r.int(4)) {
    case 0: return r.pick([0, 1, 80, 8080, 65535, -1, 2 ** 31 - 1, -(2 ** 31)]);
    case 1: return r.int(65536);
    case 2: return r.pick(['http', 'h2c', '8080', '', '<&>']);
    default: return 80;
  }
}

function split(r: Random, mode: Mode): Record<string, unknown> {
  const required = !mode.loose || r.chance(0.9);
  return shuffled(r, {
    serviceNamespace: required ? text(r, mode) : undefined,
    serviceName: required ? text(r, mode) : undefined,
    servicePort: required ? servicePort(r) : undefined,
    percent: optional(r, mode, () => r.pick([0, 1, 10, 50, 100, r.int(101), -3])),
    appendHeaders: maybeMap(r, mode, () => text(r, mode)),
  });
}

function path(r: Random, mode: Mode): Record<string, unknown> {
  const headerMatch = () => (mode.loose && r.chance(0.15) ? {} : { exact: text(r, mode) });
  const splits = maybeList(r, mode, 3, () => split(r, mode));
  return shuffled(r, {
    path: optional(r, mode, () => `/${text(r, mode)}`),
    rewriteHost: optional(r, mode, () => text(r, mode)),
    headers: maybeMap(r, mode, headerMatch),
    splits: mode.loose ? splits : (splits ?? []),
    appendHeaders: maybeMap(r, mode, () => text(r, mode)),
  });
}

function rule(r: Random, mode: Mode): Record<string, unknown> {
  const paths = maybeList(r, mode, 3, () => path(r, mode));
  const http = r.chance(0.1) && mode.loose ? undefined : shuffled(r, { paths: mode.loose ? paths : (paths ?? []) });
  return shuffled(r, {
    hosts: maybeList(r, mode, 3, () => text(r, mode)),
    visibility: optional(r, mode, () => r.pick(['ExternalIP', 'ClusterLocal', ''])),
    http,
  });
}

function randomIngress(r: Random, mode: Mode, index: number, namespace: string): KnativeIngress {
  const tls = () => shuffled(r, {
    hosts: maybeList(r, mode, 3, () => text(r, mode)),
    secretName: optional(r, mode, () => text(r, mode)),
    secretNamespace: optional(r, mode, () => text(r, mode)),
  });
  const spec = shuffled(r, {
    tls: maybeList(r, mode, 2, tls),
    rules: maybeList(r, mode, 3, () => rule(r, mode)),
    httpOption: optional(r, mode, () => r.pick(['Enabled', 'Redirected', ''])),
  });
  return {
    apiVersion: 'networking.internal.knative.dev/v1alpha1',
    kind: 'Ingress',
    metadata: { name: `random-${index}`, namespace },
    spec,
  };
}

/** Knative's hash of each object, in order, from one run of the Go reference. */
async function goHashes(ingresses: readonly KnativeIngress[], flags: string[] = []): Promise<string[]> {
  const input = ingresses.map((ingress) => JSON.stringify(ingress)).join('\n');
  const lines = (await runOrThrow(await knativeHashref(), flags, { input })).split('\n').filter((line) => line !== '');
  expect(lines, 'one line from hashref per object').to.have.length(ingresses.length);
  return lines;
}

/** Fails with, for the first few divergences, the JSON each side hashed. */
async function expectSameHashes(ingresses: readonly KnativeIngress[]): Promise<void> {
  const expected = await goHashes(ingresses);
  const diverging = ingresses.filter((ingress, i) => ingressHash(ingress) !== expected[i]).slice(0, 3);
  if (diverging.length === 0) return;
  const goJson = await goHashes(diverging, ['-json']);
  const report = diverging.map((ingress, i) => `${ingress.metadata?.name ?? ''}:\n  go: ${goJson[i] ?? ''}\n  ts: ${marshalSpec(ingress.spec)}`);
  expect.fail(`hashes differ from Knative's:\n${report.join('\n')}`);
}

describe(`Knative probe hash, against Knative's Go code (seed ${seed.toString(16)})`, function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(15 * 60_000); // a cold first run downloads the modules and builds hashref
    await knativeHashref();
  });

  it('agrees on 200 random specs, nulls and missing fields included', async () => {
    const r = seededRandom(seed);
    const ingresses = Array.from({ length: 200 }, (_, i) => randomIngress(r, { loose: true }, i, r.chance(0.2) ? text(r, { loose: false }) : 'default'));
    await expectSameHashes(ingresses);
  });

  describe('on KIngresses stored by the apiserver under Knative\'s CRD', () => {
    let namespace: string;

    before(async function () {
      this.timeout(60 * 60_000); // a cold first start builds Kubernetes
      await installKnativeCrds();
      namespace = await createNamespace('knative-hash');
    });

    after(async () => {
      if (namespace) await deleteNamespace(namespace);
    });

    it('installs the CRD idempotently', async () => {
      await installKnativeCrds();
      const crd = JSON.parse(await kubectlOk(['get', 'crd', 'ingresses.networking.internal.knative.dev', '-o', 'json'])) as { spec: { group: string; names: { kind: string } } };
      expect(crd.spec).to.deep.include({ group: 'networking.internal.knative.dev' });
      expect(crd.spec.names.kind).to.equal('Ingress');
    });

    it('agrees on 60 random KIngresses read back from the apiserver', async () => {
      const r = seededRandom(seed + 1);
      const sent = Array.from({ length: 60 }, (_, i) => randomIngress(r, { loose: false }, i, namespace));
      await kubectlOk(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: sent }));
      const stored = (JSON.parse(await kubectlOk(['get', 'ingresses.networking.internal.knative.dev', '-n', namespace, '-o', 'json'])) as { items: KnativeIngress[] }).items;
      expect(stored).to.have.length(sent.length);
      await expectSameHashes(stored);
      // What the apiserver stores hashes as what was sent: the hash of a spec Portico reads
      // equals the one Knative's controller computed from the same object.
      const byName = new Map(stored.map((ingress) => [ingress.metadata?.name, ingressHash(ingress)]));
      for (const ingress of sent) expect(byName.get(ingress.metadata?.name), ingress.metadata?.name).to.equal(ingressHash(ingress));
    });
  });
});
