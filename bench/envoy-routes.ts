// node bench/envoy-routes.ts [N...]: what one more KIngress costs Envoy itself when every host
// sits in one RouteConfiguration (as Kourier and Portico lay them out): the xDS server sends the
// installation's routes for N Knative-shaped KIngresses, then one more KIngress at a time, and
// the time from the new snapshot to Envoy's ACK of the routes is taken, with the bytes sent.
// No cluster or operator: the translators and the ADS server in process, the real Envoy.
import { pino } from 'pino';
import { withDefaults } from '../operator/api/schema-defaults.ts';
import { installationIR } from '../operator/installation/gateway-ir.ts';
import { renderInstallation } from '../operator/installation/render.ts';
import { assemble, type IngressEntry } from '../operator/sources/knative/assemble.ts';
import { SnapshotCache } from '../xds/cache.ts';
import { SnapshotEncoder } from '../xds/encoder.ts';
import { typeUrls } from '../xds/protos.ts';
import { AdsServer, type ProxyState } from '../xds/server.ts';
import { startEnvoy } from '../e2e/support/envoy.ts';
import { freePort } from '../e2e/support/processes.ts';
import { translatedEntry } from './entries.ts';
import { summarize } from './stats.ts';
import { timeUntil } from './probes.ts';

const samples = 10;

const installationName = 'routes-bench';
const cache = new SnapshotCache();
const proxies = new Map<string, ProxyState>();
const server = new AdsServer(cache, pino({ level: 'silent' }), { onProxyChange: (proxy) => proxies.set(proxy.nodeId, proxy) });
const xdsPort = await server.listen('127.0.0.1:0');
const ports = { externalHTTP: await freePort(), internalHTTP: await freePort(), externalHTTPS: await freePort(), internalHTTPS: await freePort(), probeHTTP: await freePort(), probeHTTPS: await freePort(), metrics: await freePort() };
const installation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: installationName }, spec: { listeners: { addresses: ['127.0.0.1'], ports } } });
const rendered = renderInstallation(installation, { xds: { host: '127.0.0.1', port: xdsPort, protocol: 'delta' }, adminPort: await freePort() });
const configMap = rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
const base = installationIR(installation);
const encoder = new SnapshotEncoder();
const entries: IngressEntry[] = [];
const publish = () => {
  const snapshot = encoder.snapshotOf(assemble(base, entries).ir);
  cache.set(installationName, snapshot);
  return snapshot;
};
publish();
const envoy = await startEnvoy(configMap.data['envoy-bootstrap.yaml']!, { args: ['--service-node', 'envoy-0', '--service-cluster', installationName] });
const routesAccepted = (version: string) => proxies.get('envoy-0')?.acked[typeUrls.route] === version;

try {
  for (const size of (process.argv.slice(2).length ? process.argv.slice(2) : ['100', '1000', '5000']).map(Number)) {
    while (entries.length < size) entries.push(translatedEntry(entries.length));
    let snapshot = publish();
    await timeUntil(`routes of ${size} KIngresses accepted`, performance.now(), () => Promise.resolve(routesAccepted(snapshot.types.get(typeUrls.route)!.version)), 600_000, 10);
    const times: number[] = [];
    let bytes = 0;
    for (let sample = 0; sample < samples; sample++) {
      entries.push(translatedEntry(entries.length));
      const start = performance.now();
      snapshot = publish();
      const version = snapshot.types.get(typeUrls.route)!.version;
      times.push(await timeUntil('one more KIngress accepted', start, () => Promise.resolve(routesAccepted(version)), 120_000, 1));
      bytes = [...snapshot.types.get(typeUrls.route)!.resources.values()].reduce((sum, item) => sum + item.any.value.length, 0);
    }
    const summary = summarize(times);
    process.stdout.write(`${size} KIngresses in one RouteConfiguration each (${(bytes / 2 ** 20).toFixed(2)} MiB of routes): new snapshot → Envoy's ACK of the routes p50 ${summary.p50.toFixed(1)} ms, p90 ${summary.p90.toFixed(1)} ms, max ${summary.max.toFixed(1)} ms\n`);
  }
} finally {
  await envoy.stop();
  await server.close();
}
