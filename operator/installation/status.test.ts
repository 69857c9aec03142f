import type { V1Deployment } from '@kubernetes/client-node';
import { expect } from 'chai';
import { withDefaults } from '../api/schema-defaults.ts';
import { computeStatus, imageTag } from './status.ts';

const now = new Date('2026-06-01T12:00:00Z');
const installation = withDefaults({
  apiVersion: 'portico.dev/v1alpha1',
  kind: 'GatewayInstallation',
  metadata: { name: 'kourier', generation: 4 },
  spec: { envoy: { image: 'docker.io/envoyproxy/envoy:v1.41.0' } },
});

function deployment(status: Record<string, unknown>, generation = 7): V1Deployment {
  return {
    metadata: { name: 'kourier-gateway', namespace: 'kourier-system', generation },
    spec: { replicas: 2, selector: {}, template: { spec: { containers: [{ name: 'envoy', image: 'docker.io/envoyproxy/envoy:v1.41.0' }] } } },
    status: { observedGeneration: generation, ...status },
  };
}

const settled = deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] });

function byType(status: ReturnType<typeof computeStatus>) {
  return Object.fromEntries((status.conditions ?? []).map((condition) => [condition.type, condition]));
}

describe('computeStatus', () => {
  it('is Ready when the rollout is complete, enough replicas are ready and nothing is wrong', () => {
    const status = computeStatus(installation, { deployment: settled, problems: [], blocked: false }, now);
    const conditions = byType(status);
    expect(conditions.Ready).to.include({ status: 'True', reason: 'Ready', observedGeneration: 4 });
    expect(conditions.Available).to.include({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(conditions.Progressing).to.include({ status: 'False', reason: 'RolloutComplete' });
    expect(conditions.Degraded).to.include({ status: 'False', reason: 'AsExpected' });
    expect(status.envoy).to.deep.equal({ image: 'docker.io/envoyproxy/envoy:v1.41.0', version: 'v1.41.0', replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2, ready: '2/2' });
    expect(status.observedGeneration).to.equal(4);
  });

  it('says how far a rollout has come, and is not Ready during it', () => {
    const rolling = deployment({ replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] });
    const conditions = byType(computeStatus(installation, { deployment: rolling, problems: [], blocked: false }, now));
    expect(conditions.Progressing).to.include({ status: 'True', reason: 'RollingOut', message: '1/2 replicas updated to docker.io/envoyproxy/envoy:v1.41.0.' });
    expect(conditions.Ready).to.include({ status: 'False', reason: 'RollingOut' });
    expect(conditions.Available!.status).to.equal('True');
  });

  it('does not call a rollout complete while the Deployment still runs another image', () => {
    const old = deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] });
    old.spec!.template.spec!.containers[0]!.image = 'docker.io/envoyproxy/envoy:v1.40.0';
    const conditions = byType(computeStatus(installation, { deployment: old, problems: [], blocked: false }, now));
    expect(conditions.Progressing).to.include({ status: 'True', message: '0/2 replicas updated to docker.io/envoyproxy/envoy:v1.41.0.' });
  });

  it('counts a Deployment whose new spec the controller has not seen yet as rolling out', () => {
    const unseen = deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] });
    unseen.metadata!.generation = 8;
    expect(byType(computeStatus(installation, { deployment: unseen, problems: [], blocked: false }, now)).Progressing!.status).to.equal('True');
  });

  it('puts every problem in Degraded, leading with the first one\'s reason', () => {
    const problems = [
      { reason: 'SecretNotFound', message: 'Secret a/b named by spec.tls.secretRef does not exist.' },
      { reason: 'ServicePatchFailed', message: 'spec.service.patches[1] cannot apply.' },
    ];
    const conditions = byType(computeStatus(installation, { deployment: settled, problems, blocked: false }, now));
    expect(conditions.Degraded).to.include({ status: 'True', reason: 'SecretNotFound', message: 'Secret a/b named by spec.tls.secretRef does not exist. spec.service.patches[1] cannot apply.' });
    expect(conditions.Ready).to.include({ status: 'False', reason: 'SecretNotFound' });
  });

  it('says nothing is installed while blocked', () => {
    const conditions = byType(computeStatus(installation, { problems: [{ reason: 'NamespaceConflict', message: 'taken' }], blocked: true }, now));
    expect(conditions.Progressing).to.include({ status: 'False', reason: 'Blocked' });
    expect(conditions.Available).to.include({ status: 'False', reason: 'NotInstalled' });
    expect(conditions.Ready).to.include({ status: 'False', reason: 'NamespaceConflict' });
  });

  it('is not Available with no ready replica, or when scaled to zero', () => {
    const starting = deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 0, conditions: [{ type: 'Available', status: 'False' }] });
    expect(byType(computeStatus(installation, { deployment: starting, problems: [], blocked: false }, now)).Available).to.include({ status: 'False', reason: 'ReplicasNotReady' });
    const zero = deployment({});
    zero.spec!.replicas = 0;
    expect(byType(computeStatus(installation, { deployment: zero, problems: [], blocked: false }, now)).Available).to.include({ status: 'False', reason: 'ScaledToZero' });
  });

  it('takes addresses from the load balancer, or the cluster IPs of other Service types', () => {
    const lb = { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'a.example.com' }] } } };
    expect(computeStatus(installation, { deployment: settled, externalService: lb, problems: [], blocked: false }, now).addresses).to.deep.equal([
      { type: 'IPAddress', value: '203.0.113.7' },
      { type: 'Hostname', value: 'a.example.com' },
    ]);
    const pending = { spec: { type: 'LoadBalancer' }, status: {} };
    expect(computeStatus(installation, { deployment: settled, externalService: pending, problems: [], blocked: false }, now).addresses).to.equal(undefined);
    const clusterIP = { spec: { type: 'ClusterIP', clusterIPs: ['198.18.192.5'] } };
    expect(computeStatus(installation, { deployment: settled, externalService: clusterIP, problems: [], blocked: false }, now).addresses).to.deep.equal([{ type: 'IPAddress', value: '198.18.192.5' }]);
  });
});

describe('imageTag', () => {
  it('reads the tag, and no tag from a registry port or a digest', () => {
    expect(imageTag('docker.io/envoyproxy/envoy:v1.40.0')).to.equal('v1.40.0');
    expect(imageTag('registry.example.com:5000/envoy:v1.39.3@sha256:abc')).to.equal('v1.39.3');
    expect(imageTag('registry.example.com:5000/envoy')).to.equal(undefined);
    expect(imageTag('envoy@sha256:abc')).to.equal(undefined);
  });
});
