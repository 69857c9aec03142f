// The benchmark's subject "portico": the operator under its own ServiceAccount, a
// GatewayInstallation serving the benchmark's ingress class on loopback ports, and a real Envoy
// started from the bootstrap the operator rendered (loopback-gateway.ts). Any KIngress
// controller is measured through the same protocol (bench/README.md): started with KUBECONFIG
// and BENCH_INGRESS_CLASS set, it prints one line `BENCH-READY {json}` once its Envoy is up, and
// stops everything it started on SIGTERM.
import { installCrds, localCluster } from '../../e2e/support/cluster.ts';
import { startGateway } from './loopback-gateway.ts';
import { installKnativeCrds } from '../../e2e/support/knative.ts';

const ingressClass = process.env.BENCH_INGRESS_CLASS;
if (!ingressClass) throw new Error('BENCH_INGRESS_CLASS is not set');

await localCluster();
await installCrds();
await installKnativeCrds();
// Envoy's heap limit follows the memory limit (90%; 1 GiB without one). Holding 10,000
// KIngresses takes Envoy about 830 MiB, past the default's overload threshold (95%), where
// Envoy refuses requests: the benchmark gives it room, as a gateway of that size needs.
const gateway = await startGateway('bench', { knative: { ingressClass }, envoy: { resources: { limits: { memory: '3Gi' } } } });
const ready = {
  name: 'portico',
  httpPort: gateway.ports.externalHTTP,
  adminUrl: gateway.envoy.adminUrl,
  controllerPid: gateway.operator.process.pid,
  xdsCluster: 'xds_cluster',
};
process.stdout.write(`BENCH-READY ${JSON.stringify(ready)}\n`);

const stop = async () => {
  await gateway.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
