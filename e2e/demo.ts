// The local demo: a real control plane, the operator, and a real Envoy carrying traffic
// to a backend behind a Service. Run with `npm run demo` (add `-- --keep` to leave it all
// running until Ctrl-C). Grows with Portico: later issues make the operator program Envoy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster, stopClusterIfStartedHere } from './support/cluster.ts';
import { asList, endpointsOfService, serviceWithEndpoints } from './support/endpoints.ts';
import { proxyBootstrap, startEnvoy } from './support/envoy.ts';
import { createTestHost } from './support/netns.ts';
import { operatorIdentity, startOperator } from './support/operator.ts';
import { sendRequest } from './support/http.ts';
import { eventually, freePort } from './support/processes.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const say = (text: string) => {
  process.stdout.write(`\n==> ${text}\n`);
};
const dir = mkdtempSync(join(tmpdir(), 'portico-demo-'));
const cleanups: Array<() => Promise<void>> = [];

try {
  say('Starting the local control plane (the first run builds Kubernetes, etcd and kwok from source)');
  const cluster = await localCluster();
  process.stdout.write(await kubectlOk(['get', 'nodes', '-o', 'wide']));

  say('Running the operator with its own ServiceAccount and RBAC');
  await installCrds();
  const namespace = await createNamespace('portico-demo');
  cleanups.push(() => deleteNamespace(namespace));
  const identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
  cleanups.push(() => identity.remove());
  const operator = await startOperator({ kubeconfig: identity.kubeconfig, namespace });
  cleanups.push(async () => {
    await operator.stop();
  });
  await eventually('the operator to be ready', async () => ((await operator.get('/readyz')).status === 200 ? true : undefined), 60_000);
  process.stdout.write(`operator ready: ${operator.url}/readyz says "${(await operator.get('/readyz')).body.trim()}"\n`);

  say('Starting a backend on a test host and a Service whose EndpointSlice points at it');
  const host = await createTestHost();
  cleanups.push(() => host.destroy());
  const backend = await host.startBackend('demo-echo');
  await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, 'echo', 80, [backend])));
  process.stdout.write(await kubectlOk(['get', 'service,endpointslice', '-n', namespace]));

  say('Starting a real Envoy routing to the Service\'s endpoints, and sending it a request');
  const listenPort = await freePort();
  const envoy = await startEnvoy(proxyBootstrap(listenPort, await endpointsOfService(namespace, 'echo')));
  cleanups.push(() => envoy.stop());
  const response = await sendRequest(`http://127.0.0.1:${listenPort}/hello`, { headers: { host: 'echo.example.com' } });
  process.stdout.write(`GET http://127.0.0.1:${listenPort}/hello -> ${response.status}\n${response.body}\n`);
  if (response.status !== 200) throw new Error(`expected 200 through Envoy, got ${response.status}`);

  if (values.keep) {
    say('Everything is running. Try:');
    process.stdout.write(`  export KUBECONFIG=${cluster.kubeconfig}\n  curl -H 'host: echo.example.com' http://127.0.0.1:${listenPort}/\n  curl ${operator.url}/metrics\nCtrl-C stops it all.\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => { resolve(); }));
  }
  say('Demo complete');
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => { process.stderr.write(`clean-up: ${String(error)}\n`); });
  if (!values.keep) await stopClusterIfStartedHere();
  rmSync(dir, { recursive: true, force: true });
}
