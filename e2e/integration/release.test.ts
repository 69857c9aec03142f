// The release manifest (deploy/release.ts) installs Portico with `kubectl apply`: the CRDs,
// the namespace, the ServiceAccount and least-privilege RBAC, the operator Deployment under
// the restricted Pod Security Standard, the portico-xds Service and a PodDisruptionBudget.
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { releaseManifest } from '../../deploy/release.ts';
import { kubectl, kubectlOk, localCluster } from '../support/cluster.ts';

interface Deployment {
  spec: { replicas: number; template: { spec: { containers: Array<{ readinessProbe?: { httpGet?: { path: string } }; livenessProbe?: { httpGet?: { path: string } }; securityContext?: Record<string, unknown>; resources?: { requests?: Record<string, string> } }> } } };
  status?: { availableReplicas?: number };
}

describe('the release manifest', function () {
  this.timeout(180_000);
  const manifest = releaseManifest('localhost/portico:test');
  const objects = parseAllDocuments(manifest).map((document) => document.toJS() as { kind: string; metadata: { name: string }; rules?: Array<{ verbs: string[]; resources: string[]; apiGroups: string[] }> });

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
  });

  after(async () => {
    // The CRDs stay: other suites' objects live in them.
    await kubectl(['delete', 'namespace', 'portico-system', '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await kubectl(['delete', 'clusterrolebinding,clusterrole', 'portico', '--ignore-not-found']);
  });

  it('holds the CRD and every object of the operator, in an order kubectl can apply', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).to.deep.equal([
      'CustomResourceDefinition/gatewayinstallations.portico.dev',
      'Namespace/portico-system',
      'ServiceAccount/portico',
      'ClusterRole/portico',
      'ClusterRoleBinding/portico',
      'Role/portico-leader-election',
      'RoleBinding/portico-leader-election',
      'Service/portico-xds',
      'Deployment/portico',
      'PodDisruptionBudget/portico',
    ]);
  });

  it('grants no wildcard', () => {
    for (const object of objects.filter((candidate) => candidate.rules)) {
      for (const rule of object.rules ?? []) {
        expect([...rule.verbs, ...rule.resources, ...rule.apiGroups], `${object.kind}/${object.metadata.name}`).to.not.include('*');
      }
    }
  });

  it('installs with kubectl apply, and the operator Deployment becomes Available under the restricted Pod Security Standard', async () => {
    await kubectlOk(['apply', '--server-side', '-f', '-'], manifest);
    await kubectlOk(['wait', '--for=condition=Available', 'deployment/portico', '-n', 'portico-system', '--timeout=120s']);
    const deployment = JSON.parse(await kubectlOk(['get', 'deployment', 'portico', '-n', 'portico-system', '-o', 'json'])) as Deployment;
    expect(deployment.spec.replicas).to.equal(2);
    expect(deployment.status?.availableReplicas).to.equal(2);
    const [container] = deployment.spec.template.spec.containers;
    expect(container?.readinessProbe?.httpGet?.path).to.equal('/readyz');
    expect(container?.livenessProbe?.httpGet?.path).to.equal('/healthz');
    expect(container?.resources?.requests).to.have.keys('cpu', 'memory');
    expect(container?.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const xds = JSON.parse(await kubectlOk(['get', 'service', 'portico-xds', '-n', 'portico-system', '-o', 'json'])) as { spec: { ports: Array<{ name: string; port: number }> } };
    expect(xds.spec.ports.map((port) => `${port.name}:${port.port}`)).to.deep.equal(['xds:18000', 'http:8080']);
  });

  it('applies again without a change (an upgrade of an unchanged release is a no-op)', async () => {
    const generation = async () => (await kubectlOk(['get', 'deployment', 'portico', '-n', 'portico-system', '-o', 'jsonpath={.metadata.generation}'])).trim();
    const before = await generation();
    await kubectlOk(['apply', '--server-side', '-f', '-'], manifest);
    expect(await generation()).to.equal(before);
  });
});
