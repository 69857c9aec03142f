// End to end through the operator's own xDS server: a GatewayInstallation's own Envoy pods take
// their config over mutual TLS from the operator (the bootstrap from its ConfigMap, the client
// certificate from its Secret, both mounted as the pod declares them), and the installation
// reports in ConfigSynced how many of them hold it, as they come and go.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { sendRequest } from '../support/http.ts';
import { gauge, type Installation } from '../support/installations.ts';
import { eventually } from '../support/processes.ts';

async function configSynced(name: string): Promise<{ reason: string; message: string } | undefined> {
  const installation = JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation;
  return installation.status?.conditions?.find((condition) => condition.type === 'ConfigSynced');
}

describe('a gateway programmed by the operator over xDS', function () {
  this.timeout(180_000);
  const name = `xds-${randomBytes(3).toString('hex')}`;
  let gateway: Gateway | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
  });

  after(async () => {
    await gateway?.stop();
  });

  it('serves its config to both of its Envoy pods, which answer 404 on every listener until routes exist', async () => {
    gateway = await startGateway(name, { knative: { ingressClass: `${name}.example.com` } });
    const installation = JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation;
    const synced = installation.status?.conditions?.find((condition) => condition.type === 'ConfigSynced');
    expect(synced?.message).to.match(/^2\/2 proxies at version [0-9a-f]{16}\.$/);
    const xds = (installation.status as { xds?: { version: string; proxies: number; synced: number } }).xds;
    expect(xds).to.include({ proxies: 2, synced: 2 });
    expect(synced?.message).to.include(xds!.version);
    const metrics = (await gateway.operator.process.get('/metrics')).body;
    expect(gauge(metrics, `portico_xds_connected_proxies{installation="${name}"}`)).to.equal(2);
    expect(gauge(metrics, `portico_xds_pushes_total{installation="${name}",type="Listener"}`)).to.be.at.least(1);
    for (const listener of ['externalHTTP', 'internalHTTP', 'probeHTTP'] as const) {
      const response = await eventually(`${listener} to answer`, () => sendRequest(`http://${gateway!.endpoint(listener)}/`, { headers: { host: 'nothing.example.com' } }).catch(() => undefined));
      expect(response.status, listener).to.equal(404);
    }
    // The bootstrap's own stats listener answers Envoy's readiness, which the pod's probe asks.
    expect((await sendRequest(`http://${gateway.endpoint('metrics')}/ready`)).status).to.equal(200);
  });

  it('counts the proxies as pods go, down to none', async () => {
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { envoy: { replicas: 1 } } })]);
    await eventually('ConfigSynced to count one proxy', async () => ((await configSynced(name))?.message.startsWith('1/1 proxies') ? true : undefined), 90_000, 250);
    await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { envoy: { replicas: 0 } } })]);
    await eventually('ConfigSynced to say no proxy is connected', async () => ((await configSynced(name))?.reason === 'NoProxiesConnected' ? true : undefined), 90_000, 250);
  });
});
