// A cache of a resource whose CRD is not installed (Knative's Ingress on a cluster without
// Knative) counts as synced and empty, so the operator still becomes ready, and fills once the
// CRD and objects appear: against the real apiserver, which answers such a path with a plain
// "404 page not found".
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ResourceInformer } from '../../operator/runtime/informer.ts';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { operatorIdentity, type OperatorIdentity } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

describe('an optional informer', function () {
  this.timeout(120_000);
  const group = `absent-${randomBytes(3).toString('hex')}.portico.dev`;
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  let informer: ResourceInformer | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    namespace = await createNamespace('optional');
    dir = mkdtempSync(join(tmpdir(), 'portico-optional-'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'), [{ apiGroups: [group], resources: ['widgets'], verbs: ['list', 'watch'] }]);
  });

  after(async () => {
    await informer?.stop();
    await kubectl(['delete', 'crd', `widgets.${group}`, '--ignore-not-found']);
    await identity?.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is synced and empty while the API does not serve the resource', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(identity!.kubeconfig);
    informer = new ResourceInformer(kubeConfig, { apiVersion: `${group}/v1`, kind: 'Widget', plural: 'widgets', optional: true }, pino({ level: 'silent' }), { baseMs: 100, maxMs: 500 });
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced).to.equal(true);
    expect(informer.list()).to.deep.equal([]);
  });

  it('fills once the CRD is installed and objects exist', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(crd));
    await kubectlOk(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=60s']);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'one', namespace } }));
    // The absent resource is looked for again every few seconds (10 s at most).
    await eventually('the widget in the cache', () => Promise.resolve(informer!.list().length === 1 ? true : undefined), 30_000, 200);
  });
});
