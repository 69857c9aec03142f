// The local demo: a real control plane, the operator, a GatewayInstallation reaching Ready,
// the installation's own Envoy (started from the bootstrap the operator rendered, with the
// client certificate it issued) programmed over xDS, and a Knative Ingress splitting traffic
// 90/10 between two backends. Run with `npm run demo` (add `-- --keep` to leave it all
// running until Ctrl-C).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { installCrds, kubectl, kubectlOk, localCluster, stopClusterIfStartedHere } from './support/cluster.ts';
import { asList, serviceWithEndpoints } from './support/endpoints.ts';
import { startEnvoy } from './support/envoy.ts';
import { sendRequest } from './support/http.ts';
import { installKnativeCrds } from './support/knative.ts';
import { createTestHost } from './support/netns.ts';
import { runOperator } from './support/operator.ts';
import { freePort } from './support/processes.ts';
import { mountSecret } from './support/secret-volume.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const say = (text: string) => {
  process.stdout.write(`\n==> ${text}\n`);
};
const sample = (file: string) => fileURLToPath(new URL(`../samples/${file}`, import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];

try {
  say('Starting the local control plane (the first run builds Kubernetes, etcd and kwok from source)');
  const cluster = await localCluster();
  process.stdout.write(await kubectlOk(['get', 'nodes']));

  say('Installing the GatewayInstallation CRD and Knative\'s Ingress CRD, and running the operator with its own ServiceAccount and RBAC');
  await installCrds();
  await installKnativeCrds();
  const xdsPort = await freePort();
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'portico-demo-'));
  cleanups.push(() => {
    rmSync(tlsDirectory, { recursive: true, force: true });
    return Promise.resolve();
  });
  // The gateway's Envoy runs on this machine, not in a pod: it reaches xDS on loopback and reads its certificate from here.
  const operator = await runOperator(undefined, [
    '--xds-listen', `127.0.0.1:${xdsPort}`,
    '--xds-address', `127.0.0.1:${xdsPort}`,
    '--envoy-admin-port', String(await freePort()),
    '--envoy-xds-tls-dir', tlsDirectory,
  ]);
  cleanups.push(() => operator.stop());
  process.stdout.write(`operator ready: ${operator.process.url}/readyz says "${(await operator.process.get('/readyz')).body.trim()}"\n`);

  say('Applying samples/minimal.yaml (listeners moved to free loopback ports, as on a shared machine), then kubectl wait --for=condition=Ready gwi/kourier');
  const ports = { externalHTTP: await freePort(), internalHTTP: await freePort(), externalHTTPS: await freePort(), internalHTTPS: await freePort(), probeHTTP: await freePort(), probeHTTPS: await freePort(), metrics: await freePort() };
  const installation = parseYaml(readFileSync(sample('minimal.yaml'), 'utf8')) as { spec: Record<string, unknown> };
  installation.spec.listeners = { addresses: ['127.0.0.1'], ports };
  process.stdout.write(await kubectlOk(['apply', '-f', '-'], JSON.stringify(installation)));
  cleanups.push(() => kubectl(['delete', 'gwi', 'kourier', '--wait=true', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=Ready', 'gwi/kourier', '--timeout=120s']));
  process.stdout.write(await kubectlOk(['get', 'gwi']));
  process.stdout.write(await kubectlOk(['get', 'deployment,service,configmap,secret', '-n', 'kourier-system']));

  say('Starting the gateway\'s Envoy from its ConfigMap, with its xDS client certificate mounted as the pod would');
  const bootstrap = await kubectlOk(['get', 'configmap', 'kourier-bootstrap', '-n', 'kourier-system', '-o', 'jsonpath={.data.envoy-bootstrap\\.yaml}']);
  const secret = JSON.parse(await kubectlOk(['get', 'secret', 'kourier-xds-client', '-n', 'kourier-system', '-o', 'json'])) as { data: Record<string, string> };
  mountSecret(tlsDirectory, secret.data);
  const envoy = await startEnvoy(bootstrap, { args: ['--service-node', 'kourier-gateway-demo', '--service-cluster', 'kourier'] });
  cleanups.push(() => envoy.stop());
  process.stdout.write(await kubectlOk(['wait', '--for=condition=ConfigSynced', 'gwi/kourier', '--timeout=60s']));
  process.stdout.write(`${(await kubectlOk(['get', 'gwi', 'kourier', '-o', 'jsonpath={.status.conditions[?(@.type=="ConfigSynced")].message}']))}\n`);

  say('Two backends on test hosts, behind Services hello-blue and hello-green in namespace portico-demo');
  await kubectl(['create', 'namespace', 'portico-demo']);
  cleanups.push(() => kubectl(['delete', 'namespace', 'portico-demo', '--wait=false']));
  for (const color of ['blue', 'green']) {
    const host = await createTestHost();
    cleanups.push(() => host.destroy());
    const backend = await host.startBackend(`hello-${color}`);
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints('portico-demo', `hello-${color}`, 80, [backend])));
  }
  process.stdout.write(await kubectlOk(['get', 'service,endpointslice', '-n', 'portico-demo']));

  say('kubectl apply -f samples/routes/knative-split.yaml (90% blue, 10% green), then kubectl wait --for=condition=Ready');
  process.stdout.write(await kubectlOk(['apply', '-f', sample('routes/knative-split.yaml')]));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/hello', '-n', 'portico-demo', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['get', 'ingresses.networking.internal.knative.dev', '-n', 'portico-demo']));

  say('200 requests for hello.portico-demo.example.com through the gateway\'s Envoy');
  const url = `http://127.0.0.1:${ports.externalHTTP}/`;
  const counts = new Map<string, number>();
  for (let batch = 0; batch < 4; batch++) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => sendRequest(url, { headers: { host: 'hello.portico-demo.example.com' } })));
    for (const answer of answers) {
      if (answer.status !== 200) throw new Error(`expected 200 through Envoy, got ${answer.status}: ${answer.body}`);
      const backend = (JSON.parse(answer.body) as { backend: string }).backend;
      counts.set(backend, (counts.get(backend) ?? 0) + 1);
    }
  }
  for (const [backend, count] of [...counts].sort()) process.stdout.write(`  ${backend}: ${count} (${((count / 200) * 100).toFixed(0)}%)\n`);
  if (!counts.get('hello-blue') || !counts.get('hello-green')) throw new Error('expected both backends to answer');

  if (values.keep) {
    say('Everything is running. Try:');
    process.stdout.write(
      `  export KUBECONFIG=${cluster.kubeconfig}\n  kubectl get gwi kourier -o yaml\n  kubectl get ingresses.networking.internal.knative.dev -n portico-demo hello -o yaml\n  curl -H 'host: hello.portico-demo.example.com' ${url}\n  curl ${operator.process.url}/metrics\nCtrl-C stops it all.\n`,
    );
    await new Promise<void>((resolve) => process.once('SIGINT', () => { resolve(); }));
  }
  say('Demo complete');
} finally {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: unknown) => {
      process.stderr.write(`clean-up: ${String(error)}\n`);
    });
  }
  if (!values.keep) await stopClusterIfStartedHere();
}
