import { expect } from 'chai';
import { buildSnapshot, resource, type Resource } from './cache.ts';
import { DeltaStream, type DeltaDiscoveryResponse } from './delta-stream.ts';
import { typeUrls, type TypeUrl } from './protos.ts';
import type { PushAnswer } from './stream-base.ts';

function fake(typeUrl: TypeUrl, name: string, content = name): Resource {
  return resource(name, { type_url: typeUrl, value: Buffer.from(content) });
}

function harness() {
  const sent: DeltaDiscoveryResponse[] = [];
  const answers: PushAnswer[] = [];
  const synced: string[] = [];
  const routed: string[] = [];
  const stream = new DeltaStream((response) => sent.push(response), (answer) => answers.push(answer), (version) => synced.push(version), (version) => routed.push(version));
  const ack = (response: DeltaDiscoveryResponse) => {
    stream.request({ type_url: response.type_url, response_nonce: response.nonce });
  };
  return { stream, sent, answers, synced, routed, ack };
}

const names = (response: DeltaDiscoveryResponse | undefined) => response?.resources.map((item) => item.name) ?? [];

describe('DeltaStream', () => {
  it('answers a wildcard subscription with everything, even when there is nothing', () => {
    const { stream, sent } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.listener, resource_names_subscribe: ['*'] });
    stream.update(buildSnapshot({ [typeUrls.listener]: [fake(typeUrls.listener, 'l1')] }));
    // Listeners follow once Envoy has answered for the clusters.
    expect(sent.map((response) => [response.type_url, names(response)])).to.deep.equal([[typeUrls.cluster, []]]);
    stream.request({ type_url: typeUrls.cluster, response_nonce: sent[0]!.nonce });
    expect(sent.map((response) => [response.type_url, names(response)])).to.deep.equal([
      [typeUrls.cluster, []],
      [typeUrls.listener, ['l1']],
    ]);
  });

  it('holds routes back until Envoy holds the endpoints of every cluster (warm clusters)', () => {
    const { stream, sent, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.route, resource_names_subscribe: ['r'] });
    stream.update(buildSnapshot({
      [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1')],
      [typeUrls.endpoint]: [fake(typeUrls.endpoint, 'c1')],
      [typeUrls.route]: [fake(typeUrls.route, 'r')],
    }));
    ack(sent[0]!);
    expect(sent.map((response) => response.type_url)).to.deep.equal([typeUrls.cluster]);
    stream.request({ type_url: typeUrls.endpoint, resource_names_subscribe: ['c1'] });
    expect(sent[1]!.type_url).to.equal(typeUrls.endpoint);
    ack(sent[1]!);
    expect(sent[2]!.type_url).to.equal(typeUrls.route);
  });

  it('sends only what changed, and the names of what is gone', () => {
    const { stream, sent, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'a'), fake(typeUrls.cluster, 'b')] }));
    ack(sent[0]!);
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'a'), fake(typeUrls.cluster, 'c')] }));
    expect(names(sent[1])).to.deep.equal(['c']);
    expect(sent[1]!.removed_resources).to.deep.equal(['b']);
    ack(sent[1]!);
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c'), fake(typeUrls.cluster, 'a', 'a2')] }));
    expect(names(sent[2])).to.deep.equal(['a']);
    expect(sent[2]!.resources[0]!.version).to.equal(fake(typeUrls.cluster, 'a', 'a2').hash);
  });

  it('sends nothing for what Envoy already holds when it reconnects', () => {
    const { stream, sent } = harness();
    const a = fake(typeUrls.cluster, 'a');
    stream.update(buildSnapshot({ [typeUrls.cluster]: [a, fake(typeUrls.cluster, 'b')] }));
    stream.request({ type_url: typeUrls.cluster, initial_resource_versions: { a: a.hash } });
    expect(names(sent[0])).to.deep.equal(['b']);
  });

  it('follows subscriptions by name, and does not resend after a NACK until something changes', () => {
    const { stream, sent, answers, ack } = harness();
    stream.update(buildSnapshot({ [typeUrls.route]: [fake(typeUrls.route, 'r1'), fake(typeUrls.route, 'r2')] }));
    stream.request({ type_url: typeUrls.route, resource_names_subscribe: ['r2'] });
    expect(names(sent[0])).to.deep.equal(['r2']);
    stream.request({ type_url: typeUrls.route, response_nonce: sent[0]!.nonce, error_detail: { message: 'bad route' } });
    expect(answers[0]).to.include({ accepted: false, message: 'bad route' });
    expect(sent).to.have.length(1);
    // A new subscription gets its resource; the rejected one is not sent again as it is.
    stream.request({ type_url: typeUrls.route, resource_names_subscribe: ['r1'] });
    expect(names(sent[1])).to.deep.equal(['r1']);
    ack(sent[1]!);
    expect(answers[1]).to.include({ accepted: true });
  });

  it('keeps a removed cluster until the routes that used it are updated and acknowledged, then reports the snapshot synced', () => {
    const { stream, sent, synced, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.route, resource_names_subscribe: ['r'] });
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'old')], [typeUrls.route]: [fake(typeUrls.route, 'r', 'to-old')] }));
    ack(sent[0]!);
    ack(sent[1]!);
    expect(synced).to.have.length(1);
    const next = buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'new')], [typeUrls.route]: [fake(typeUrls.route, 'r', 'to-new')] });
    stream.update(next);
    expect(names(sent[2])).to.deep.equal(['new']);
    expect(sent[2]!.removed_resources).to.deep.equal([]);
    // The route moves only once Envoy holds the new cluster.
    expect(sent).to.have.length(3);
    ack(sent[2]!);
    expect(sent[3]!.type_url).to.equal(typeUrls.route);
    ack(sent[3]!);
    expect(sent[4]!.removed_resources).to.deep.equal(['old']);
    ack(sent[4]!);
    expect(synced).to.deep.equal([synced[0], next.version]);
  });

  it('reports the routes of a snapshot as held while a newer snapshot is still on its way, which synced never does', () => {
    const { stream, sent, synced, routed, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.route, resource_names_subscribe: ['r'] });
    const snapshot = (generation: number) => buildSnapshot({
      [typeUrls.cluster]: [fake(typeUrls.cluster, 'c')],
      [typeUrls.route]: [fake(typeUrls.route, 'r', `routes ${generation}`)],
    });
    const first = snapshot(1);
    stream.update(first);
    ack(sent.at(-1)!); // clusters
    ack(sent.at(-1)!); // routes
    expect(synced).to.deep.equal([first.version]);
    expect(routed).to.deep.equal([first.version]);
    // Each change comes while Envoy is still taking the one before: it never holds the latest snapshot.
    let pushed = snapshot(2);
    stream.update(pushed);
    for (let generation = 3; generation <= 6; generation++) {
      const routes = sent.at(-1)!;
      expect(routes.type_url).to.equal(typeUrls.route);
      const next = snapshot(generation);
      stream.update(next);
      ack(routes);
      expect(routed.at(-1), `after the push of generation ${generation - 1}`).to.equal(pushed.version);
      pushed = next;
    }
    expect(synced).to.deep.equal([first.version]);
  });
});
