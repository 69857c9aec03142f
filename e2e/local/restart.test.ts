// Restart safety: the operator dies (kill -9) and starts again while a real Envoy it programs
// carries steady traffic. No request fails, Envoy reconnects to the new process, is handed
// the same configuration, and no listener is drained or replaced.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { sendRequest } from '../support/http.ts';
import { gauge, installationManifest } from '../support/installations.ts';
import { operatorIdentity, startOperator, type OperatorIdentity, type OperatorProcess } from '../support/operator.ts';
import { eventually, freePort } from '../support/processes.ts';
import { mountSecret } from '../support/secret-volume.ts';

/** Envoy's counters that change when a listener is added, replaced or drained. */
async function listenerCounters(envoy: EnvoyProcess): Promise<Record<string, number>> {
  const stats = await envoy.admin('/stats?filter=^listener_manager\\.(listener_added|listener_modified|listener_removed|total_listeners_draining|lds\\.update_rejected)$');
  return Object.fromEntries(stats.trim().split('\n').map((line) => {
    const [key, value] = line.split(': ');
    return [key!, Number(value)];
  }));
}

describe('an operator restart under traffic', function () {
  this.timeout(180_000);
  const name = `restart-${randomBytes(3).toString('hex')}`;
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  let operator: OperatorProcess | undefined;
  let envoy: EnvoyProcess | undefined;
  let args: string[];
  let port: number;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('portico-restart');
    dir = mkdtempSync(join(tmpdir(), 'portico-restart-'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
    const xdsPort = await freePort();
    args = ['--xds-listen', `127.0.0.1:${xdsPort}`, '--xds-address', `127.0.0.1:${xdsPort}`, '--envoy-admin-port', String(await freePort()), '--envoy-xds-tls-dir', dir];
    operator = await startOperator({ kubeconfig: identity.kubeconfig, namespace, args });
    port = await freePort();
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, {
      namespace: `gw-${name}`,
      knative: { ingressClass: `${name}.example.com` },
      listeners: { addresses: ['127.0.0.1'], ports: { externalHTTP: port, internalHTTP: await freePort(), probeHTTP: await freePort(), metrics: await freePort() } },
    })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=90s']);
    const bootstrap = await kubectlOk(['get', 'configmap', `${name}-bootstrap`, '-n', `gw-${name}`, '-o', 'jsonpath={.data.envoy-bootstrap\\.yaml}']);
    const secret = JSON.parse(await kubectlOk(['get', 'secret', `${name}-xds-client`, '-n', `gw-${name}`, '-o', 'json'])) as { data: Record<string, string> };
    mountSecret(dir, secret.data);
    envoy = await startEnvoy(bootstrap, { args: ['--service-node', `${name}-gateway-0`, '--service-cluster', name] });
    await kubectlOk(['wait', '--for=condition=ConfigSynced', `gwi/${name}`, '--timeout=60s']);
  });

  after(async () => {
    await envoy?.stop();
    if (operator) {
      await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
      await operator.stop();
    }
    await identity?.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails no request, and Envoy keeps its listeners as they were', async () => {
    const before = await listenerCounters(envoy!);
    const steady = { stop: false };
    const outcomes = { answered: 0, failed: [] as string[] };
    // Steady traffic, bounded: one request every 20 ms until told to stop, at most 90 s.
    const traffic = (async () => {
      const deadline = Date.now() + 90_000;
      while (!steady.stop && Date.now() < deadline) {
        try {
          const response = await sendRequest(`http://127.0.0.1:${port}/steady`, { headers: { host: 'steady.example.com' } });
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
    await eventually('Envoy to reconnect to the new operator and hold its configuration', async () => {
      const metrics = (await restarted.get('/metrics')).body;
      return gauge(metrics, `portico_xds_connected_proxies{installation="${name}"}`) === 1 && (gauge(metrics, `portico_xds_rejections_total{installation="${name}",type="Listener"}`) ?? 0) === 0
        ? true
        : undefined;
    }, 60_000, 250);
    // Give the stream time to settle, under traffic, before looking.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    steady.stop = true;
    await traffic;

    expect(outcomes.failed, outcomes.failed.slice(0, 5).join('; ')).to.deep.equal([]);
    expect(outcomes.answered).to.be.greaterThan(20);
    const after = await listenerCounters(envoy!);
    expect(after).to.deep.equal(before);
    expect(after['listener_manager.total_listeners_draining']).to.equal(0);
  });
});
