// Restart safety: the operator dies (kill -9) and starts again while the installation's Envoy
// pods it programs carry steady traffic through the load balancer. No request fails, each Envoy
// reconnects to the new process, is handed the same configuration, and no listener is drained or
// replaced.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { envoyStats, readyPodIPs } from '../support/gateway.ts';
import { sendRequest } from '../support/http.ts';
import { gauge, installationManifest, type Installation } from '../support/installations.ts';
import { operatorIdentity, startOperator, xdsOnTestBed, type OperatorIdentity, type OperatorProcess } from '../support/operator.ts';
import { eventually } from '../support/processes.ts';

/** An Envoy pod's counters that change when a listener is added, replaced or drained. */
function listenerCounters(podIP: string): Promise<Record<string, number>> {
  return envoyStats(podIP, '^listener_manager\\.(listener_added|listener_modified|listener_removed|total_listeners_draining|lds\\.update_rejected)$');
}

describe('an operator restart under traffic', function () {
  this.timeout(180_000);
  const name = `restart-${randomBytes(3).toString('hex')}`;
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  let operator: OperatorProcess | undefined;
  let args: string[];
  let address: string;
  let podIPs: string[];

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('portico-restart');
    dir = mkdtempSync(join(tmpdir(), 'portico-restart-'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
    // The same xDS address before and after the crash, as a Service in front of the operator gives.
    args = await xdsOnTestBed();
    operator = await startOperator({ kubeconfig: identity.kubeconfig, namespace, args });
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, { namespace: `gw-${name}`, knative: { ingressClass: `${name}.example.com` }, envoy: { drainSeconds: 1 } })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=90s']);
    await kubectlOk(['wait', '--for=condition=ConfigSynced', `gwi/${name}`, '--timeout=90s']);
    const installation = JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation;
    address = installation.status?.addresses?.[0]?.value ?? '';
    podIPs = await readyPodIPs(`gw-${name}`, `portico.dev/installation=${name}`);
    expect(podIPs).to.have.length(2);
  });

  after(async () => {
    if (operator) {
      await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
      await operator.stop();
    }
    await identity?.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails no request, and every Envoy keeps its listeners as they were', async () => {
    const before = await Promise.all(podIPs.map((ip) => listenerCounters(ip)));
    const steady = { stop: false };
    const outcomes = { answered: 0, failed: [] as string[] };
    // Steady traffic, bounded: one request every 20 ms until told to stop, at most 90 s.
    const traffic = (async () => {
      const deadline = Date.now() + 90_000;
      while (!steady.stop && Date.now() < deadline) {
        try {
          const response = await sendRequest(`http://${address}/steady`, { headers: { host: 'steady.example.com' } });
          if (response.status === 404) outcomes.answered += 1;
          else outcomes.failed.push(`status ${response.status}`);
        } catch (error) {
          outcomes.failed.push(String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await operator!.crash();
    operator = await startOperator({ kubeconfig: identity!.kubeconfig, namespace, args });
    const restarted = operator;
    await eventually('both Envoys to reconnect to the new operator and hold its configuration', async () => {
      const metrics = (await restarted.get('/metrics')).body;
      return gauge(metrics, `portico_xds_connected_proxies{installation="${name}"}`) === 2 && (gauge(metrics, `portico_xds_rejections_total{installation="${name}",type="Listener"}`) ?? 0) === 0
        ? true
        : undefined;
    }, 60_000, 250);
    // Give the stream time to settle, under traffic, before looking.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    steady.stop = true;
    await traffic;

    expect(outcomes.failed, outcomes.failed.slice(0, 5).join('; ')).to.deep.equal([]);
    expect(outcomes.answered).to.be.greaterThan(20);
    const after = await Promise.all(podIPs.map((ip) => listenerCounters(ip)));
    expect(after).to.deep.equal(before);
    expect(after.map((counters) => counters['listener_manager.total_listeners_draining'])).to.deep.equal([0, 0]);
  });
});
