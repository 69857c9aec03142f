// The local demo: a real control plane, the operator, samples/minimal.yaml reaching Ready with
// its own Envoy pods (run for real by the test bed's pod runtime) programmed over xDS and
// reached through the installation's LoadBalancer address, and a Knative Ingress splitting
// traffic 90/10 between two backend Deployments, and the installation's routing graph as the
// operator draws it. Run with `npm run demo` (add `-- --keep` to leave it all running until
// Ctrl-C, `-- --graph-svg FILE` to save the graph's picture).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCrds, kubectl, kubectlOk, localCluster, stopClusterIfStartedHere } from './support/cluster.ts';
import { sendRequest } from './support/http.ts';
import { installKnativeCrds } from './support/knative.ts';
import { runOperator } from './support/operator.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false }, 'graph-svg': { type: 'string' } } });
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
  // The operator runs on this machine; its Envoy pods reach its xDS server at the machine's address towards pods.
  const operator = await runOperator();
  cleanups.push(() => operator.stop());
  process.stdout.write(`operator ready: ${operator.process.url}/readyz says "${(await operator.process.get('/readyz')).body.trim()}"\n`);

  say('kubectl apply -f samples/minimal.yaml, then kubectl wait --for=condition=Ready gwi/kourier');
  process.stdout.write(await kubectlOk(['apply', '-f', sample('minimal.yaml')]));
  cleanups.push(() => kubectl(['delete', 'gwi', 'kourier', '--wait=true', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=Ready', 'gwi/kourier', '--timeout=120s']));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=ConfigSynced', 'gwi/kourier', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['get', 'gwi']));
  process.stdout.write(`${(await kubectlOk(['get', 'gwi', 'kourier', '-o', 'jsonpath={.status.conditions[?(@.type=="ConfigSynced")].message}']))}\n`);
  say('The installation\'s objects: its Envoy pods run for real at their pod IPs, and its LoadBalancer Service has an address');
  process.stdout.write(await kubectlOk(['get', 'deployment,pods,service', '-n', 'kourier-system', '-o', 'wide']));
  const address = (await kubectlOk(['get', 'gwi', 'kourier', '-o', 'jsonpath={.status.addresses[0].value}'])).trim();

  say('Two backends, Deployments hello-blue and hello-green of the test backend image, behind Services in namespace portico-demo');
  await kubectl(['create', 'namespace', 'portico-demo']);
  cleanups.push(() => kubectl(['delete', 'namespace', 'portico-demo', '--wait=false']));
  for (const color of ['blue', 'green']) {
    const labels = { app: `hello-${color}` };
    const objects = [
      {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `hello-${color}`, namespace: 'portico-demo' },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'hello', image: 'portico.dev/test-backend:latest', args: ['--name', `hello-${color}`, '--port', '8080'], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }] } } },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: `hello-${color}`, namespace: 'portico-demo' }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    ];
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  }
  for (const color of ['blue', 'green']) await kubectlOk(['rollout', 'status', `deployment/hello-${color}`, '-n', 'portico-demo', '--timeout=90s']);
  process.stdout.write(await kubectlOk(['get', 'pods,endpointslice', '-n', 'portico-demo', '-o', 'wide']));

  say('kubectl apply -f samples/routes/knative-split.yaml (90% blue, 10% green), then kubectl wait --for=condition=Ready');
  process.stdout.write(await kubectlOk(['apply', '-f', sample('routes/knative-split.yaml')]));
  process.stdout.write(await kubectlOk(['wait', '--for=condition=Ready', 'ingresses.networking.internal.knative.dev/hello', '-n', 'portico-demo', '--timeout=60s']));
  process.stdout.write(await kubectlOk(['get', 'ingresses.networking.internal.knative.dev', '-n', 'portico-demo']));

  say(`200 requests for hello.portico-demo.example.com to the gateway's address ${address}: its load balancer, its Envoy pods, the backend pods`);
  const url = `http://${address}/`;
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

  say(`The installation's routing graph: ${operator.process.url}/debug/graph (DOT with ?installation=kourier, SVG with &format=svg)`);
  const dot = await operator.process.get('/debug/graph?installation=kourier');
  if (dot.status !== 200) throw new Error(`expected the graph as DOT, got ${dot.status}: ${dot.body}`);
  const drawn = ['hello.portico-demo.example.com', 'portico-demo/hello-blue/80/http1', 'portico-demo/hello-green/80/http1'];
  for (const name of drawn) if (!dot.body.includes(`"host:${name}`) && !dot.body.includes(`"cluster:${name}"`) && !dot.body.includes(`label="${name}`)) throw new Error(`expected ${name} in the graph:\n${dot.body}`);
  process.stdout.write(`  ${dot.body.split('\n').filter((line) => line.includes(' -> ')).length} edges; drawn: ${drawn.join(', ')}\n`);
  if (values['graph-svg']) {
    const svg = await operator.process.get('/debug/graph?installation=kourier&format=svg');
    if (svg.status !== 200) throw new Error(`expected the graph as SVG, got ${svg.status}: ${svg.body}`);
    writeFileSync(values['graph-svg'], svg.body);
    process.stdout.write(`  saved to ${values['graph-svg']}\n`);
  }

  if (values.keep) {
    say('Everything is running. Try:');
    process.stdout.write(
      `  export KUBECONFIG=${cluster.kubeconfig}\n  kubectl get gwi kourier -o yaml\n  kubectl get ingresses.networking.internal.knative.dev -n portico-demo hello -o yaml\n  curl -H 'host: hello.portico-demo.example.com' ${url}\n  kubectl logs -n kourier-system deployment/kourier-gateway\n  curl ${operator.process.url}/metrics\n  open ${operator.process.url}/debug/graph in a browser\nCtrl-C stops it all.\n`,
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
