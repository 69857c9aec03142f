// Two operator replicas, each serving xDS to its own real Envoy (on this machine, so that the test
// picks the replica each one talks to): the follower writes nothing,
// and the leader's status counts the Envoys of both, as it learns them from the follower over
// HTTP. The replicas find each other as in a cluster, through the EndpointSlices of the
// portico-xds Service; their HTTP servers listen on test hosts' addresses because the
// apiserver refuses loopback addresses in EndpointSlices.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asList } from '../support/endpoints.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { apiWrites, gauge, installationManifest, type Installation } from '../support/installations.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { operatorIdentity, startOperator, type OperatorIdentity, type OperatorProcess } from '../support/operator.ts';
import { mountSecret } from '../support/secret-volume.ts';
import { eventually, freePort } from '../support/processes.ts';

interface XdsStatus {
  version?: string;
  proxies: number;
  synced: number;
}

describe('Envoys spread over two operator replicas', function () {
  this.timeout(180_000);
  const name = `replicas-${randomBytes(3).toString('hex')}`;
  let namespace: string;
  let dir: string;
  let identity: OperatorIdentity | undefined;
  const hosts: TestHost[] = [];
  const replicas: OperatorProcess[] = [];
  const envoys = new Map<string, EnvoyProcess>();
  const xdsPorts: number[] = [];
  let adminPort: number;
  let metricsPort: number;

  const installation = async () => JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation & { status?: { xds?: XdsStatus } };
  const xdsStatus = async () => (await installation()).status?.xds;
  const configSynced = async () => (await installation()).status?.conditions?.find((condition) => condition.type === 'ConfigSynced');

  /** Envoy `node`, started from the installation's bootstrap but pointed at replica `replica`'s xDS port. */
  const startGatewayEnvoy = async (node: string, replica: number) => {
    let bootstrap = await kubectlOk(['get', 'configmap', `${name}-bootstrap`, '-n', `gw-${name}`, '-o', 'jsonpath={.data.envoy-bootstrap\\.yaml}']);
    // Two Envoys on one machine: each its own admin and stats ports (the gateway's listeners share theirs with SO_REUSEPORT).
    const own = { [xdsPorts[0]!]: xdsPorts[replica]!, [adminPort]: await freePort(), [metricsPort]: await freePort() };
    bootstrap = bootstrap.replace(/port_value: (\d+)/g, (_match, port: string) => `port_value: ${own[Number(port)] ?? port}`);
    envoys.set(node, await startEnvoy(bootstrap, { args: ['--service-node', node, '--service-cluster', name] }));
  };

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('portico-replicas');
    dir = mkdtempSync(join(tmpdir(), 'portico-replicas-'));
    identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
    xdsPorts.push(await freePort(), await freePort());
    adminPort = await freePort();
    metricsPort = await freePort();
    hosts.push(await createTestHost(), await createTestHost());
  });

  after(async () => {
    for (const envoy of envoys.values()) await envoy.stop();
    await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    for (const replica of replicas) await replica.stop();
    await identity?.remove();
    for (const host of hosts) await host.destroy();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a leader and a follower that find each other through the portico-xds Service', async () => {
    const tlsDirectory = join(dir, 'xds-tls');
    for (const [index, replica] of ['replica-a', 'replica-b'].entries()) {
      const started = await startOperator({
        kubeconfig: identity!.kubeconfig,
        namespace,
        identity: replica,
        httpHost: hosts[index]!.gateway,
        args: [
          '--xds-listen', `127.0.0.1:${xdsPorts[index]!}`,
          // Both render the same bootstrap, as replicas of one Deployment do.
          '--xds-address', `127.0.0.1:${xdsPorts[0]!}`,
          '--envoy-admin-port', String(adminPort),
          '--envoy-xds-tls-dir', tlsDirectory,
        ],
      });
      replicas.push(started);
      if (index === 0) {
        await eventually('replica-a to lead', async () => (gauge((await started.get('/metrics')).body, 'portico_leader') === 1 ? true : undefined));
      }
    }
    // What the portico-xds Service's EndpointSlices hold in a cluster: each replica's pod at its http port.
    const slices = replicas.map((replica, index) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `portico-xds-${index}`, namespace, labels: { 'kubernetes.io/service-name': 'portico-xds', 'endpointslice.kubernetes.io/managed-by': 'portico-tests' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: Number(new URL(replica.url).port), protocol: 'TCP' }],
      endpoints: [{ addresses: [hosts[index]!.gateway], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace, name: `replica-${'ab'[index]!}` } }],
    }));
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'portico-xds', namespace }, spec: { ports: [{ name: 'xds', port: 18000 }, { name: 'http', port: 8080 }] } };
    await kubectlOk(['apply', '-f', '-'], asList([service, ...slices]));
    await eventually('both replicas to be ready', async () => {
      const answers = await Promise.all(replicas.map((replica) => replica.get('/readyz')));
      return answers.every((answer) => answer.status === 200) ? true : undefined;
    });
    await eventually('the leader to follow replica-b', () => (replicas[0]!.output.text().includes('following the proxies of a peer replica') ? Promise.resolve(true) : Promise.resolve(undefined)));
    expect(replicas[0]!.output.text()).to.not.include('"replica":"replica-a","url"');
  });

  it('counts in status the Envoys connected to the follower as well as the leader\'s', async () => {
    const ports = { externalHTTP: await freePort(), internalHTTP: await freePort(), externalHTTPS: await freePort(), internalHTTPS: await freePort(), probeHTTP: await freePort(), probeHTTPS: await freePort(), metrics: metricsPort };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, {
      namespace: `gw-${name}`,
      knative: { ingressClass: `${name}.example.com` },
      listeners: { addresses: ['127.0.0.1'], ports },
      // Fake pods: this test chooses which replica each Envoy talks to, so its Envoys run on this
      // machine, one pointed at each replica (a Deployment's pods all dial one address).
      envoy: { podAnnotations: { 'portico.dev/testbed': 'fake' } },
    })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=60s']);
    const secret = JSON.parse(await kubectlOk(['get', 'secret', `${name}-xds-client`, '-n', `gw-${name}`, '-o', 'json'])) as { data: Record<string, string> };
    mountSecret(join(dir, 'xds-tls'), secret.data);

    await startGatewayEnvoy(`${name}-gateway-on-a`, 0);
    await startGatewayEnvoy(`${name}-gateway-on-b`, 1);
    await eventually('status to count both Envoys synced', async () => {
      const xds = await xdsStatus();
      return xds?.proxies === 2 && xds.synced === 2 ? xds : undefined;
    });
    const synced = await configSynced();
    expect(synced?.status).to.equal('True');
    expect(synced?.message).to.match(/^2\/2 proxies at version [0-9a-f]{16}\.$/);
    // Each replica serves one of them, and only the leader wrote.
    for (const replica of replicas) {
      expect(gauge((await replica.get('/metrics')).body, `portico_xds_connected_proxies{installation="${name}"}`)).to.equal(1);
    }
    expect(apiWrites((await replicas[1]!.get('/metrics')).body)).to.equal(0);
  });

  it('takes an Envoy that leaves the follower out of status', async () => {
    await envoys.get(`${name}-gateway-on-b`)!.stop();
    envoys.delete(`${name}-gateway-on-b`);
    await eventually('status to count one Envoy', async () => {
      const xds = await xdsStatus();
      return xds?.proxies === 1 && xds.synced === 1 ? true : undefined;
    });
    expect((await configSynced())?.message).to.match(/^1\/1 proxies at version/);
  });

  it('takes the Envoys of a follower that dies out of status', async () => {
    await startGatewayEnvoy(`${name}-gateway-on-b`, 1);
    await eventually('status to count both Envoys again', async () => ((await xdsStatus())?.proxies === 2 ? true : undefined));
    await replicas[1]!.crash();
    await eventually('status to count the leader\'s Envoy only', async () => {
      const xds = await xdsStatus();
      return xds?.proxies === 1 && xds.synced === 1 ? true : undefined;
    }, 30_000);
    expect(replicas[0]!.output.text()).to.include('dropping the proxies of a peer replica that stopped answering');
  });
});
