import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { JsonPatchOperation } from '../../api/gatewayinstallation.ts';
import { applyServicePatches } from './apply.ts';

const external: KubernetesObject & { spec: unknown } = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kourier', namespace: 'kourier-system', labels: { 'networking.knative.dev/ingress-provider': 'kourier', exposure: 'public' } },
  spec: { type: 'LoadBalancer', ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] },
};
const internal: KubernetesObject & { spec: unknown } = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kourier-internal', namespace: 'kourier-system', labels: { 'networking.knative.dev/ingress-provider': 'kourier' } },
  spec: { type: 'ClusterIP', ports: [{ name: 'http2', port: 80, targetPort: 8081 }] },
};
const deployment: KubernetesObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'kourier-gateway', namespace: 'kourier-system' } };

describe('applyServicePatches', () => {
  it('applies a patch to the Services its match names, and only to Services', () => {
    const { objects, problems } = applyServicePatches([external, internal, deployment], [
      { match: { name: 'kourier' }, patchStrategicMerge: { spec: { loadBalancerClass: 'service.k8s.aws/nlb' } } },
    ]);
    expect(problems).to.deep.equal([]);
    expect(objects[0]).to.have.nested.property('spec.loadBalancerClass', 'service.k8s.aws/nlb');
    expect(objects[1]).to.not.have.nested.property('spec.loadBalancerClass');
    expect(objects[2]).to.equal(deployment);
  });

  it('matches by labels, and applies to every generated Service without a match', () => {
    const { objects } = applyServicePatches([external, internal], [
      { match: { labels: { exposure: 'public' } }, patchStrategicMerge: { metadata: { annotations: { public: 'yes' } } } },
      { patchStrategicMerge: { metadata: { annotations: { team: 'edge' } } } },
    ]);
    expect(objects[0]!.metadata?.annotations).to.deep.equal({ public: 'yes', team: 'edge' });
    expect(objects[1]!.metadata?.annotations).to.deep.equal({ team: 'edge' });
  });

  it('applies RFC 6902 JSON patches', () => {
    const { objects, problems } = applyServicePatches([external], [
      { patchesJson6902: [{ op: 'add', path: '/metadata/annotations', value: { a: '1' } }, { op: 'replace', path: '/spec/ports/0/targetPort', value: 9090 }] },
    ]);
    expect(problems).to.deep.equal([]);
    expect(objects[0]).to.have.nested.property('metadata.annotations.a', '1');
    expect(objects[0]).to.have.nested.property('spec.ports[0].targetPort', 9090);
  });

  it('reports a patch that cannot apply by its index, and still applies the others', () => {
    const { objects, problems } = applyServicePatches([external], [
      { patchesJson6902: [{ op: 'replace', path: '/spec/missing', value: 1 }] },
      { patchStrategicMerge: { spec: { ports: [{ name: 'keyless' }] } } },
      { patchStrategicMerge: { metadata: { labels: { applied: 'yes' } } } },
    ]);
    expect(objects[0]).to.have.nested.property('metadata.labels.applied', 'yes');
    expect(problems.map((problem) => problem.reason)).to.deep.equal(['ServicePatchFailed', 'ServicePatchFailed']);
    expect(problems[0]!.message).to.match(/^spec\.service\.patches\[0\] cannot apply to Service kourier: operation 0 \(replace \/spec\/missing\)/);
    expect(problems[1]!.message).to.match(/^spec\.service\.patches\[1\] cannot apply to Service kourier: an item of a list merged by "port" has no "port"/);
  });

  it('refuses a patch that would rename the Service', () => {
    const { objects, problems } = applyServicePatches([external], [{ patchStrategicMerge: { metadata: { name: 'other' } } }]);
    expect(objects[0]!.metadata?.name).to.equal('kourier');
    expect(problems[0]!.message).to.include('may not change apiVersion, kind, metadata.name or metadata.namespace');
  });

  it('resolves Kyverno anchors against the Service: add-if-absent and conditions', () => {
    const { objects } = applyServicePatches([external, internal], [
      {
        patchStrategicMerge: {
          metadata: { annotations: { '+(owner)': 'platform' } },
          spec: { '(type)': 'LoadBalancer', externalTrafficPolicy: 'Local' },
        },
      },
      // An annotation already there is left alone by +().
      { patchStrategicMerge: { metadata: { annotations: { '+(owner)': 'someone-else' } } } },
      // A condition on list items: every port whose name ends in 2 gets the app protocol.
      { patchStrategicMerge: { spec: { ports: [{ '(name)': '*2', appProtocol: 'kubernetes.io/h2c' }] } } },
    ]);
    expect(objects[0]).to.have.nested.property('metadata.annotations.owner', 'platform');
    expect(objects[0]).to.have.nested.property('spec.externalTrafficPolicy', 'Local');
    expect(objects[1]).to.not.have.nested.property('spec.externalTrafficPolicy');
    expect(objects[0]).to.have.nested.property('spec.ports[0].appProtocol', 'kubernetes.io/h2c');
    expect(objects[0]).to.not.have.nested.property('spec.ports[1].appProtocol');
    expect(objects[1]).to.have.nested.property('spec.ports[0].appProtocol', 'kubernetes.io/h2c');
  });

  it('skips the whole patch when any condition fails, as Kyverno does', () => {
    const { objects, problems } = applyServicePatches([internal], [
      { patchStrategicMerge: { metadata: { '(labels)': { exposure: 'public' }, annotations: { exposed: 'yes' } }, spec: { sessionAffinity: 'ClientIP' } } },
    ]);
    expect(problems).to.deep.equal([]);
    expect(objects[0]).to.deep.equal(internal);
  });
});

describe("Service patches: Kyverno's anchors", () => {
  const patched = (patchStrategicMerge: Record<string, unknown>, service = external) => {
    const { objects, problems } = applyServicePatches([service], [{ patchStrategicMerge }]);
    expect(problems).to.deep.equal([]);
    return objects[0] as KubernetesObject & { spec: { ports: Array<Record<string, unknown>> } };
  };

  it('applies a patch whose conditions all hold', () => {
    const result = patched({ metadata: { '(name)': 'kour*' }, spec: { '(type)': 'LoadBalancer | NodePort', externalTrafficPolicy: 'Local' } });
    expect(result).to.have.nested.property('spec.externalTrafficPolicy', 'Local');
  });

  it('skips the whole patch when one condition fails, wherever it is', () => {
    expect(patched({ metadata: { annotations: { a: 'b' } }, spec: { '(type)': '!LoadBalancer', externalTrafficPolicy: 'Local' } })).to.deep.equal(external);
  });

  it('takes a condition on a key the Service lacks as failed', () => {
    expect(patched({ spec: { '(loadBalancerClass)': '*', externalTrafficPolicy: 'Local' } })).to.deep.equal(external);
  });

  it('matches operators in conditions', () => {
    expect(patched({ spec: { ports: [{ '(port)': '>=400', appProtocol: 'https' }] } }).spec.ports.map((port) => port.appProtocol)).to.deep.equal([undefined, 'https']);
    expect(patched({ spec: { ports: [{ '(targetPort)': '8000-8999', appProtocol: 'h2c' }] } }).spec.ports.map((port) => port.appProtocol)).to.deep.equal(['h2c', 'h2c']);
    expect(patched({ spec: { ports: [{ '(name)': '!https', appProtocol: 'h2c' }] } }).spec.ports.map((port) => port.appProtocol)).to.deep.equal(['h2c', undefined]);
  });

  it('in the port list, a failed condition skips only that item', () => {
    const result = patched({ metadata: { labels: { patched: 'yes' } }, spec: { ports: [{ '(name)': 'metrics', appProtocol: 'http' }] } });
    expect(result).to.have.nested.property('metadata.labels.patched', 'yes');
    expect(result.spec.ports).to.deep.equal((external.spec as { ports: unknown[] }).ports);
  });

  it('skips the whole patch when a global anchor fails, and writes no field named after it', () => {
    expect(patched({ metadata: { '<(labels)': { exposure: 'private' }, annotations: { a: 'b' } } })).to.deep.equal(external);
    const result = patched({ metadata: { '<(labels)': { exposure: 'public' }, annotations: { a: 'b' } } });
    expect(result.metadata?.annotations).to.deep.equal({ a: 'b' });
    expect(JSON.stringify(result)).to.not.include('<(');
  });

  it('a global anchor in the port list skips the patch unless some port satisfies it, and only tests', () => {
    expect(patched({ metadata: { labels: { a: 'b' } }, spec: { ports: [{ '<(name)': 'metrics', appProtocol: 'http' }] } })).to.deep.equal(external);
    const result = patched({ metadata: { labels: { a: 'b' } }, spec: { ports: [{ '<(name)': 'https', appProtocol: 'https' }] } });
    expect(result).to.have.nested.property('metadata.labels.a', 'b');
    expect(result.spec.ports).to.deep.equal((external.spec as { ports: unknown[] }).ports);
  });

  it('adds with +() only what is absent, and resolves anchors inside what it adds', () => {
    const result = patched({ metadata: { '+(annotations)': { a: 'b' } }, spec: { '+(type)': 'ClusterIP', '+(sessionAffinity)': 'ClientIP' } });
    expect(result.metadata?.annotations).to.deep.equal({ a: 'b' });
    expect(result).to.have.nested.property('spec.type', 'LoadBalancer');
    expect(result).to.have.nested.property('spec.sessionAffinity', 'ClientIP');
  });
});

describe('Service patches: RFC 6902 as Kyverno applies it', () => {
  const patched = (patchesJson6902: JsonPatchOperation[]) => applyServicePatches([external], [{ patchesJson6902 }]);

  it('creates the parents an add lacks', () => {
    const { objects, problems } = patched([
      { op: 'add', path: '/metadata/annotations/a~1b', value: 'c' },
      { op: 'add', path: '/spec/sessionAffinityConfig/clientIP/timeoutSeconds', value: 60 },
      { op: 'add', path: '/spec/ipFamilies/0', value: 'IPv4' },
    ]);
    expect(problems).to.deep.equal([]);
    expect(objects[0]).to.have.nested.property('metadata.annotations.a/b', 'c');
    expect(objects[0]).to.have.nested.property('spec.sessionAffinityConfig.clientIP.timeoutSeconds', 60);
    expect((objects[0] as KubernetesObject & { spec: { ipFamilies?: string[] } }).spec.ipFamilies).to.deep.equal(['IPv4']);
  });

  it('reads index -1 as the last item, and adds after it', () => {
    const { objects, problems } = patched([
      { op: 'replace', path: '/spec/ports/-1/targetPort', value: 9443 },
      { op: 'add', path: '/spec/ports/-1', value: { name: 'metrics', port: 9000 } },
    ]);
    expect(problems).to.deep.equal([]);
    expect((objects[0] as typeof external & { spec: { ports: unknown[] } }).spec.ports).to.deep.equal([
      { name: 'http2', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 9443 },
      { name: 'metrics', port: 9000 },
    ]);
  });

  it('removes a missing path as a no-op, and still fails other operations on it', () => {
    expect(patched([{ op: 'remove', path: '/spec/missing/deeper' }, { op: 'remove', path: '/spec/ports/7' }])).to.deep.equal({ objects: [external], problems: [] });
    expect(patched([{ op: 'replace', path: '/spec/missing', value: 1 }]).problems).to.have.length(1);
    expect(patched([{ op: 'test', path: '/spec/type', value: 'ClusterIP' }]).problems[0]!.message).to.include('operation 0 (test /spec/type)');
  });
});
