// The local control plane behaves as a real cluster does for what Portico relies on:
// nodes, scheduling and readiness, garbage collection, RBAC, admission, and kubectl.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { eventually } from '../support/processes.ts';

interface Condition {
  type: string;
  status: string;
}

describe('the local control plane', function () {
  let namespace: string;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    namespace = await createNamespace('control-plane');
  });

  after(async () => {
    await deleteNamespace(namespace);
  });

  it('runs the Kubernetes release it was built from, and kubectl of the same release', async () => {
    const version = JSON.parse(await kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
    const pinned = /KUBERNETES_VERSION=(v\S+)/.exec(readFileSync(new URL('../cluster/versions.env', import.meta.url), 'utf8'))?.[1];
    expect(version.serverVersion.gitVersion).to.equal(pinned);
    expect(version.clientVersion.gitVersion).to.equal(pinned);
  });

  it('has kwok nodes that report Ready', async () => {
    const nodes = JSON.parse(await kubectlOk(['get', 'nodes', '-o', 'json'])) as { items: Array<{ status: { conditions: Condition[] } }> };
    expect(nodes.items).to.have.length.of.at.least(1);
    for (const node of nodes.items) {
      expect(node.status.conditions.find((condition) => condition.type === 'Ready')?.status).to.equal('True');
    }
  });

  it('schedules a Deployment of 2 replicas that kubectl wait sees Available', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
        },
      },
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(deployment));
    await kubectlOk(['wait', '--for=condition=Available', `deployment/web`, '-n', namespace, '--timeout=90s']);
    const status = JSON.parse(await kubectlOk(['get', 'deployment', 'web', '-n', namespace, '-o', 'json'])) as {
      status: { readyReplicas: number; availableReplicas: number };
    };
    expect(status.status).to.include({ readyReplicas: 2, availableReplicas: 2 });
    // The ServiceAccount admission plugin gives every pod the namespace's default account.
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-n', namespace, '-l', 'app=web', '-o', 'json'])) as {
      items: Array<{ spec: { serviceAccountName: string; nodeName: string }; status: { phase: string } }>;
    };
    expect(pods.items).to.have.length(2);
    for (const pod of pods.items) {
      expect(pod.spec.serviceAccountName).to.equal('default');
      expect(pod.spec.nodeName).to.match(/^kwok-node-/);
      expect(pod.status.phase).to.equal('Running');
    }
  });

  it('garbage-collects the dependents of a deleted owner', async () => {
    await kubectlOk(['create', 'configmap', 'owner', '-n', namespace, '--from-literal=role=owner']);
    const uid = (await kubectlOk(['get', 'configmap', 'owner', '-n', namespace, '-o', 'jsonpath={.metadata.uid}'])).trim();
    const dependent = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dependent', namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
      data: { role: 'dependent' },
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(dependent));
    await kubectlOk(['delete', 'configmap', 'owner', '-n', namespace]);
    await eventually('the dependent ConfigMap to be garbage-collected', async () => {
      const result = await kubectl(['get', 'configmap', 'dependent', '-n', namespace]);
      return result.stderr.includes('NotFound') ? true : undefined;
    });
  });

  it('enforces RBAC: a ServiceAccount may do only what a role grants it', async () => {
    await kubectlOk(['create', 'serviceaccount', 'reader', '-n', namespace]);
    const as = `--as=system:serviceaccount:${namespace}:reader`;
    expect((await kubectl(['auth', 'can-i', 'list', 'services', '-n', namespace, as])).stdout.trim()).to.equal('no');
    await kubectlOk(['create', 'role', 'read-services', '-n', namespace, '--verb=list', '--resource=services']);
    await kubectlOk(['create', 'rolebinding', 'reader', '-n', namespace, '--role=read-services', `--serviceaccount=${namespace}:reader`]);
    expect((await kubectl(['auth', 'can-i', 'list', 'services', '-n', namespace, as])).stdout.trim()).to.equal('yes');
    expect((await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', namespace, as])).stdout.trim()).to.equal('no');
    const forbidden = await kubectl(['get', 'secrets', '-n', namespace, as]);
    expect(forbidden.code).to.not.equal(0);
    expect(forbidden.stderr).to.include('Forbidden');
  });
});
