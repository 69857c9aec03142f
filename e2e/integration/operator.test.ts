// The operator process against the real apiserver, with the RBAC of its own ServiceAccount:
// /readyz says ready only once every informer holds its initial list.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { operatorIdentity, operatorRules, startOperator, type OperatorIdentity, type OperatorProcess } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

describe('the operator process', function () {
  this.timeout(120_000);
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  let operator: OperatorProcess | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    namespace = await createNamespace('operator');
    dir = mkdtempSync(join(tmpdir(), 'portico-operator-'));
    await installCrds();
    // Everything but EndpointSlices, at first: that informer cannot list and must keep the operator unready.
    const withoutEndpointSlices = operatorRules.filter((rule) => !rule.resources.includes('endpointslices'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'), withoutEndpointSlices);
  });

  after(async () => {
    await operator?.stop();
    await identity?.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is alive but not ready while a cache cannot sync, and says which', async () => {
    operator = await startOperator({ kubeconfig: identity!.kubeconfig, namespace });
    expect((await operator.get('/healthz')).status).to.equal(200);
    // Wait until the forbidden list has been tried and logged, then check readiness again.
    await eventually('the operator to log the forbidden EndpointSlice list', () => {
      const lines = operator!.output.text().split('\n');
      return Promise.resolve(lines.some((line) => line.includes('list or watch failed') && line.includes('endpointslices')) ? true : undefined);
    });
    // The other caches sync; the EndpointSlice one cannot, and /readyz names it alone.
    const ready = await eventually('/readyz to name only the EndpointSlice cache', async () => {
      const answer = await operator!.get('/readyz');
      return answer.body.includes(',') ? undefined : answer;
    });
    expect(ready.status).to.equal(503);
    expect(ready.body.trim()).to.equal('not ready: endpointslices.discovery.k8s.io/v1');
  });

  it('turns ready once the cache can sync, without a restart', async () => {
    await identity!.setRules(operatorRules);
    const ready = await eventually('/readyz to answer 200', async () => {
      const answer = await operator!.get('/readyz');
      return answer.status === 200 ? answer : undefined;
    }, 60_000, 200);
    expect(ready.body.trim()).to.equal('ok');
  });

  it('reports its caches in /metrics', async () => {
    const services = JSON.parse(await kubectlOk(['get', 'services', '-A', '-o', 'json'])) as { items: unknown[] };
    const metrics = await eventually('the Service cache to match the API', async () => {
      const { body } = await operator!.get('/metrics');
      return body.includes(`portico_informer_objects{informer="services.v1"} ${services.items.length}`) ? body : undefined;
    });
    expect(metrics).to.include('portico_informer_synced{informer="endpointslices.discovery.k8s.io/v1"} 1');
    expect(metrics).to.include('process_resident_memory_bytes');
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await operator!.stop();
    expect(code, `exit code; the operator said:\n${operator!.output.text()}`).to.equal(0);
    expect(operator!.output.text()).to.include('"msg":"stopped"');
    operator = undefined;
  });
});
