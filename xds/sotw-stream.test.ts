import { expect } from 'chai';
import { buildSnapshot, resource, type Resource } from './cache.ts';
import { typeUrls, type TypeUrl } from './protos.ts';
import { SotwStream, type DiscoveryResponse } from './sotw-stream.ts';
import type { PushAnswer } from './stream-base.ts';

/** A fake resource: the stream only looks at names and hashes. */
function fake(typeUrl: TypeUrl, name: string, content = name): Resource {
  return resource(name, { type_url: typeUrl, value: Buffer.from(content) });
}

function harness() {
  const sent: DiscoveryResponse[] = [];
  const answers: PushAnswer[] = [];
  const stream = new SotwStream((response) => sent.push(response), (answer) => answers.push(answer));
  const ack = (response: DiscoveryResponse, names: string[] = []) => {
    stream.request({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: names });
  };
  return { stream, sent, answers, ack };
}

const names = (response: DiscoveryResponse | undefined) => response?.resources.map((any) => any.value.toString()) ?? [];

describe('SotwStream', () => {
  it('sends the types Envoy asked for in protocol order; listeners wait until the clusters are acknowledged', () => {
    const { stream, sent, ack } = harness();
    // Envoy asks for listeners and clusters before the stream has a snapshot.
    stream.request({ type_url: typeUrls.listener });
    stream.request({ type_url: typeUrls.cluster });
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1')], [typeUrls.listener]: [fake(typeUrls.listener, 'l1')] }));
    expect(sent.map((response) => response.type_url)).to.deep.equal([typeUrls.cluster]);
    ack(sent[0]!);
    expect(sent.map((response) => response.type_url)).to.deep.equal([typeUrls.cluster, typeUrls.listener]);
    expect(names(sent[1])).to.deep.equal(['l1']);
  });

  it('holds routes back until Envoy holds the endpoints of every cluster (warm clusters)', () => {
    const { stream, sent, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.route, resource_names: ['r'] });
    stream.update(buildSnapshot({
      [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1')],
      [typeUrls.endpoint]: [fake(typeUrls.endpoint, 'c1')],
      [typeUrls.route]: [fake(typeUrls.route, 'r')],
    }));
    ack(sent[0]!);
    // The cluster is accepted but Envoy has not asked for its endpoints yet.
    expect(sent.map((response) => response.type_url)).to.deep.equal([typeUrls.cluster]);
    stream.request({ type_url: typeUrls.endpoint, resource_names: ['c1'] });
    expect(sent[1]!.type_url).to.equal(typeUrls.endpoint);
    ack(sent[1]!, ['c1']);
    expect(sent[2]!.type_url).to.equal(typeUrls.route);
  });

  it('tells ACK from NACK, and ignores an answer to an older push', () => {
    const { stream, sent, answers, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1')] }));
    ack(sent[0]!);
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1', 'broken')] }));
    stream.request({ type_url: typeUrls.cluster, response_nonce: sent[0]!.nonce }); // stale
    expect(answers).to.have.length(1);
    stream.request({ type_url: typeUrls.cluster, response_nonce: sent[1]!.nonce, version_info: sent[0]!.version_info, error_detail: { message: 'bad cluster' } });
    expect(answers[0]).to.include({ accepted: true, version: sent[0]!.version_info });
    expect(answers[1]).to.include({ accepted: false, version: sent[1]!.version_info, message: 'bad cluster' });
  });

  it('pushes nothing for an identical snapshot, and nothing new while a push is unanswered', () => {
    const { stream, sent, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    const snapshot = buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1')] });
    stream.update(snapshot);
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c1'), fake(typeUrls.cluster, 'c2')] }));
    expect(sent).to.have.length(1);
    ack(sent[0]!);
    expect(names(sent[1])).to.deep.equal(['c1', 'c2']);
    ack(sent[1]!);
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'c2'), fake(typeUrls.cluster, 'c1')] }));
    expect(sent).to.have.length(2);
  });

  it('sends only the named resources of a non-wildcard type, and again when the names change', () => {
    const { stream, sent, ack } = harness();
    stream.update(buildSnapshot({ [typeUrls.route]: [fake(typeUrls.route, 'r1'), fake(typeUrls.route, 'r2')] }));
    stream.request({ type_url: typeUrls.route, resource_names: ['r2'] });
    expect(names(sent[0])).to.deep.equal(['r2']);
    ack(sent[0]!, ['r2']);
    expect(sent).to.have.length(1);
    stream.request({ type_url: typeUrls.route, resource_names: ['r1', 'r2'], response_nonce: sent[0]!.nonce, version_info: sent[0]!.version_info });
    expect(names(sent[1])).to.deep.equal(['r1', 'r2']);
  });

  it('keeps a removed cluster until the routes that used it are updated and acknowledged', () => {
    const { stream, sent, ack } = harness();
    stream.request({ type_url: typeUrls.cluster });
    stream.request({ type_url: typeUrls.route, resource_names: ['r'] });
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'old')], [typeUrls.route]: [fake(typeUrls.route, 'r', 'to-old')] }));
    ack(sent[0]!);
    ack(sent[1]!, ['r']);
    // The route moves to a new cluster; the old one goes.
    stream.update(buildSnapshot({ [typeUrls.cluster]: [fake(typeUrls.cluster, 'new')], [typeUrls.route]: [fake(typeUrls.route, 'r', 'to-new')] }));
    // First the new cluster beside the old one; once Envoy has it, the route moves to it.
    expect(sent[2]!.type_url).to.equal(typeUrls.cluster);
    expect(names(sent[2])).to.deep.equal(['new', 'old']);
    expect(sent).to.have.length(3);
    ack(sent[2]!);
    expect(sent[3]!.type_url).to.equal(typeUrls.route);
    expect(sent).to.have.length(4);
    // Only once Envoy has the new route does the old cluster go.
    ack(sent[3]!, ['r']);
    expect(sent[4]!.type_url).to.equal(typeUrls.cluster);
    expect(names(sent[4])).to.deep.equal(['new']);
  });
});
