// The test bed as a user of a cluster sees it: pods of the images it knows run for real at their
// pod IPs (answering, logging, probed, restarted, stopped with their hooks and grace period),
// pods of other images stay kwok's fakes, LoadBalancer Services get a working address, and every
// address anyone is handed lies on loopback or in the test range.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { sendHttp2, sendRequest } from '../support/http.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { eventually, run } from '../support/processes.ts';
import { inCidr, isTestAddress, loadBalancerRange, podRange } from '../testbed/addresses.ts';

const echoImage = 'registry.k8s.io/gateway-api/echo-basic:v1.5.1';
const backendImage = 'portico.dev/test-backend:latest';

interface Echo {
  pod: string;
  namespace: string;
  service: string;
  ingress: string;
  proto: string;
  tls?: { negotiatedProtocol: string };
}

async function apply(manifest: object): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
}

async function podJson(namespace: string, name: string): Promise<{ status: { podIP?: string; phase?: string; containerStatuses?: Array<{ restartCount: number; ready: boolean }> } }> {
  return JSON.parse(await kubectlOk(['get', 'pod', name, '-n', namespace, '-o', 'json'])) as never;
}

describe('the test bed: pods that run, addresses of their own, load balancers', function () {
  this.timeout(120_000);
  let namespace: string;
  let hostDirectory: string;
  let host: TestHost | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    namespace = await createNamespace('testbed');
    hostDirectory = mkdtempSync(join(tmpdir(), 'portico-testbed-'));
  });

  after(async () => {
    await host?.destroy();
    await deleteNamespace(namespace);
    rmSync(hostDirectory, { recursive: true, force: true });
  });

  it('runs an echo-basic pod at its pod IP: HTTP, h2c and TLS answer, with its environment resolved, and kubectl logs shows its output', async () => {
    const pair = await selfSignedCertificate(['echo.example.com']);
    await apply(tlsSecretManifest(namespace, 'echo-tls', pair));
    await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'echo-settings', namespace }, data: { service: 'echo-service' } });
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo', namespace },
      spec: {
        containers: [{
          name: 'echo',
          image: echoImage,
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'SERVICE_NAME', valueFrom: { configMapKeyRef: { name: 'echo-settings', key: 'service' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
            { name: 'INGRESS_NAME', value: '$(NODE)/$(CPU)m/$(UNDEFINED)' },
            { name: 'TLS_SERVER_CERT', value: '/etc/secret-volume/tls.crt' },
            { name: 'TLS_SERVER_PRIVKEY', value: '/etc/secret-volume/tls.key' },
          ],
          resources: { limits: { cpu: '250m' } },
          volumeMounts: [{ name: 'tls', mountPath: '/etc/secret-volume', readOnly: true }],
          readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 },
        }],
        volumes: [{ name: 'tls', secret: { secretName: 'echo-tls' } }],
      },
    });
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/echo', '-n', namespace, '--timeout=60s']);
    const pod = await podJson(namespace, 'echo');
    const podIP = pod.status.podIP!;
    expect(inCidr(podIP, podRange.cidr), podIP).to.equal(true);
    const node = (await kubectlOk(['get', 'pod', 'echo', '-n', namespace, '-o', 'jsonpath={.spec.nodeName}'])).trim();

    const http = JSON.parse((await sendRequest(`http://${podIP}:3000/hello`)).body) as Echo;
    expect(http).to.include({ pod: 'echo', namespace, service: 'echo-service', ingress: `${node}/250m/$(UNDEFINED)`, proto: 'HTTP/1.1' });
    const h2c = JSON.parse((await sendHttp2(`http://${podIP}:3001/hello`)).body) as Echo;
    expect(h2c.proto).to.equal('HTTP/2.0');
    const tls = await sendRequest(`https://${podIP}:8443/hello`, { tls: { servername: 'echo.example.com', ca: pair.cert } });
    expect(tls.status).to.equal(200);
    expect(tls.tls?.certificate.subject.CN, 'the certificate of the Secret volume').to.equal('echo.example.com');

    const logs = await kubectlOk(['logs', 'echo', '-n', namespace]);
    expect(logs).to.match(/listening on port 3000/);
    expect(logs).to.match(/listening on port 8443/);
  });

  it('keeps a pod of an image it does not know, or annotated portico.dev/testbed: fake, a kwok fake: Running and Ready, and nothing answers at its IP', async () => {
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fake', namespace }, spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27', ports: [{ containerPort: 80 }] }] } });
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fake-echo', namespace, annotations: { 'portico.dev/testbed': 'fake' } }, spec: { containers: [{ name: 'echo', image: echoImage }] } });
    for (const [pod, port] of [['fake', 80], ['fake-echo', 3000]] as const) {
      await kubectlOk(['wait', '--for=condition=Ready', `pod/${pod}`, '-n', namespace, '--timeout=60s']);
      const podIP = (await podJson(namespace, pod)).status.podIP!;
      expect(inCidr(podIP, podRange.cidr), podIP).to.equal(true);
      const answer = await sendRequest(`http://${podIP}:${port}/`).then(() => 'answered', (error: unknown) => String(error));
      expect(answer, pod).to.not.equal('answered');
      // The apiserver asks the node for logs, and a fake has none.
      expect((await kubectl(['logs', pod, '-n', namespace])).code, pod).to.not.equal(0);
    }
  });

  it('holds a pod unready until its exec readiness probe passes, restarts it when its liveness probe fails, and updates its ConfigMap volume in place', async () => {
    await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probes', namespace }, data: { placeholder: '' } });
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probed', namespace },
      spec: {
        containers: [{
          name: 'backend',
          image: backendImage,
          args: ['--name', 'probed', '--port', '8080'],
          volumeMounts: [{ name: 'flags', mountPath: '/flags' }],
          readinessProbe: { exec: { command: ['test', '-f', '/flags/ready'] }, periodSeconds: 1 },
          livenessProbe: { exec: { command: ['test', '!', '-f', '/flags/dead'] }, periodSeconds: 1, failureThreshold: 2 },
        }],
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'flags', configMap: { name: 'probes' } }],
      },
    });
    await eventually('the probed pod to be running', async () => ((await podJson(namespace, 'probed')).status.phase === 'Running' ? true : undefined), 60_000, 200);
    // Running, answering, but not Ready: its readiness probe fails.
    const podIP = (await podJson(namespace, 'probed')).status.podIP!;
    await eventually('the backend to answer', async () => ((await sendRequest(`http://${podIP}:8080/`)).status === 200 ? true : undefined), 30_000, 200);
    expect((await podJson(namespace, 'probed')).status.containerStatuses?.[0]?.ready).to.equal(false);

    await kubectlOk(['patch', 'configmap', 'probes', '-n', namespace, '--type=merge', '-p', JSON.stringify({ data: { ready: 'yes' } })]);
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/probed', '-n', namespace, '--timeout=60s']);

    await kubectlOk(['patch', 'configmap', 'probes', '-n', namespace, '--type=merge', '-p', JSON.stringify({ data: { dead: 'yes' } })]);
    await eventually('the container to be restarted', async () => ((await podJson(namespace, 'probed')).status.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined, 60_000, 500);
    await kubectlOk(['patch', 'configmap', 'probes', '-n', namespace, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/data/dead' }])]);
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/probed', '-n', namespace, '--timeout=90s']);
    const restarted = (await podJson(namespace, 'probed')).status.containerStatuses?.[0];
    expect(restarted?.restartCount).to.be.greaterThanOrEqual(1);
    expect((await sendRequest(`http://${podIP}:8080/`)).status).to.equal(200);
  });

  it('stops a pod as a kubelet does: preStop hook, then SIGTERM, then SIGKILL after the grace period, and only then the object goes', async () => {
    const events = join(hostDirectory, 'events');
    const container = (name: string, onTerm: string) => ({
      name,
      image: backendImage,
      command: ['/bin/sh', '-c', `trap '${onTerm}' TERM; while true; do sleep 0.2; done`],
      lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `echo ${name}-prestop >> /host/events`] } } },
      volumeMounts: [{ name: 'host', mountPath: '/host' }],
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stopping', namespace },
      spec: {
        terminationGracePeriodSeconds: 3,
        containers: [container('polite', `echo polite-term >> /host/events; exit 0`), container('stubborn', 'echo stubborn-term >> /host/events')],
        volumes: [{ name: 'host', hostPath: { path: hostDirectory, type: 'Directory' } }],
      },
    });
    await eventually('both containers to run', async () => ((await podJson(namespace, 'stopping')).status.containerStatuses ?? []).filter((status) => status.ready).length === 2 ? true : undefined, 60_000, 200);
    await kubectlOk(['delete', 'pod', 'stopping', '-n', namespace, '--wait=true', '--timeout=60s']);
    const lines = readFileSync(events, 'utf8').trim().split('\n').sort();
    // Each container ran its hook and got SIGTERM; the stubborn one ignored it and was killed.
    expect(lines).to.deep.equal(['polite-prestop', 'polite-term', 'stubborn-prestop', 'stubborn-term']);
    expect((await kubectl(['get', 'pod', 'stopping', '-n', namespace])).code).to.not.equal(0);
  });

  it("mounts the pod's ServiceAccount token at the kubelet's path, bound to the pod, which the apiserver authenticates", async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'token', namespace },
      spec: {
        containers: [{
          name: 'copy',
          image: backendImage,
          command: ['/bin/sh', '-c', 'cp /var/run/secrets/kubernetes.io/serviceaccount/token /var/run/secrets/kubernetes.io/serviceaccount/namespace /host/ && sleep 3600'],
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        }],
        volumes: [{ name: 'host', hostPath: { path: hostDirectory, type: 'Directory' } }],
      },
    });
    const token = await eventually('the token to be copied out', () => Promise.resolve(existsSync(join(hostDirectory, 'token')) ? readFileSync(join(hostDirectory, 'token'), 'utf8') || undefined : undefined), 60_000, 200);
    expect(readFileSync(join(hostDirectory, 'namespace'), 'utf8')).to.equal(namespace);
    const review = JSON.parse(await kubectlOk(['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }))) as {
      status: { authenticated?: boolean; user?: { username: string; extra?: Record<string, string[]> } };
    };
    expect(review.status.authenticated).to.equal(true);
    expect(review.status.user?.username).to.equal(`system:serviceaccount:${namespace}:default`);
    expect(review.status.user?.extra?.['authentication.kubernetes.io/pod-name']).to.deep.equal(['token']);
  });

  it('gives a LoadBalancer Service a test-range address (ipMode VIP) that forwards to its ready pods in turn', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echoes', namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'echoes' } },
        template: {
          metadata: { labels: { app: 'echoes' } },
          spec: { containers: [{ name: 'echo', image: echoImage, env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 } }] },
        },
      },
    });
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echoes', namespace }, spec: { type: 'LoadBalancer', selector: { app: 'echoes' }, ports: [{ name: 'http', port: 80, targetPort: 3000 }] } });
    await kubectlOk(['rollout', 'status', 'deployment/echoes', '-n', namespace, '--timeout=90s']);
    const ingress = await eventually('the Service to get an address', async () => {
      const service = JSON.parse(await kubectlOk(['get', 'service', 'echoes', '-n', namespace, '-o', 'json'])) as { status: { loadBalancer: { ingress?: Array<{ ip: string; ipMode?: string }> } } };
      return service.status.loadBalancer.ingress?.[0];
    }, 60_000, 200);
    expect(inCidr(ingress.ip, loadBalancerRange.cidr), ingress.ip).to.equal(true);
    expect(ingress.ipMode).to.equal('VIP');
    const seen = await eventually('both pods to answer through the load balancer', async () => {
      const pods = new Set<string>();
      for (let attempt = 0; attempt < 6; attempt++) pods.add((JSON.parse((await sendRequest(`http://${ingress.ip}/`)).body) as Echo).pod);
      return pods.size === 2 ? pods : undefined;
    }, 30_000, 200);
    expect([...seen].every((pod) => pod.startsWith('echoes-'))).to.equal(true);
  });

  it('honours spec.loadBalancerIP in its range, says why in an Event when it is not, and enforces loadBalancerSourceRanges', async () => {
    host = await createTestHost();
    const wanted = '198.18.215.77';
    const service = (name: string, extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'LoadBalancer', selector: { app: 'echoes' }, ports: [{ name: 'http', port: 80, targetPort: 3000 }], ...extra } });
    await apply(service('pinned', { loadBalancerIP: wanted, loadBalancerSourceRanges: [`${host.address}/32`] }));
    await apply(service('outside', { loadBalancerIP: '203.0.113.9' }));
    await eventually('the pinned Service to get its address', async () => ((await kubectlOk(['get', 'service', 'pinned', '-n', namespace, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim() === wanted ? true : undefined), 60_000, 200);
    const event = await eventually('an Event for the Service outside the range', async () => {
      const listing = await kubectlOk(['get', 'events', '-n', namespace, '--field-selector', 'involvedObject.name=outside', '-o', 'jsonpath={.items[*].message}']);
      return listing.trim() || undefined;
    }, 60_000, 500);
    expect(event).to.include('203.0.113.9 is outside');
    expect((await kubectlOk(['get', 'service', 'outside', '-n', namespace, '-o', 'jsonpath={.status.loadBalancer.ingress}'])).trim()).to.equal('');

    // From the test host, inside the source range: answered. From this machine, outside it: refused.
    const fromHost = await run('ip', ['netns', 'exec', host.namespace, 'curl', '-s', '-m', '5', `http://${wanted}/`]);
    expect(fromHost.code, fromHost.stderr).to.equal(0);
    expect((JSON.parse(fromHost.stdout) as Echo).pod).to.match(/^echoes-/);
    const fromMachine = await sendRequest(`http://${wanted}/`).then(() => 'answered', () => 'refused');
    expect(fromMachine).to.equal('refused');
  });

  it('hands out only loopback and test-range addresses, and a pod has no route anywhere else', async () => {
    const addresses: string[] = [];
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-A', '-o', 'json'])) as { items: Array<{ status: { podIP?: string; hostIP?: string } }> };
    for (const pod of pods.items) addresses.push(...[pod.status.podIP, pod.status.hostIP].filter((value): value is string => Boolean(value)));
    const services = JSON.parse(await kubectlOk(['get', 'services', '-A', '-o', 'json'])) as { items: Array<{ spec: { clusterIPs?: string[] }; status: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } }> };
    for (const service of services.items) addresses.push(...(service.spec.clusterIPs ?? []).filter((ip) => ip !== 'None'), ...(service.status.loadBalancer?.ingress ?? []).flatMap((entry) => (entry.ip ? [entry.ip] : [])));
    const slices = JSON.parse(await kubectlOk(['get', 'endpointslices', '-A', '-o', 'json'])) as { items: Array<{ endpoints?: Array<{ addresses: string[] }> }> };
    for (const slice of slices.items) for (const endpoint of slice.endpoints ?? []) addresses.push(...endpoint.addresses);
    const nodes = JSON.parse(await kubectlOk(['get', 'nodes', '-o', 'json'])) as { items: Array<{ status: { addresses: Array<{ type: string; address: string }> } }> };
    for (const node of nodes.items) addresses.push(...node.status.addresses.filter((entry) => entry.type.endsWith('IP')).map((entry) => entry.address));
    expect(addresses.length).to.be.greaterThan(5);
    expect(addresses.filter((address) => !isTestAddress(address))).to.deep.equal([]);

    // This machine drops what is sent to an unheld test address; a pod reaches nothing outside the range.
    expect(await run('ip', ['route', 'show', 'type', 'blackhole']).then((result) => result.stdout)).to.include('198.18.0.0/15');
    const echo = await podJson(namespace, 'echo');
    const netns = await networkNamespaceOf(echo.status.podIP!);
    const outside = await run('ip', ['-n', netns, 'route', 'get', '192.0.2.1']);
    expect(outside.code, outside.stdout).to.not.equal(0);
    expect(outside.stderr).to.match(/unreachable/i);
  });
});

/** The network namespace that holds `podIP` on its eth0: the pod's own. */
async function networkNamespaceOf(podIP: string): Promise<string> {
  for (const namespace of (await run('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0] ?? '')) {
    if (!namespace.startsWith('portico-pod-')) continue;
    const addresses = (await run('ip', ['-n', namespace, '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout;
    if (addresses.includes(` ${podIP}/`)) return namespace;
  }
  throw new Error(`no pod network namespace holds ${podIP}`);
}
