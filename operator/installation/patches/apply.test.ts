import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
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
      { patchesJson6902: [{ op: 'remove', path: '/spec/missing' }] },
      { patchStrategicMerge: { spec: { ports: [{ name: 'keyless' }] } } },
      { patchStrategicMerge: { metadata: { labels: { applied: 'yes' } } } },
    ]);
    expect(objects[0]).to.have.nested.property('metadata.labels.applied', 'yes');
    expect(problems.map((problem) => problem.reason)).to.deep.equal(['ServicePatchFailed', 'ServicePatchFailed']);
    expect(problems[0]!.message).to.match(/^spec\.service\.patches\[0\] cannot apply to Service kourier: operation 0 \(remove \/spec\/missing\)/);
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

  it('skips the part of a patch whose condition fails', () => {
    const { objects, problems } = applyServicePatches([internal], [
      { patchStrategicMerge: { metadata: { '(labels)': { exposure: 'public' }, annotations: { exposed: 'yes' } }, spec: { sessionAffinity: 'ClientIP' } } },
    ]);
    expect(problems).to.deep.equal([]);
    expect(objects[0]).to.not.have.nested.property('metadata.annotations');
    expect(objects[0]).to.have.nested.property('spec.sessionAffinity', 'ClientIP');
  });
});
