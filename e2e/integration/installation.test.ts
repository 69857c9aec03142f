// GatewayInstallation against the real apiserver, with the operator running under its own
// RBAC: what a platform team does with kubectl, and what it then sees.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { validateBootstrap } from '../support/envoy.ts';
import { apiWrites, gauge, installationManifest, type Installation, type KubeObject } from '../support/installations.ts';
import { inCidr, loadBalancerRange } from '../testbed/addresses.ts';
import { runOperator, type OperatorProcess, type RunningOperator } from '../support/operator.ts';
import { eventually, runOrThrow } from '../support/processes.ts';
import { mountSecret } from '../support/secret-volume.ts';

async function getJson<T = KubeObject>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'])) as T;
}

function condition(installation: Installation, type: string) {
  return installation.status?.conditions?.find((candidate) => candidate.type === type);
}

async function waitReady(name: string): Promise<Installation> {
  await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=60s']);
  return getJson<Installation>(['gwi', name]);
}

async function waitCondition(name: string, type: string, status: string, reason?: string): Promise<Installation> {
  return eventually(`${name} to have ${type}=${status}${reason ? ` (${reason})` : ''}`, async () => {
    const installation = await getJson<Installation>(['gwi', name]);
    const found = condition(installation, type);
    return found?.status === status && (!reason || found.reason === reason) ? installation : undefined;
  }, 60_000, 200);
}

describe('GatewayInstallation', function () {
  this.timeout(180_000);
  const suffix = randomBytes(3).toString('hex');
  const created: string[] = [];
  let running: RunningOperator | undefined;
  let operator: OperatorProcess | undefined;
  // Where this suite's gateway pods would mount their xDS client certificate.
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'portico-xds-tls-'));

  /** Reconciles the operator has finished, as its /metrics counts them. */
  async function reconcileCount(): Promise<number> {
    return gauge((await operator!.get('/metrics')).body, 'portico_reconcile_total{controller="installation",result="success"}') ?? 0;
  }

  /** Applies an installation named `${base}-${suffix}` in namespace `gw-${base}-${suffix}`; returns its name. */
  async function install(base: string, spec: Record<string, unknown> = {}): Promise<string> {
    const name = `${base}-${suffix}`;
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, { namespace: `gw-${name}`, knative: { ingressClass: `${name}.example.com` }, ...spec })));
    if (!created.includes(name)) created.push(name);
    return name;
  }

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    running = await runOperator(undefined, ['--envoy-xds-tls-dir', tlsDirectory]);
    operator = running.process;
  });

  afterEach(function () {
    // A failure is easier to read with what the operator said just before it.
    if (this.currentTest?.state === 'failed' && operator) {
      const lines = operator.output.text().split('\n').filter((line) => !line.includes('"level":20'));
      process.stdout.write(`operator log (last lines):\n${lines.slice(-30).join('\n')}\n`);
    }
  });

  after(async () => {
    if (created.length) await kubectl(['delete', 'gwi', ...created, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await running?.stop();
    rmSync(tlsDirectory, { recursive: true, force: true });
  });

  describe('a minimal installation', () => {
    let name: string;
    let namespace: string;

    before(async () => {
      name = await install('minimal');
      namespace = `gw-${name}`;
    });

    it('reaches Ready, as kubectl wait and kubectl get gwi show', async () => {
      const installation = await waitReady(name);
      expect(installation.status?.observedGeneration).to.equal(installation.metadata.generation);
      expect(installation.status?.envoy).to.include({ version: 'v1.40.0', ready: '2/2', replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
      for (const type of ['Ready', 'Available', 'Progressing', 'Degraded']) {
        const found = condition(installation, type);
        expect(found, type).to.not.equal(undefined);
        expect(found!.reason, `${type} reason`).to.match(/^[A-Z][A-Za-z]*$/);
        expect(found!.observedGeneration, `${type} observedGeneration`).to.equal(installation.metadata.generation);
      }
      expect(condition(installation, 'Degraded')?.status).to.equal('False');
      const table = await kubectlOk(['get', 'gwi', name]);
      expect(table.split('\n')[0]).to.match(/^NAME\s+READY\s+VERSION\s+REPLICAS\s+ADDRESS\s+AGE/);
      expect(table.split('\n')[1]).to.match(new RegExp(`^${name}\\s+True\\s+v1\\.40\\.0\\s+2/2\\s+`));
    });

    it('creates its namespace, labelled as managed by Portico', async () => {
      const ns = await getJson(['namespace', namespace]);
      expect(ns.metadata.labels).to.include({ 'app.kubernetes.io/managed-by': 'portico', 'portico.dev/installation': name });
    });

    it('owns every object it creates, applied server-side by field manager portico', async () => {
      const uid = (await getJson(['gwi', name])).metadata.uid;
      const objects = await getJson<{ items: KubeObject[] }>(['secret,serviceaccount,configmap,deployment,service', '-n', namespace, '-l', `portico.dev/installation=${name}`, '--show-managed-fields']);
      expect(objects.items.map((object) => `${object.kind}/${object.metadata.name}`).sort()).to.deep.equal(
        [`ConfigMap/${name}-bootstrap`, `Deployment/${name}-gateway`, `Secret/${name}-xds-client`, 'Service/kourier', 'Service/kourier-internal', `ServiceAccount/${name}-gateway`].sort(),
      );
      for (const object of objects.items) {
        expect(object.metadata.ownerReferences, object.metadata.name).to.deep.include({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', name, uid, controller: true, blockOwnerDeletion: true });
        expect(object.metadata.managedFields?.some((entry) => entry.manager === 'portico' && entry.operation === 'Apply'), object.metadata.name).to.equal(true);
      }
    });

    it('runs Envoy locked down, with a drain shorter than the grace period and a rollout that never drops capacity', async () => {
      const deployment = await getJson(['deployment', `${name}-gateway`, '-n', namespace]);
      const spec = deployment.spec as {
        strategy: { rollingUpdate: { maxUnavailable: number } };
        template: { spec: { terminationGracePeriodSeconds: number; securityContext: Record<string, unknown>; containers: Array<Record<string, never>> } };
      };
      expect(spec.strategy.rollingUpdate.maxUnavailable).to.equal(0);
      const pod = spec.template.spec;
      expect(pod.securityContext).to.include({ runAsNonRoot: true });
      const envoy = pod.containers[0] as unknown as {
        args: string[];
        securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
        readinessProbe: { httpGet: { path: string } };
        lifecycle: { preStop: { exec: { command: string[] } } };
      };
      expect(envoy.securityContext).to.deep.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(envoy.readinessProbe.httpGet.path).to.equal('/ready');
      const drain = Number(envoy.args[envoy.args.indexOf('--drain-time-s') + 1]);
      expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(drain);
      expect(envoy.lifecycle.preStop.exec.command.join(' ')).to.include('drain_listeners').and.include(`sleep ${drain}`);
    });

    it('exposes the Kourier Services and ports', async () => {
      const external = await getJson(['service', 'kourier', '-n', namespace]);
      const internal = await getJson(['service', 'kourier-internal', '-n', namespace]);
      for (const service of [external, internal]) expect(service.metadata.labels).to.include({ 'networking.knative.dev/ingress-provider': 'kourier' });
      const ports = (service: KubeObject) => (service.spec as { ports: Array<{ name: string; port: number; targetPort: number }> }).ports.map(({ name: port, port: number, targetPort }) => `${port}:${number}->${targetPort}`);
      expect((external.spec as { type: string }).type).to.equal('LoadBalancer');
      expect(ports(external)).to.deep.equal(['http2:80->8080', 'https:443->8443']);
      expect((internal.spec as { type: string }).type).to.equal('ClusterIP');
      expect(ports(internal)).to.deep.equal(['http2:80->8081', 'https:443->8444']);
    });

    it('renders an Envoy bootstrap that the real Envoy accepts', async function () {
      this.timeout(60_000);
      const configMap = await getJson<{ data: Record<string, string> }>(['configmap', `${name}-bootstrap`, '-n', namespace]);
      // As the pod runs it: the node id and cluster come from the Deployment's arguments, and
      // the xDS client certificate from the Secret it mounts (here, written to a directory).
      const secret = await getJson<{ data: Record<string, string> }>(['secret', `${name}-xds-client`, '-n', namespace]);
      mountSecret(tlsDirectory, secret.data);
      const result = await validateBootstrap(configMap.data['envoy-bootstrap.yaml']!, ['--service-node', `${name}-gateway-0`, '--service-cluster', name]);
      expect(result.valid, result.output).to.equal(true);
    });

    it('puts back an owned object that a user deletes or edits', async () => {
      await kubectlOk(['delete', 'service', 'kourier-internal', '-n', namespace]);
      await kubectlOk(['scale', 'deployment', `${name}-gateway`, '-n', namespace, '--replicas=5']);
      await kubectlOk(['patch', 'configmap', `${name}-bootstrap`, '-n', namespace, '--type=merge', '-p', '{"data":{"envoy-bootstrap.yaml":"broken"}}']);
      await eventually('the operator to restore what was changed', async () => {
        const internal = await kubectl(['get', 'service', 'kourier-internal', '-n', namespace]);
        const replicas = (await getJson(['deployment', `${name}-gateway`, '-n', namespace])).spec as { replicas: number };
        const configMap = await getJson<{ data: Record<string, string> }>(['configmap', `${name}-bootstrap`, '-n', namespace]);
        return internal.code === 0 && replicas.replicas === 2 && configMap.data['envoy-bootstrap.yaml'] !== 'broken' ? true : undefined;
      }, 20_000);
    });

    it('makes no write to the API when a reconcile finds nothing to change', async () => {
      await waitReady(name);
      const metrics = async () => (await operator!.get('/metrics')).body;
      const reconciles = reconcileCount;
      // Every write but the leader's Lease renewals, which go on whatever happens.
      const writes = () => metrics().then((text) => apiWrites(text, ['leases']));
      // Let the operator settle, then wake it with an event that changes nothing it owns.
      await eventually('the operator to settle', async () => {
        const before = await reconciles();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return (await reconciles()) === before ? true : undefined;
      });
      const writesBefore = await writes();
      const reconcilesBefore = await reconciles();
      await kubectlOk(['annotate', 'gwi', name, `example.com/touched=${Date.now()}`, '--overwrite']);
      await eventually('a reconcile of the annotated installation', async () => ((await reconciles()) > reconcilesBefore ? true : undefined));
      expect(await writes()).to.equal(writesBefore);
    });

    it('reports the address the load balancer gave its Service', async () => {
      const installation = await eventually('the address in status', async () => {
        const current = await getJson<Installation>(['gwi', name]);
        return current.status?.addresses?.length ? current : undefined;
      });
      const service = await getJson<{ status: { loadBalancer: { ingress?: Array<{ ip?: string }> } } }>(['service', 'kourier', '-n', namespace]);
      const ip = service.status.loadBalancer.ingress?.[0]?.ip ?? '';
      expect(inCidr(ip, loadBalancerRange.cidr), ip).to.equal(true);
      expect(installation.status?.addresses).to.deep.equal([{ type: 'IPAddress', value: ip }]);
      expect((await kubectlOk(['get', 'gwi', name, '--no-headers'])).split(/\s+/)).to.include(ip);
    });
  });

  describe('upgrades by editing the spec', () => {
    it('rolls the fleet to a new image, reporting progress, then Ready; and rolls back the same way', async () => {
      const name = await install('upgrade');
      await waitReady(name);
      // What a person watching would see: each status change of Progressing.
      const watcher = spawn((await localCluster()).kubectlPath, [
        '--kubeconfig', (await localCluster()).kubeconfig, 'get', 'gwi', name, '--watch', '-o',
        'jsonpath={.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].message}{"\\n"}',
      ]);
      const seen: string[] = [];
      watcher.stdout.on('data', (chunk: Buffer) => seen.push(...chunk.toString().split('\n').filter(Boolean)));
      try {
        for (const image of ['docker.io/envoyproxy/envoy:v1.39.3', 'docker.io/envoyproxy/envoy:v1.40.0']) {
          await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { envoy: { image } } })]);
          await eventually(`the rollout to ${image} to show as progressing`, () => Promise.resolve(seen.some((line) => line.startsWith('True') && line.includes(`updated to ${image}`)) ? true : undefined));
          const installation = await waitCondition(name, 'Progressing', 'False', 'RolloutComplete');
          await waitReady(name);
          expect(installation.status?.envoy?.image).to.equal(image);
          const deployment = await getJson(['deployment', `${name}-gateway`, '-n', `gw-${name}`]);
          expect((deployment.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image).to.equal(image);
        }
        const progress = seen.filter((line) => line.startsWith('True'));
        expect(progress.some((line) => /^True [0-2]\/2 replicas updated to docker\.io\/envoyproxy\/envoy:v1\.39\.3\.$/.test(line)), progress.join('\n')).to.equal(true);
      } finally {
        watcher.kill();
      }
    });

    it('adds a PodDisruptionBudget and an autoscaler when asked, and removes them when no longer asked', async () => {
      const name = await install('extras', { envoy: { podDisruptionBudget: { enabled: true }, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } } });
      const namespace = `gw-${name}`;
      await eventually('the PDB and HPA', async () => ((await kubectl(['get', 'pdb,hpa', `${name}-gateway`, '-n', namespace])).code === 0 ? true : undefined));
      const pdb = await getJson(['pdb', `${name}-gateway`, '-n', namespace]);
      expect(pdb.spec).to.deep.include({ minAvailable: '80%' });
      const hpa = await getJson(['hpa', `${name}-gateway`, '-n', namespace]);
      expect(hpa.spec).to.include({ minReplicas: 2, maxReplicas: 4 });
      await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { envoy: { podDisruptionBudget: { enabled: false }, autoscaling: { enabled: false } } } })]);
      await eventually('the PDB and HPA to be removed', async () => {
        const result = await kubectl(['get', 'pdb,hpa', '-n', namespace, '-o', 'name']);
        return result.stdout.trim() === '' ? true : undefined;
      });
    });

    it('replaces a Service whose name changes: the new one is created, the old one deleted', async () => {
      const name = await install('renamed');
      const namespace = `gw-${name}`;
      await eventually('the Service kourier', async () => ((await kubectl(['get', 'service', 'kourier', '-n', namespace])).code === 0 ? true : undefined));
      await kubectlOk(['patch', 'gwi', name, '--type=merge', '-p', JSON.stringify({ spec: { service: { name: 'kourier-public' } } })]);
      await eventually('only the renamed Service', async () => {
        const services = (await kubectlOk(['get', 'services', '-n', namespace, '-o', 'name'])).trim().split('\n').sort();
        return services.join(' ') === 'service/kourier-internal service/kourier-public' ? true : undefined;
      });
    });
  });

  describe('Service patches', () => {
    it('patches the generated Services as Kyverno would, reports a failing patch by index, and stays stable', async () => {
      const patches = [
        {
          match: { name: 'kourier' },
          patchStrategicMerge: { metadata: { annotations: { '+(example.com/owner)': 'platform' } }, spec: { loadBalancerClass: 'service.k8s.aws/nlb' } },
        },
        { patchesJson6902: [{ op: 'replace', path: '/spec/notThere', value: 1 }] },
        { match: { name: 'kourier-internal' }, patchStrategicMerge: { spec: { ports: [{ port: 443, $patch: 'delete' }] } } },
      ];
      const name = await install('patched', { service: { patches } });
      const namespace = `gw-${name}`;
      const degraded = await waitCondition(name, 'Degraded', 'True', 'ServicePatchFailed');
      expect(condition(degraded, 'Degraded')!.message).to.match(/^spec\.service\.patches\[1\] cannot apply to Service kourier: operation 0 \(replace \/spec\/notThere\)/);
      const external = await getJson(['service', 'kourier', '-n', namespace]);
      expect(external.spec).to.include({ loadBalancerClass: 'service.k8s.aws/nlb' });
      expect((external.metadata as { annotations?: Record<string, string> }).annotations).to.include({ 'example.com/owner': 'platform' });
      const internal = await getJson(['service', 'kourier-internal', '-n', namespace]);
      expect((internal.spec as { ports: Array<{ port: number }> }).ports.map((port) => port.port)).to.deep.equal([80]);

      // Reconciles that change nothing leave the patched Services alone.
      const versions = [external.metadata.resourceVersion, internal.metadata.resourceVersion];
      for (const touch of ['1', '2']) {
        const before = await reconcileCount();
        await kubectlOk(['annotate', 'gwi', name, `example.com/touched=${touch}`, '--overwrite']);
        await eventually('a reconcile of the touched installation', async () => ((await reconcileCount()) > before ? true : undefined));
      }
      const after = [(await getJson(['service', 'kourier', '-n', namespace])).metadata.resourceVersion, (await getJson(['service', 'kourier-internal', '-n', namespace])).metadata.resourceVersion];
      expect(after).to.deep.equal(versions);

      // Without the failing patch, the installation is whole again.
      await kubectlOk(['patch', 'gwi', name, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/service/patches/1' }])]);
      await waitCondition(name, 'Degraded', 'False');
      await waitReady(name);
    });
  });

  describe('bad input and conflicts', () => {
    // A null is sent as written by server-side apply only: a client-side `kubectl apply` drops it itself.
    const invalid: Array<[string, Record<string, unknown>, RegExp, 'server-side'?]> = [
      ['an unknown Service type', { service: { type: 'Public' } }, /spec\.service\.type: Unsupported value: "Public": supported values: "LoadBalancer", "NodePort", "ClusterIP"/],
      ['a negative replica count', { envoy: { replicas: -1 } }, /spec\.envoy\.replicas: Invalid value: -1: spec\.envoy\.replicas in body should be greater than or equal to 0/],
      ['a path prefix with the grpc protocol', { externalAuthorization: { host: 'auth:9000', pathPrefix: '/check' } }, /spec\.externalAuthorization\.pathPrefix: Invalid value: pathPrefix applies only with protocol http or https/],
      ['byte packing with the http protocol', { externalAuthorization: { host: 'auth:9000', protocol: 'http', packAsBytes: true } }, /spec\.externalAuthorization\.packAsBytes: Invalid value: packAsBytes applies only with protocol grpc/],
      ['two listeners on one port', { listeners: { ports: { externalHTTP: 9000 } } }, /spec\.listeners\.ports: Invalid value: listener ports must all differ/],
      ['a grace period shorter than the drain', { envoy: { drainSeconds: 30, terminationGracePeriodSeconds: 20 } }, /spec\.envoy\.terminationGracePeriodSeconds: Invalid value: terminationGracePeriodSeconds must be longer than drainSeconds/],
      ['both PDB bounds', { envoy: { podDisruptionBudget: { enabled: true, minAvailable: 1, maxUnavailable: 1 } } }, /set minAvailable or maxUnavailable, not both/],
      ['a timeout that is not a duration', { externalAuthorization: { host: 'auth:9000', timeout: 'soon' } }, /spec\.externalAuthorization\.timeout: Invalid value: "soon"/],
      ['one name for both Services', { internalService: { name: 'kourier' } }, /spec\.internalService\.name: Invalid value: service\.name and internalService\.name must differ/],
      ['a cipher suite BoringSSL does not know', { tls: { cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256', 'NOT-A-CIPHER'] } }, /spec\.tls\.cipherSuites\[1\]: Invalid value: "NOT-A-CIPHER": each cipher suite \(or each of an \[A\|B\] group\) must be one BoringSSL knows: ECDHE-ECDSA-AES128-GCM-SHA256, /],
      ['an unknown name inside a group of equally preferred suites', { tls: { cipherSuites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|NOT-A-CIPHER]'] } }, /spec\.tls\.cipherSuites\[0\]: Invalid value: "\[ECDHE-ECDSA-AES128-GCM-SHA256\|NOT-A-CIPHER\]": each cipher suite/],
      ['a system namespace', { namespace: 'kube-system' }, /spec\.namespace: Invalid value: "kube-system": kube-system, kube-public and kube-node-lease belong to the cluster itself/],
      ['an image that is no image reference', { envoy: { image: '::not an image::' } }, /spec\.envoy\.image: Invalid value: "::not an image::": must be an image reference, \[registry\[:port\]\/\]repository\[:tag\]\[@sha256:digest\]/],
      ['a patch that sets a label to null', { service: { patches: [{ patchStrategicMerge: { metadata: { labels: { team: null } } } }] } },
        /spec\.service\.patches\[0\]\.patchStrategicMerge\.metadata\.labels: Invalid value: label team is set to null: labels and annotations take only string values/, 'server-side'],
      ['a patch that sets an annotation to null', { service: { patches: [{ patchStrategicMerge: { metadata: { annotations: { '+(example.com/owner)': null } } } }] } },
        /spec\.service\.patches\[0\]\.patchStrategicMerge\.metadata\.annotations: Invalid value: annotation \+\(example\.com\/owner\) is set to null/, 'server-side'],
      ['a patch that sets a label to a number', { service: { patches: [{ patchStrategicMerge: { metadata: { labels: { tier: 1 } } } }] } },
        /spec\.service\.patches\[0\]\.patchStrategicMerge\.metadata\.labels\.tier: Invalid value: "integer": spec\.service\.patches\[0\]\.patchStrategicMerge\.metadata\.labels\.tier in body must be of type string/],
    ];
    for (const [what, spec, message, mode] of invalid) {
      it(`refuses ${what} at admission, naming the field`, async () => {
        const manifest = installationManifest(`invalid-${suffix}`, { namespace: `gw-invalid-${suffix}`, knative: { ingressClass: `invalid-${suffix}.example.com` }, ...spec });
        const result = await kubectl(['apply', ...(mode ? ['--server-side', '--field-manager', 'test'] : []), '-f', '-'], JSON.stringify(manifest));
        expect(result.code).to.not.equal(0);
        expect(result.stderr).to.match(message);
      });
    }

    it('refuses a change of namespace', async () => {
      const name = await install('moving');
      const moved = installationManifest(name, { namespace: `gw-elsewhere-${suffix}`, knative: { ingressClass: `${name}.example.com` } });
      const result = await kubectl(['apply', '-f', '-'], JSON.stringify(moved));
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('namespace cannot be changed');
    });

    it('marks a second installation of a namespace or ingress class Degraded, naming the first, which stays untouched', async () => {
      const first = await install('first');
      await waitReady(first);
      const firstDeployment = await getJson(['deployment', `${first}-gateway`, '-n', `gw-${first}`]);
      const second = `second-${suffix}`;
      created.push(second);
      await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(second, { namespace: `gw-${first}`, knative: { ingressClass: `${first}.example.com` } })));
      const degraded = await waitCondition(second, 'Degraded', 'True', 'NamespaceConflict');
      const message = condition(degraded, 'Degraded')!.message;
      expect(message).to.include(`spec.namespace "gw-${first}" is already served by GatewayInstallation "${first}"`);
      expect(message).to.include(`spec.knative.ingressClass "${first}.example.com" is already served by GatewayInstallation "${first}"`);
      expect(condition(degraded, 'Ready')?.status).to.equal('False');
      expect((await kubectl(['get', 'deployment', `${second}-gateway`, '-n', `gw-${first}`])).code).to.not.equal(0);
      const after = await getJson(['deployment', `${first}-gateway`, '-n', `gw-${first}`]);
      expect(after.metadata.resourceVersion).to.equal(firstDeployment.metadata.resourceVersion);
      expect(condition(await getJson<Installation>(['gwi', first]), 'Ready')?.status).to.equal('True');
      await kubectlOk(['delete', 'gwi', second, '--wait=true']);
    });

    it('marks an installation Degraded while its certificate Secret is missing, and recovers once it appears', async () => {
      const secretNamespace = await createNamespace('certs');
      try {
        const name = await install('tls', { tls: { secretRef: { namespace: secretNamespace, name: 'default-cert' } } });
        const degraded = await waitCondition(name, 'Degraded', 'True', 'SecretNotFound');
        expect(condition(degraded, 'Degraded')!.message).to.include(`Secret ${secretNamespace}/default-cert named by spec.tls.secretRef does not exist`);
        const certDir = mkdtempSync(join(tmpdir(), 'portico-cert-'));
        try {
          await runOrThrow('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=gateway.example.com',
            '-keyout', join(certDir, 'tls.key'), '-out', join(certDir, 'tls.crt')]);
          await kubectlOk(['create', 'secret', 'tls', 'default-cert', '-n', secretNamespace, `--cert=${join(certDir, 'tls.crt')}`, `--key=${join(certDir, 'tls.key')}`]);
        } finally {
          rmSync(certDir, { recursive: true, force: true });
        }
        await waitReady(name);
        expect(condition(await getJson<Installation>(['gwi', name]), 'Degraded')?.status).to.equal('False');
      } finally {
        await deleteNamespace(secretNamespace);
      }
    });
  });

  describe('several installations', () => {
    it('run side by side; deleting one removes all it owns and the namespace it created, and nothing of the other', async () => {
      const external = await install('external');
      const internal = await install('internal', { service: { type: 'ClusterIP' } });
      await Promise.all([waitReady(external), waitReady(internal)]);
      const internalDeployment = await getJson(['deployment', `${internal}-gateway`, '-n', `gw-${internal}`]);
      await kubectlOk(['delete', 'gwi', external, '--wait=true', '--timeout=60s']);
      await eventually('the deleted installation\'s namespace to go', async () => {
        const result = await kubectl(['get', 'namespace', `gw-${external}`, '-o', 'jsonpath={.status.phase}']);
        return result.code !== 0 || result.stdout === 'Terminating' ? true : undefined;
      });
      await eventually('its Deployment to be garbage-collected', async () => ((await kubectl(['get', 'deployment', `${external}-gateway`, '-n', `gw-${external}`])).code !== 0 ? true : undefined));
      const after = await getJson(['deployment', `${internal}-gateway`, '-n', `gw-${internal}`]);
      expect(after.metadata.resourceVersion).to.equal(internalDeployment.metadata.resourceVersion);
      expect(condition(await getJson<Installation>(['gwi', internal]), 'Ready')?.status).to.equal('True');
    });

    it('leave a namespace they did not create in place when deleted', async () => {
      const existing = await createNamespace('preexisting');
      try {
        const name = await install('guest', { namespace: existing });
        await waitReady(name);
        expect((await getJson(['gwi', name])).metadata.finalizers ?? []).to.deep.equal([]);
        await kubectlOk(['delete', 'gwi', name, '--wait=true', '--timeout=60s']);
        expect((await getJson(['namespace', existing])).status).to.deep.include({ phase: 'Active' });
      } finally {
        await deleteNamespace(existing);
      }
    });
  });
});
