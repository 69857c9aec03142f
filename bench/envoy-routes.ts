// node bench/envoy-routes.ts [--layout single|scoped] [N...]: what one more KIngress costs when the
// routes are laid out one way or another (bench/layouts.ts). The xDS server sends the routes of N
// Knative-shaped KIngresses to a real Envoy, then adds one more KIngress at a time and takes the
// time from building the new snapshot to the first 200 for the new host (its Knative probe route,
// which Envoy answers itself) and to Envoy holding the whole snapshot; with the snapshot's size,
// the time to fill Envoy with the first N, and Envoy's heap.
// No cluster or operator: the translators and the ADS server in process, the real Envoy.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { withDefaults } from '../operator/api/schema-defaults.ts';
import { renderInstallation } from '../operator/installation/render.ts';
import type { Fragment } from '../operator/graph/fragment.ts';
import { installationPart } from '../operator/graph/installation.ts';
import { InstallationGraph } from '../operator/graph/merge.ts';
import { hashHeader, probeHeader } from '../operator/sources/knative/translate.ts';
import { SnapshotCache, type Snapshot } from '../xds/cache.ts';
import { SnapshotEncoder } from '../xds/encoder.ts';
import type { GatewayIR } from '../xds/ir.ts';
import { AdsServer, type ProxyState } from '../xds/server.ts';
import { startEnvoy } from '../e2e/support/envoy.ts';
import { freePort } from '../e2e/support/processes.ts';
import { translatedEntry } from './entries.ts';
import { layouts, ScopedLayout, type Layout } from './layouts.ts';
import { hostOf } from './load.ts';
import { summarize } from './stats.ts';
import { timeUntil } from './probes.ts';

const samples = 10;
const { values: options, positionals } = parseArgs({ options: { layout: { type: 'string', default: 'single' } }, allowPositionals: true });
const layout = options.layout as Layout;
if (!layouts.includes(layout)) throw new Error(`--layout: "${options.layout}" is not one of ${layouts.join(', ')}`);

const installationName = 'routes-bench';
const cache = new SnapshotCache();
const proxies = new Map<string, ProxyState>();
const server = new AdsServer(cache, pino({ level: 'silent' }), { onProxyChange: (proxy) => proxies.set(proxy.nodeId, proxy) });
const xdsPort = await server.listen('127.0.0.1:0');
const ports = { externalHTTP: await freePort(), internalHTTP: await freePort(), externalHTTPS: await freePort(), internalHTTPS: await freePort(), probeHTTP: await freePort(), probeHTTPS: await freePort(), metrics: await freePort() };
const installation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: installationName }, spec: { listeners: { addresses: ['127.0.0.1'], ports } } });
const rendered = renderInstallation(installation, { xds: { host: '127.0.0.1', port: xdsPort, protocol: 'delta' }, adminPort: await freePort() });
const configMap = rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
const part = installationPart(installation, { service: () => undefined, endpointSlices: () => [], secret: () => undefined });
const graph = new InstallationGraph();
const encoder = new SnapshotEncoder();
const scoped = new ScopedLayout(encoder);
const snapshotOf = (ir: GatewayIR): Snapshot => (layout === 'scoped' ? scoped.snapshotOf(ir) : encoder.snapshotOf(ir));
const entries: Fragment[] = [];
const publish = () => {
  graph.update(part, entries);
  const snapshot = snapshotOf(graph.resources());
  cache.set(installationName, snapshot);
  return snapshot;
};
publish();
const envoy = await startEnvoy(configMap.data['envoy-bootstrap.yaml']!, { args: ['--service-node', 'envoy-0', '--service-cluster', installationName] });
const holds = (version: string) => Promise.resolve(proxies.get('envoy-0')?.syncedVersion === version);

/** Envoy's answer to a Knative probe of `host` on the external HTTP listener, which it gives itself once the host is routed (status 0: no connection). */
function probeAnswer(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const outgoing = request({ host: '127.0.0.1', port: ports.externalHTTP, path: '/', headers: { host, [probeHeader]: 'probe', [hashHeader]: 'override' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }); });
    });
    outgoing.on('error', () => { resolve({ status: 0, body: '' }); });
    outgoing.end();
  });
}

const routed = (host: string) => async () => (await probeAnswer(host)).status === 200;
const sizeOf = (snapshot: Snapshot) => [...snapshot.types.values()].flatMap((type) => [...type.resources.values()]).reduce((sum, item) => sum + item.any.value.length, 0);
const mebibytes = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

try {
  for (const size of (positionals.length ? positionals : ['100', '1000', '5000']).map(Number)) {
    while (entries.length < size) entries.push(translatedEntry(entries.length));
    const filling = performance.now();
    let snapshot = publish();
    const fill = await timeUntil(`Envoy holding ${size} KIngresses`, filling, () => holds(snapshot.version), 600_000, 10);
    const heap = async () => mebibytes(Number((JSON.parse(await envoy.admin('/memory')) as { allocated: string }).allocated));
    const filled = `${layout}, ${size} KIngresses: snapshot ${mebibytes(sizeOf(snapshot))} MiB, Envoy filled in ${(fill / 1000).toFixed(1)} s`;
    try {
      await timeUntil('the last of them routed', performance.now(), routed(hostOf(size - 1)), 60_000, 5);
    } catch {
      // The wait only times out: the probe itself never throws.
      const answer = await probeAnswer(hostOf(size - 1));
      process.stdout.write(`${filled}, heap ${await heap()} MiB; the last KIngress still unrouted a minute later (${answer.status} ${answer.body.trim()})\n`);
      break;
    }
    const builds: number[] = [];
    const firstAnswers: number[] = [];
    const held: number[] = [];
    for (let sample = 0; sample < samples; sample++) {
      const index = entries.length;
      entries.push(translatedEntry(index));
      const start = performance.now();
      snapshot = publish();
      builds.push(performance.now() - start);
      firstAnswers.push(await timeUntil('one more KIngress routed', start, routed(hostOf(index)), 120_000, 1));
      held.push(await timeUntil('Envoy holding it all', start, () => holds(snapshot.version), 120_000, 1));
    }
    const [build, answer, all] = [summarize(builds), summarize(firstAnswers), summarize(held)];
    process.stdout.write(
      `${filled}, heap ${await heap()} MiB; ` +
        `one more KIngress: build p50 ${build.p50.toFixed(1)} ms, first 200 p50 ${answer.p50.toFixed(1)} ms (p90 ${answer.p90.toFixed(1)}, max ${answer.max.toFixed(1)}), all held p50 ${all.p50.toFixed(1)} ms\n`,
    );
  }
} finally {
  await envoy.stop();
  await server.close();
}
