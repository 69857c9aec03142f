// The merge's golden files (fragments in, outcomes and resources out: testdata/merge-cases.ts;
// PORTICO_UPDATE_GOLDEN=1 rewrites the expected files, review the diff), and the incremental
// graph checked against a graph built from scratch after every change of a random history.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Fragment, HostClaim } from './fragment.ts';
import { InstallationGraph, mergeFragments } from './merge.ts';
import { fragmentOf, mergeCase, mergeCases } from './testdata/merge-cases.ts';

describe('graph merge (golden files)', () => {
  for (const name of mergeCases) {
    it(name, () => {
      const { part, fragments } = mergeCase(name);
      const { ir, outcomes } = mergeFragments(part, fragments);
      const sorted = Object.fromEntries([...outcomes].sort(([a], [b]) => (a < b ? -1 : 1)));
      const actual = stringify({ outcomes: sorted, ir }, { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`./testdata/merge/${name}/expected.yaml`, import.meta.url);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }

  it('decides the same whatever order the fragments come in', () => {
    for (const name of mergeCases) {
      const { part, fragments } = mergeCase(name);
      const forward = mergeFragments(part, fragments);
      const backward = mergeFragments(part, [...fragments].reverse());
      expect(Object.fromEntries(backward.outcomes), name).to.deep.equal(Object.fromEntries(forward.outcomes));
      expect(backward.ir, name).to.deep.equal(forward.ir);
    }
  });
});

/** A small deterministic generator (xorshift), so that a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe('incremental graph', () => {
  const domains = ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'];
  const tables = ['external_services', 'internal_services'];

  function randomFragment(next: () => number, index: number, revision: number): Fragment {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const hostCount = 1 + Math.floor(next() * 2);
    const mode = next() < 0.3 ? 'paths' : 'whole';
    const hosts = Array.from({ length: hostCount }, (_, hostIndex): HostClaim => {
      const domain = pick(domains);
      const prefix = pick(['/', '/api', '/static']);
      return {
        table: pick(tables),
        mode,
        field: `spec.rules[${hostIndex}]`,
        host: { name: `${index}/${domain}/${hostIndex}`, domains: [domain], routes: [{ prefix, forward: { clusters: [{ cluster: `svc-${index % 3}`, weight: 100 }] } }] },
      };
    });
    const fragment = fragmentOf({
      object: `Thing ns/object-${index}`,
      // A few share a creation time: the name then decides.
      created: new Date(Date.UTC(2026, 0, 1, 0, 0, index % 4)).toISOString(),
      ...(next() < 0.1 ? { refusal: { reason: 'Invalid', message: `revision ${revision} is invalid` } } : {}),
      hosts,
      clusters: [{ name: `svc-${index % 3}`, connectTimeoutSeconds: revision, endpoints: [] }],
      ...(next() < 0.3 ? { tlsChains: [{ table: 'external_services', chain: { serverNames: [hosts[0]!.host.domains[0] ?? ''], secret: `ns/cert-${index}` } }], secrets: [{ name: `ns/cert-${index}`, certificateChain: 'c', privateKey: 'k' }] } : {}),
      ...(next() < 0.15 ? { listeners: [{ listener: { name: `listener_${9000 + (index % 2)}`, address: '0.0.0.0', port: 9000 + (index % 2), routeConfigName: 'external_services', statPrefix: 'x' }, field: 'spec.listeners[0]' }] } : {}),
    });
    return { ...fragment, reads: new Set([`service:ns/svc-${index % 3}`, `secret:ns/cert-${revision % 2}`]) };
  }

  it('after every change of a random history, equals the graph built from scratch', () => {
    const { part } = mergeCase(mergeCases[0]!);
    const tlsPart = { ...part, secureListeners: [{ listener: { name: 'listener_8443', address: '0.0.0.0', port: 8443, routeConfigName: 'external_services', statPrefix: 'listener_8443' }, params: {}, table: 'external_services' }] };
    for (let seed = 1; seed <= 40; seed += 1) {
      const next = random(seed);
      const graph = new InstallationGraph();
      const live = new Map<number, Fragment>();
      for (let step = 0; step < 60; step += 1) {
        const index = Math.floor(next() * 10);
        if (live.has(index) && next() < 0.4) live.delete(index);
        else live.set(index, randomFragment(next, index, step));
        const fragments = [...live.values()];
        graph.update(tlsPart, fragments);
        const incremental = { ir: graph.resources(), outcomes: Object.fromEntries([...graph.objects()].map(({ fragment, outcome }) => [fragment.origin.key, outcome])) };
        const scratch = mergeFragments(tlsPart, fragments);
        expect(incremental.outcomes, `seed ${seed} step ${step}`).to.deep.equal(Object.fromEntries(scratch.outcomes));
        expect(incremental.ir, `seed ${seed} step ${step}`).to.deep.equal(scratch.ir);
        // What the graph reads is what its fragments read, however often they changed.
        expect([...graph.reads()].sort(), `seed ${seed} step ${step}`).to.deep.equal([...new Set(fragments.flatMap((fragment) => [...fragment.reads]))].sort());
      }
    }
  });

  it('hands a kept fragment back unchanged: nothing to report', () => {
    const { part, fragments } = mergeCase(mergeCases[0]!);
    const graph = new InstallationGraph();
    expect(graph.update(part, fragments).changed).to.have.length(fragments.length);
    expect(graph.update(part, fragments).changed).to.deep.equal([]);
  });
});
