import { expect } from 'chai';
import { buildSnapshot, resource, SnapshotCache } from './cache.ts';
import { typeUrls } from './protos.ts';

const cluster = (name: string, content = name) => resource(name, { type_url: typeUrls.cluster, value: Buffer.from(content) });

describe('snapshots', () => {
  it('are versioned by content: the same resources in any order are the same version', () => {
    const a = buildSnapshot({ [typeUrls.cluster]: [cluster('a'), cluster('b')] });
    const b = buildSnapshot({ [typeUrls.cluster]: [cluster('b'), cluster('a')] });
    expect(a.version).to.equal(b.version);
    expect(buildSnapshot({ [typeUrls.cluster]: [cluster('a'), cluster('b', 'changed')] }).version).to.not.equal(a.version);
  });

  it('give each resource its own hash, and refuse two resources of one name', () => {
    expect(cluster('a').hash).to.equal(cluster('a').hash);
    expect(cluster('a').hash).to.not.equal(cluster('a', 'other').hash);
    expect(() => buildSnapshot({ [typeUrls.cluster]: [cluster('a'), cluster('a', 'x')] })).to.throw(`two ${typeUrls.cluster} resources are named a`);
  });
});

describe('SnapshotCache', () => {
  it('tells the watchers of an installation about a new version, and nobody about the same one', () => {
    const cache = new SnapshotCache();
    const seen: string[] = [];
    const stop = cache.watch('kourier', (snapshot) => seen.push(snapshot.version));
    cache.watch('other', () => seen.push('wrong installation'));
    const first = buildSnapshot({ [typeUrls.cluster]: [cluster('a')] });
    expect(cache.set('kourier', first)).to.equal(true);
    expect(cache.set('kourier', buildSnapshot({ [typeUrls.cluster]: [cluster('a')] }))).to.equal(false);
    stop();
    cache.set('kourier', buildSnapshot({}));
    expect(seen).to.deep.equal([first.version]);
    expect(cache.get('kourier')?.types.size).to.equal(0);
  });
});
