// The test bed's daemon, started and stopped with the local cluster (e2e/cluster/up.sh and
// down.sh): the machine's side of the network, kwok's stages, the pod runtime and the load
// balancer. Prints "testbed ready" once all run.
//   node e2e/testbed/main.ts --kubeconfig FILE --state-dir DIR --log-dir DIR
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { createLogger } from '../../operator/log.ts';
import { KubeClient } from '../../operator/kube/client.ts';
import { registerResource } from '../../operator/kube/resources.ts';
import { eventually } from '../support/processes.ts';
import { addressPlan } from './addresses.ts';
import { knownImages } from './images.ts';
import { testBedStages } from './kwok-stages.ts';
import { LoadBalancerController } from './load-balancer-controller.ts';
import { setUpHostNetwork, tearDownHostNetwork } from './network.ts';
import { PodRuntime } from './pod-runtime.ts';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, 'state-dir': { type: 'string' }, 'log-dir': { type: 'string' } } });
if (!values.kubeconfig || !values['state-dir'] || !values['log-dir']) {
  process.stderr.write('usage: node e2e/testbed/main.ts --kubeconfig FILE --state-dir DIR --log-dir DIR\n');
  process.exit(2);
}
registerResource('v1', 'Pod', { plural: 'pods', namespaced: true });
registerResource('v1', 'Event', { plural: 'events', namespaced: true });
registerResource('kwok.x-k8s.io/v1alpha1', 'Stage', { plural: 'stages', namespaced: false });
registerResource('kwok.x-k8s.io/v1alpha1', 'Logs', { plural: 'logs', namespaced: true });

const log = createLogger('info', false);
// One pod's failure must not take every other pod down with the daemon: it is logged, and that pod retried or left.
process.on('unhandledRejection', (reason) => { log.error({ err: reason }, 'unhandled failure'); });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(values.kubeconfig);
const client = new KubeClient(kubeConfig, 'portico-testbed');

await setUpHostNetwork();
// kwokctl serves the Stage CRD; every stage must be there before the nodes are made.
await eventually('kwok\'s Stage CRD to be served', async () => {
  for (const stage of testBedStages()) await client.apply(stage);
  return true;
}, 60_000, 500);
const runtime = new PodRuntime(kubeConfig, log, values['state-dir'], values['log-dir']);
const balancer = new LoadBalancerController(kubeConfig, log);
await runtime.start();
await balancer.start();
log.info({ images: knownImages.map((image) => image.pattern), addresses: addressPlan }, 'testbed ready');
for (const range of addressPlan) process.stdout.write(`address ${range.cidr.padEnd(18)} ${range.what}\n`);
process.stdout.write('testbed ready\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  log.info('stopping');
  await balancer.stop();
  await runtime.stop();
  await tearDownHostNetwork();
  process.exit(0);
};
process.on('SIGTERM', () => { void stop(); });
process.on('SIGINT', () => { void stop(); });
