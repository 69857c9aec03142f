// Two operator replicas: both fill their caches, only the leader writes, and when the leader
// dies the other takes the Lease over within the lease duration and carries on.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { apiWrites, gauge, installationManifest } from '../support/installations.ts';
import { operatorIdentity, startOperator, type OperatorIdentity, type OperatorProcess } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

/** client-go's and Portico's default lease duration, plus two retry periods. */
const handoverMs = 15_000 + 2 * 2_000;

describe('leader election', function () {
  this.timeout(180_000);
  const name = `elected-${randomBytes(3).toString('hex')}`;
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  const replicas: OperatorProcess[] = [];

  const holder = async () => (await kubectl(['get', 'lease', 'portico-leader', '-n', namespace, '-o', 'jsonpath={.spec.holderIdentity}'])).stdout;
  const writes = async (replica: OperatorProcess) => apiWrites((await replica.get('/metrics')).body);

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('portico-ha');
    dir = mkdtempSync(join(tmpdir(), 'portico-ha-'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
  });

  after(async () => {
    await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    for (const replica of replicas) await replica.stop();
    await identity?.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the first replica the leader and keeps the second one following, with synced caches', async () => {
    replicas.push(await startOperator({ kubeconfig: identity!.kubeconfig, namespace, identity: 'replica-a' }));
    await eventually('replica-a to hold the lease', async () => ((await holder()) === 'replica-a' ? true : undefined));
    replicas.push(await startOperator({ kubeconfig: identity!.kubeconfig, namespace, identity: 'replica-b' }));
    const [a, b] = replicas as [OperatorProcess, OperatorProcess];
    await eventually('both replicas to be ready', async () => ((await a.get('/readyz')).status === 200 && (await b.get('/readyz')).status === 200 ? true : undefined));
    expect(gauge((await a.get('/metrics')).body, 'portico_leader')).to.equal(1);
    expect(gauge((await b.get('/metrics')).body, 'portico_leader')).to.equal(0);
  });

  it('lets only the leader write', async () => {
    const [, b] = replicas as [OperatorProcess, OperatorProcess];
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, { namespace: `gw-${name}`, knative: { ingressClass: `${name}.example.com` } })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=60s']);
    expect(await writes(b)).to.equal(0);
  });

  it('hands over within the lease duration when the leader dies, and the new leader reconciles', async () => {
    const [a, b] = replicas as [OperatorProcess, OperatorProcess];
    await a.crash();
    await eventually('replica-b to take the lease', async () => ((await holder()) === 'replica-b' ? true : undefined), handoverMs, 250);
    await eventually('replica-b to report itself leader', async () => (gauge((await b.get('/metrics')).body, 'portico_leader') === 1 ? true : undefined));
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', '{"spec":{"envoy":{"replicas":3}}}']);
    await eventually('the new leader to scale the gateway', async () => {
      const replicasNow = (await kubectlOk(['get', 'deployment', `${name}-gateway`, '-n', `gw-${name}`, '-o', 'jsonpath={.spec.replicas}'])).trim();
      return replicasNow === '3' ? true : undefined;
    });
    expect(await writes(b)).to.be.greaterThan(0);
  });

  it('releases the lease on a clean stop', async () => {
    const b = replicas[1]!;
    // The leader finalizes the installation before it goes.
    await kubectlOk(['delete', 'gwi', name, '--wait=true', '--timeout=60s']);
    expect(await b.stop()).to.equal(0);
    expect(await holder()).to.equal('');
  });
});
