// Portico in a real cluster with real pods, for hosts with a Docker engine: k3d creates a k3s
// cluster, the operator image built from the Dockerfile is imported into it, the release manifest
// is applied with kubectl, then a GatewayInstallation, a backend and a Knative Ingress; a request
// through k3d's load balancer must reach the backend through the installation's Envoys. Needs
// docker, k3d (v5) and kubectl on PATH, and registry access for the base images, Envoy's image and
// the backend's; without a Docker engine the suite is skipped with the reason (as on the machine
// this project is built on).
//   npm run test:k3d
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseManifest } from '../../deploy/release.ts';
import { sendRequest } from '../support/http.ts';
import { eventually, freePort, run, runOrThrow } from '../support/processes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const knativeCrdScript = fileURLToPath(new URL('../knative/crd.sh', import.meta.url));
const cluster = process.env.PORTICO_K3D_CLUSTER ?? 'portico-e2e';
const image = 'localhost/portico:k3d';
// Kubernetes' own test image; `netexec` answers /hostname with the pod's name.
const backendImage = process.env.PORTICO_K3D_BACKEND_IMAGE ?? 'registry.k8s.io/e2e-test-images/agnhost:2.53';

/** Why this host cannot run the suite, or undefined when it can. */
async function missingPart(): Promise<string | undefined> {
  const docker = await run('docker', ['info', '--format', '{{.ServerVersion}}']).catch(() => undefined);
  if (docker?.code !== 0) return 'needs a Docker engine (docker info failed); run npm run test:k3d on a host with Docker, k3d and kubectl';
  for (const tool of ['k3d', 'kubectl']) {
    if ((await run('bash', ['-c', `command -v ${tool}`])).code !== 0) return `needs ${tool} on PATH`;
  }
  return undefined;
}

const backend = (namespace: string) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: { containers: [{ name: 'hello', image: backendImage, args: ['netexec', '--http-port=8080'], ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello', namespace }, spec: { selector: { app: 'hello' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  {
    apiVersion: 'networking.internal.knative.dev/v1alpha1',
    kind: 'Ingress',
    metadata: { name: 'hello', namespace, annotations: { 'networking.knative.dev/ingress.class': 'kourier.ingress.networking.knative.dev' } },
    spec: {
      rules: [{ hosts: ['hello.k3d.example.com'], visibility: 'ExternalIP', http: { paths: [{ splits: [{ serviceNamespace: namespace, serviceName: 'hello', servicePort: 80, percent: 100 }] }] } }],
    },
  },
];

describe('Portico on k3d', function () {
  this.timeout(20 * 60_000);
  let dir = '';
  let kubeconfig = '';
  let port = 0;
  const kubectl = (args: string[], input?: string) => runOrThrow('kubectl', ['--kubeconfig', kubeconfig, ...args], input === undefined ? {} : { input });

  before(async function () {
    const reason = await missingPart();
    if (reason) {
      process.stdout.write(`      skipped: ${reason}\n`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'portico-k3d-'));
    port = await freePort();
    await runOrThrow('docker', ['build', '-t', image, root], { stdio: ['ignore', 'inherit', 'inherit'] });
    await run('k3d', ['cluster', 'delete', cluster]);
    // Traefik would take port 80 of the load balancer; the installation's Service wants it.
    await runOrThrow('k3d', ['cluster', 'create', cluster, '--wait', '--port', `${port}:80@loadbalancer`, '--k3s-arg', '--disable=traefik@server:0'], { stdio: ['ignore', 'inherit', 'inherit'] });
    kubeconfig = (await runOrThrow('k3d', ['kubeconfig', 'write', cluster])).trim();
    await runOrThrow('k3d', ['image', 'import', image, '--cluster', cluster], { stdio: ['ignore', 'inherit', 'inherit'] });
  });

  after(async () => {
    if (kubeconfig) await run('k3d', ['cluster', 'delete', cluster]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs from the release manifest: the operator Deployment becomes Available', async () => {
    const manifest = join(dir, 'install.yaml');
    writeFileSync(manifest, releaseManifest(image));
    await kubectl(['apply', '--server-side', '-f', manifest]);
    await kubectl(['wait', '--for=condition=Available', 'deployment/portico', '-n', 'portico-system', '--timeout=300s']);
  });

  it('reconciles samples/minimal.yaml to Ready with Envoys running', async () => {
    await kubectl(['apply', '-f', (await runOrThrow('bash', [knativeCrdScript])).trim()]);
    await kubectl(['apply', '-f', join(root, 'samples/minimal.yaml')]);
    await kubectl(['wait', '--for=condition=Ready', 'gwi/kourier', '--timeout=300s']);
  });

  it('carries a request through the load balancer and Envoy to the backend', async () => {
    await kubectl(['apply', '-f', '-'], backend('hello-k3d').map((object) => JSON.stringify(object)).join('\n'));
    await kubectl(['wait', '--for=condition=Available', 'deployment/hello', '-n', 'hello-k3d', '--timeout=300s']);
    await kubectl(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/hello', '-n', 'hello-k3d', '--timeout=120s']);
    const body = await eventually('a 200 from the backend through the load balancer', async () => {
      const response = await sendRequest(`http://127.0.0.1:${port}/hostname`, { headers: { host: 'hello.k3d.example.com' } }).catch(() => undefined);
      return response?.status === 200 ? response.body : undefined;
    }, 120_000, 1000);
    expect(body).to.match(/^hello-/);
  });
});
