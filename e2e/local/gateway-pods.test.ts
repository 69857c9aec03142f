// What only running pods show: the installation's own Envoy pods carrying traffic through its
// LoadBalancer Service to backend pods, a rollout by spec edit with no failed request, a renewed
// xDS client certificate taken by the running Envoys without a restart, and PROXY protocol from a
// load balancer that sends it.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { envoyStats, readyPodIPs, startGateway, type Gateway } from '../support/gateway.ts';
import { sendRequest } from '../support/http.ts';
import type { Installation } from '../support/installations.ts';
import { installKnativeCrds } from '../support/knative.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { eventually, run } from '../support/processes.ts';

const backendImage = 'portico.dev/test-backend:latest';

/** A Deployment of the test backend behind a Service, and a KIngress of `ingressClass` routing `host` to it. */
async function routedBackend(namespace: string, ingressClass: string, host: string): Promise<void> {
  const manifests = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: { containers: [{ name: 'app', image: backendImage, args: ['--name', 'app', '--port', '8080'], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }] },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace }, spec: { selector: { app: 'app' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: { name: 'app', namespace, annotations: { 'networking.knative.dev/ingress.class': ingressClass } },
      spec: { rules: [{ hosts: [host], visibility: 'ExternalIP', http: { paths: [{ splits: [{ serviceNamespace: namespace, serviceName: 'app', servicePort: 80, percent: 100 }] }] } }] },
    },
  ];
  await kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }));
  await kubectlOk(['rollout', 'status', 'deployment/app', '-n', namespace, '--timeout=90s']);
  await kubectlOk(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/app', '-n', namespace, '--timeout=90s']);
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: Array<{ image: string }> };
  status: { containerStatuses?: Array<{ restartCount: number }> };
}

async function envoyPods(gateway: Gateway): Promise<Pod[]> {
  const listing = JSON.parse(await kubectlOk(['get', 'pods', '-n', gateway.namespace, '-l', `portico.dev/installation=${gateway.name}`, '-o', 'json'])) as { items: Pod[] };
  return listing.items.filter((pod) => !pod.metadata.deletionTimestamp);
}

/** One Envoy stat of a pod. */
async function envoyStat(podIP: string, name: string): Promise<number | undefined> {
  return (await envoyStats(podIP, `^${name.replaceAll('.', '\\.')}$`))[name];
}

describe('the installation\'s own Envoy pods', function () {
  this.timeout(240_000);
  const suffix = randomBytes(3).toString('hex');
  let namespace: string;
  let gateway: Gateway | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installKnativeCrds();
    namespace = await createNamespace('pods');
  });

  after(async () => {
    await gateway?.stop();
    await deleteNamespace(namespace);
  });

  it('carry traffic through the LoadBalancer address `kubectl get gwi` shows to backend pods', async () => {
    const ingressClass = `pods-${suffix}.example.com`;
    // Draining 3 s leaves the load balancer time to take a stopping pod out before its listeners close.
    gateway = await startGateway(`pods-${suffix}`, { knative: { ingressClass }, envoy: { replicas: 2, drainSeconds: 3 } });
    await routedBackend(namespace, ingressClass, 'app.example.com');
    const column = (await kubectlOk(['get', 'gwi', gateway.name, '-o', 'custom-columns=ADDRESS:.status.addresses[0].value', '--no-headers'])).trim();
    expect(column).to.equal(gateway.address);
    const answer = await sendRequest(`http://${gateway.address}/hello`, { headers: { host: 'app.example.com' } });
    expect(answer.status).to.equal(200);
    expect((JSON.parse(answer.body) as { backend: string }).backend).to.equal('app');
  });

  it('roll one pod at a time when spec.envoy.image changes, with Progressing reporting it and no failed request', async () => {
    const before = (await envoyPods(gateway!)).map((pod) => pod.metadata.name);
    let sent = 0;
    const failures: string[] = [];
    const traffic = { stop: false };
    const sending = (async () => {
      while (!traffic.stop) {
        sent += 1;
        try {
          const answer = await sendRequest(`http://${gateway!.address}/`, { headers: { host: 'app.example.com' } });
          if (answer.status !== 200) failures.push(`${answer.status}: ${answer.body.slice(0, 100)}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    })();
    const progressing = new Set<string>();
    try {
      await kubectlOk(['patch', 'gwi', gateway!.name, '--type=merge', '-p', JSON.stringify({ spec: { envoy: { image: 'docker.io/envoyproxy/envoy:v1.40.1' } } })]);
      await eventually('the rollout to finish', async () => {
        const installation = JSON.parse(await kubectlOk(['get', 'gwi', gateway!.name, '-o', 'json'])) as Installation;
        const condition = installation.status?.conditions?.find((candidate) => candidate.type === 'Progressing');
        if (condition?.status === 'True') progressing.add(condition.message);
        const pods = await envoyPods(gateway!);
        const done = condition?.status === 'False' && pods.length === 2 && pods.every((pod) => pod.spec.containers[0]?.image === 'docker.io/envoyproxy/envoy:v1.40.1');
        return done ? true : undefined;
      }, 180_000, 250);
      await kubectlOk(['wait', '--for=condition=Ready', `gwi/${gateway!.name}`, '--timeout=60s']);
    } finally {
      traffic.stop = true;
      await sending;
    }
    expect(failures, `${failures.length} of ${sent} requests failed: ${[...new Set(failures)].slice(0, 5).join(' | ')}`).to.deep.equal([]);
    expect(sent).to.be.greaterThan(50);
    expect([...progressing].some((message) => /replicas updated to docker\.io\/envoyproxy\/envoy:v1\.40\.1/.test(message)), [...progressing].join(' | ')).to.equal(true);
    const after = (await envoyPods(gateway!)).map((pod) => pod.metadata.name);
    expect(after.filter((name) => before.includes(name))).to.deep.equal([]);
    const version = (await kubectlOk(['get', 'gwi', gateway!.name, '-o', 'jsonpath={.status.envoy.version}'])).trim();
    expect(version).to.equal('v1.40.1');
  });

  it('take a renewed xDS client certificate from their Secret volume, with no restart and no new xDS connection', async () => {
    const podIPs = await readyPodIPs(gateway!.namespace, `portico.dev/installation=${gateway!.name},app.kubernetes.io/component=gateway`);
    const pods = await envoyPods(gateway!);
    const secretName = `${gateway!.name}-xds-client`;
    const certificate = async () => (await kubectlOk(['get', 'secret', secretName, '-n', gateway!.namespace, '-o', 'jsonpath={.data.tls\\.crt}'])).trim();
    const previous = await certificate();
    const before = await Promise.all(podIPs.map(async (ip) => ({ updates: await envoyStat(ip, 'sds.xds_client_certificate.update_success'), connections: await envoyStat(ip, 'cluster.xds_cluster.upstream_cx_total') })));
    expect(before.every((stats) => stats.updates !== undefined && stats.connections !== undefined), JSON.stringify(before)).to.equal(true);
    // A user removes the Secret (say, to rotate it): the operator issues a new certificate.
    await kubectlOk(['delete', 'secret', secretName, '-n', gateway!.namespace]);
    await eventually('a new certificate in the Secret', async () => {
      const now = await certificate().catch(() => '');
      return now && now !== previous ? true : undefined;
    }, 60_000, 250);
    for (const [index, ip] of podIPs.entries()) {
      await eventually(`Envoy at ${ip} to load the new certificate`, async () => ((await envoyStat(ip, 'sds.xds_client_certificate.update_success'))! > before[index]!.updates! ? true : undefined), 60_000, 250);
      expect(await envoyStat(ip, 'cluster.xds_cluster.upstream_cx_total'), `xDS connections of ${ip}`).to.equal(before[index]!.connections);
      expect(await envoyStat(ip, 'control_plane.connected_state')).to.equal(1);
    }
    const now = await envoyPods(gateway!);
    expect(now.map((pod) => pod.metadata.name).sort()).to.deep.equal(pods.map((pod) => pod.metadata.name).sort());
    expect(now.map((pod) => pod.status.containerStatuses?.[0]?.restartCount)).to.deep.equal([0, 0]);
    expect((await sendRequest(`http://${gateway!.address}/`, { headers: { host: 'app.example.com' } })).status).to.equal(200);
  });

  describe('behind a load balancer that sends PROXY protocol', () => {
    let host: TestHost | undefined;

    after(async () => {
      await host?.destroy();
    });

    it('pass the client\'s address to the backend; without the annotation, the listener refuses plain connections', async () => {
      host = await createTestHost();
      const curl = (url: string) => run('ip', ['netns', 'exec', host!.namespace, 'curl', '-s', '-m', '5', '-H', 'host: app.example.com', url]);
      await kubectlOk(['patch', 'gwi', gateway!.name, '--type=merge', '-p', JSON.stringify({ spec: { proxyProtocol: { enabled: true } } })]);
      // Without the Service annotation the load balancer sends no header, and the listener wants one.
      await eventually('the external listener to refuse plain connections', async () => ((await curl(`http://${gateway!.address}/`)).code !== 0 ? true : undefined), 60_000, 250);
      const plain = await curl(`http://${gateway!.address}/`);
      expect(plain.stdout, 'no HTTP answer without a PROXY header').to.equal('');

      await kubectlOk(['patch', 'gwi', gateway!.name, '--type=merge', '-p', JSON.stringify({ spec: { service: { annotations: { 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2': '*' } } } })]);
      const answer = await eventually('requests from the test host to be answered', async () => {
        const result = await curl(`http://${gateway!.address}/`);
        return result.code === 0 && result.stdout.startsWith('{') ? result.stdout : undefined;
      }, 60_000, 250);
      const echo = JSON.parse(answer) as { backend: string; headers: Record<string, string> };
      expect(echo.backend).to.equal('app');
      expect(echo.headers['x-forwarded-for']).to.equal(host.address);
    });
  });
});
