// The local demo: a real control plane, the operator, a GatewayInstallation reaching Ready,
// and a real Envoy carrying traffic to a backend behind a Service. Run with `npm run demo`
// (add `-- --keep` to leave it all running until Ctrl-C). Grows with Portico: the xDS
// issue makes the installation's own Envoy carry the traffic.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster, stopClusterIfStartedHere } from './support/cluster.ts';
import { asList, endpointsOfService, serviceWithEndpoints } from './support/endpoints.ts';
import { proxyBootstrap, startEnvoy } from './support/envoy.ts';
import { sendRequest } from './support/http.ts';
import { createTestHost } from './support/netns.ts';
import { runOperator } from './support/operator.ts';
import { freePort } from './support/processes.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const say = (text: string) => {
  process.stdout.write(`\n==> ${text}\n`);
};
const sample = fileURLToPath(new URL('../samples/minimal.yaml', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];

try {
  say('Starting the local control plane (the first run builds Kubernetes, etcd and kwok from source)');
  const cluster = await localCluster();
  process.stdout.write(await kubectlOk(['get', 'nodes']));

  say('Installing the GatewayInstallation CRD and running the operator with its own ServiceAccount and RBAC');
  await installCrds();
  const operator = await runOperator();
  cleanups.push(() => operator.stop());
  process.stdout.write(`operator ready: ${operator.process.url}/readyz says "${(await operator.process.get('/readyz')).body.trim()}"\n`);

  say('kubectl apply -f samples/minimal.yaml, then kubectl wait --for=condition=Ready gwi/kourier');
  process.stdout.write(await kubectlOk(['apply', '-f', sample]));
  cleanups.push(() => kubectl(['delete', '-f', sample, '--wait=true', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=Ready', 'gwi/kourier', '--timeout=120s']));
  process.stdout.write(await kubectlOk(['get', 'gwi']));
  process.stdout.write(await kubectlOk(['get', 'deployment,service,configmap', '-n', 'kourier-system']));

  say('Starting a backend on a test host and a Service whose EndpointSlice points at it');
  const namespace = await createNamespace('portico-demo');
  cleanups.push(() => deleteNamespace(namespace));
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
    process.stdout.write(
      `  export KUBECONFIG=${cluster.kubeconfig}\n  kubectl get gwi kourier -o yaml\n  curl -H 'host: echo.example.com' http://127.0.0.1:${listenPort}/\n  curl ${operator.process.url}/metrics\nCtrl-C stops it all.\n`,
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
