// End to end through the operator's own xDS server: apply a GatewayInstallation, start a
// real Envoy from the bootstrap the operator put in its ConfigMap and with the client
// certificate it put in its Secret (as a gateway pod mounts them), and see Envoy take its
// config over mutual TLS and the installation report ConfigSynced.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { sendRequest } from '../support/http.ts';
import { gauge, installationManifest, type Installation } from '../support/installations.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';
import { mountSecret } from '../support/secret-volume.ts';
import { eventually, freePort } from '../support/processes.ts';

describe('a gateway programmed by the operator over xDS', function () {
  this.timeout(120_000);
  const name = `xds-${randomBytes(3).toString('hex')}`;
  let operator: RunningOperator | undefined;
  let envoy: EnvoyProcess | undefined;
  let ports: Record<string, number>;
  let tlsDirectory: string;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    const xdsPort = await freePort();
    const adminPort = await freePort();
    tlsDirectory = mkdtempSync(join(tmpdir(), 'portico-xds-client-'));
    // The bootstrap points Envoy at this operator's xDS port on loopback, and at the directory
    // this test writes the installation's client certificate to, as the pod's Secret volume.
    operator = await runOperator(undefined, [
      '--xds-listen', `127.0.0.1:${xdsPort}`,
      '--xds-address', `127.0.0.1:${xdsPort}`,
      '--envoy-admin-port', String(adminPort),
      '--envoy-xds-tls-dir', tlsDirectory,
    ]);
    ports = {
      externalHTTP: await freePort(),
      internalHTTP: await freePort(),
      externalHTTPS: await freePort(),
      internalHTTPS: await freePort(),
      probeHTTP: await freePort(),
      probeHTTPS: await freePort(),
      metrics: await freePort(),
    };
  });

  after(async () => {
    await envoy?.stop();
    await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await operator?.stop();
    rmSync(tlsDirectory, { recursive: true, force: true });
  });

  it('installs the gateway, whose pods are Ready but no Envoy has connected yet', async () => {
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, {
      namespace: `gw-${name}`,
      knative: { ingressClass: `${name}.example.com` },
      listeners: { addresses: ['127.0.0.1'], ports },
    })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=60s']);
    const status = (await kubectlOk(['get', 'gwi', name, '-o', 'jsonpath={.status.conditions[?(@.type=="ConfigSynced")].reason}'])).trim();
    expect(status).to.equal('NoProxiesConnected');
  });

  it('serves the installation\'s config to a real Envoy started from its ConfigMap, which answers 404 until routes exist', async () => {
    const bootstrap = await kubectlOk(['get', 'configmap', `${name}-bootstrap`, '-n', `gw-${name}`, '-o', 'jsonpath={.data.envoy-bootstrap\\.yaml}']);
    const secret = JSON.parse(await kubectlOk(['get', 'secret', `${name}-xds-client`, '-n', `gw-${name}`, '-o', 'json'])) as { data: Record<string, string> };
    mountSecret(tlsDirectory, secret.data);
    expect(bootstrap).to.include(`${tlsDirectory}/certificate-sds.yaml`);
    envoy = await startEnvoy(bootstrap, { args: ['--service-node', `${name}-gateway-abc12`, '--service-cluster', name] });
    await kubectlOk(['wait', '--for=condition=ConfigSynced', `gwi/${name}`, '--timeout=60s']);
    const installation = JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation;
    const synced = installation.status?.conditions?.find((condition) => condition.type === 'ConfigSynced');
    expect(synced?.message).to.match(/^1\/1 proxies at version [0-9a-f]{16}\.$/);
    const xds = (installation.status as { xds?: { version: string; proxies: number; synced: number } }).xds;
    expect(xds).to.include({ proxies: 1, synced: 1 });
    expect(synced?.message).to.include(xds!.version);
    const metrics = (await operator!.process.get('/metrics')).body;
    expect(gauge(metrics, `portico_xds_connected_proxies{installation="${name}"}`)).to.equal(1);
    expect(gauge(metrics, `portico_xds_pushes_total{installation="${name}",type="Listener"}`)).to.be.at.least(1);
    for (const port of [ports.externalHTTP!, ports.internalHTTP!, ports.probeHTTP!]) {
      const response = await eventually(`listener ${port} to answer`, () => sendRequest(`http://127.0.0.1:${port}/`, { headers: { host: 'nothing.example.com' } }).catch(() => undefined));
      expect(response.status, `port ${port}`).to.equal(404);
    }
    // The bootstrap's own stats listener answers Envoy's readiness, as the pod's probe asks.
    expect((await sendRequest(`http://127.0.0.1:${ports.metrics!}/ready`)).status).to.equal(200);
  });

  it('reports the proxy gone when Envoy stops', async () => {
    await envoy!.stop();
    envoy = undefined;
    await eventually('ConfigSynced to say no proxy is connected', async () => {
      const reason = (await kubectlOk(['get', 'gwi', name, '-o', 'jsonpath={.status.conditions[?(@.type=="ConfigSynced")].reason}'])).trim();
      return reason === 'NoProxiesConnected' ? true : undefined;
    });
  });
});
