// npm run bench: how fast KIngress controllers program a real Envoy, at growing numbers of
// existing KIngresses, on the local control plane. Each subject (a command; default: Portico's,
// bench/subjects/portico.ts) is measured in turn against the same cluster, the same load and
// the same backends. Writes a markdown report, the JSON behind it and an SVG chart.
//   npm run bench -- [--sizes 100,1000,5000] [--startup-size 10000] [--subject 'COMMAND']...
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectl, kubectlOk, localCluster, stopClusterIfStartedHere } from '../e2e/support/cluster.ts';
import { installKnativeCrds } from '../e2e/support/knative.ts';
import { createTestHost, destroyTestHosts, removeStaleTestHosts } from '../e2e/support/netns.ts';
import { seededRandom } from '../e2e/support/random.ts';
import { benchNamespace, BenchClient, endpointSliceManifest, hostOf, ingressClass, ingressManifest, serviceManifest, serviceName, type BackendAddress } from './load.ts';
import { envoyMemory, envoyStat, ingressReady, probe, readyCount, residentBytes, timeUntil } from './probes.ts';
import { chartSvg, markdownReport, type BenchResults, type SizeResult, type StartupResult, type SubjectResult } from './report.ts';
import { startSubject, type RunningSubject } from './subject.ts';
import { summarize } from './stats.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,5000' },
    'startup-size': { type: 'string', default: '10000' },
    routes: { type: 'string', default: '50' },
    endpoints: { type: 'string', default: '20' },
    'background-rate': { type: 'string', default: '2' },
    subject: { type: 'string', multiple: true },
    out: { type: 'string', default: join(root, 'bench/results') },
    seed: { type: 'string', default: '7' },
    'sample-timeout': { type: 'string', default: '15000' },
    'cpu-profile': { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const startupSize = Number(values['startup-size']);
const newRoutes = Number(values.routes);
const endpointSwitches = Number(values.endpoints);
const backgroundRate = Number(values['background-rate']);
const subjects = values.subject ?? [`node ${join(root, 'bench/subjects/portico.ts')}`];
const random = seededRandom(Number(values.seed));
const sampleTimeoutMs = Number(values['sample-timeout']);
const coldStartTimeoutMs = 300_000;
// --cpu-profile DIR: every Node process of the subject writes a .cpuprofile there when it stops.
const subjectEnv: Record<string, string> = values['cpu-profile'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values['cpu-profile']}` } : {};

const log = (message: string) => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`); };

const cluster = await localCluster();
const client = new BenchClient(cluster.kubeConfig);
await installKnativeCrds();
if (process.getuid?.() === 0) await removeStaleTestHosts();
// Two backends on two test hosts: an endpoint change moves a Service from one to the other.
const backends: BackendAddress[] = [];
for (const name of ['a', 'b']) {
  const host = await createTestHost();
  const backend = await host.startBackend(name, 8080);
  backends.push({ name, address: backend.address, port: backend.port });
}
const [backendA, backendB] = backends as [BackendAddress, BackendAddress];

async function resetNamespace(): Promise<void> {
  await kubectl(['delete', 'namespace', benchNamespace, '--ignore-not-found', '--wait=true', '--timeout=600s']);
  await kubectlOk(['create', 'namespace', benchNamespace]);
}

async function waitAllReady(start: number, timeoutMs = 900_000): Promise<number> {
  return timeUntil('every KIngress Ready', start, async () => {
    const { ready, total } = await readyCount(client.client);
    return ready === total;
  }, timeoutMs, 250);
}

/**
 * Starts the subject and measures how long until a sample of the existing KIngresses answer 200
 * through its Envoy, then until all are Ready. A wait that runs out is Infinity, and the last
 * answer Envoy gave is logged.
 */
async function coldStart(command: string, existing: number): Promise<{ subject: RunningSubject; coldStartMs: number; allReadyMs: number }> {
  const start = performance.now();
  const subject = await startSubject(command, { ...subjectEnv, KUBECONFIG: cluster.kubeconfig, BENCH_INGRESS_CLASS: ingressClass });
  const sample = [existing - 1, ...Array.from({ length: 20 }, () => random.int(existing))];
  let coldStartMs = 0;
  try {
    for (const index of sample) {
      coldStartMs = await timeUntil(`first 200 from ${hostOf(index)}`, start, async () => (await probe(subject.info.httpPort, hostOf(index))).status === 200, coldStartTimeoutMs, 20);
    }
  } catch (error) {
    const last = await probe(subject.info.httpPort, hostOf(existing - 1));
    log(`${String(error)}; Envoy's last answer: ${last.status}`);
    coldStartMs = Infinity;
  }
  const allReadyMs = await waitAllReady(start, coldStartTimeoutMs).catch(() => Infinity);
  return { subject, coldStartMs, allReadyMs };
}

async function memory(subject: RunningSubject): Promise<SizeResult['memory']> {
  const envoy = await envoyMemory(subject.info.adminUrl);
  const pid = subject.info.controllerPid;
  return { controllerRssBytes: pid === undefined ? Number.NaN : residentBytes(pid), envoyAllocatedBytes: envoy.allocated, envoyHeapBytes: envoy.heapSize };
}

function xdsBytes(subject: RunningSubject): Promise<number> {
  return envoyStat(subject.info.adminUrl, `cluster.${subject.info.xdsCluster}.upstream_cx_rx_bytes_total`);
}

/** Waits until Envoy has received nothing over xDS for a second (at most a minute): pushes left over from the phase before must not count in this one. */
async function settledXdsBytes(subject: RunningSubject): Promise<number> {
  let last = await xdsBytes(subject);
  let quietSince = performance.now();
  const start = performance.now();
  while (performance.now() - quietSince < 1000 && performance.now() - start < 60_000) {
    await sleep(250);
    const now = await xdsBytes(subject);
    if (now !== last) quietSince = performance.now();
    last = now;
  }
  return last;
}

/** Creates `count` new KIngresses one after the other; for each, the time to the first 200 and to Ready. */
async function routePropagation(subject: RunningSubject, firstIndex: number, count: number): Promise<{ route: number[]; status: number[]; bytesPerChange: number }> {
  const route: number[] = [];
  const status: number[] = [];
  const bytesBefore = await settledXdsBytes(subject);
  for (let index = firstIndex; index < firstIndex + count; index++) {
    // Knative creates a revision's Service before the KIngress that routes to it.
    await client.createIfMissing(serviceManifest(index, backendA));
    await client.createIfMissing(endpointSliceManifest(index, backendA));
    await sleep(50);
    const start = performance.now();
    await client.client.create(ingressManifest(index));
    // A wait that runs out is a sample of Infinity: the report shows it as a timeout.
    const [toRoute, toReady] = await Promise.all([
      timeUntil(`first 200 from ${hostOf(index)}`, start, async () => (await probe(subject.info.httpPort, hostOf(index))).status === 200, sampleTimeoutMs, 2).catch(() => Infinity),
      timeUntil(`KIngress ${serviceName(index)} Ready`, start, () => ingressReady(client.client, index), sampleTimeoutMs, 5).catch(() => Infinity),
    ]);
    route.push(toRoute);
    status.push(toReady);
  }
  await sleep(500); // pushes still under way reach the counter
  return { route, status, bytesPerChange: ((await xdsBytes(subject)) - bytesBefore) / count };
}

/** Updates random existing KIngresses at `rate` per second until stopped. */
function backgroundUpdates(existing: number, rate: number): { stop: () => Promise<number> } {
  // An object, so that the loop sees the flag the stop function clears.
  const state = { running: true };
  let updates = 0;
  const done = (async () => {
    while (state.running) {
      const index = random.int(existing);
      const manifest = ingressManifest(index, 2 + updates) as { spec: object };
      await client.client.mergePatch({ apiVersion: 'networking.internal.knative.dev/v1alpha1', kind: 'Ingress', namespace: benchNamespace, name: serviceName(index) }, { spec: manifest.spec });
      updates++;
      await sleep(1000 / rate);
    }
  })();
  return {
    stop: async () => {
      state.running = false;
      await done;
      return updates;
    },
  };
}

/** Moves existing Services from backend a to b and back; the time until Envoy's answers come from the new one. */
async function endpointPropagation(subject: RunningSubject, existing: number, count: number): Promise<{ samples: number[]; bytesPerChange: number }> {
  const samples: number[] = [];
  const bytesBefore = await settledXdsBytes(subject);
  for (let switchIndex = 0; switchIndex < count; switchIndex++) {
    const index = random.int(existing);
    for (const target of [backendB, backendA]) {
      const start = performance.now();
      await client.client.mergePatch({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: benchNamespace, name: `${serviceName(index)}-bench` }, { endpoints: [{ addresses: [target.address], conditions: { ready: true } }] });
      samples.push(await timeUntil(`${hostOf(index)} served by ${target.name}`, start, async () => (await probe(subject.info.httpPort, hostOf(index))).backend === target.name, sampleTimeoutMs, 2).catch(() => Infinity));
    }
  }
  await sleep(500);
  return { samples, bytesPerChange: ((await xdsBytes(subject)) - bytesBefore) / (count * 2) };
}

async function measureSubject(command: string): Promise<SubjectResult> {
  await resetNamespace();
  let created = 0;
  let name = command;
  const results: SizeResult[] = [];
  for (const size of sizes) {
    if (created < size) {
      log(`creating KIngresses ${created}..${size - 1} (with their Services and EndpointSlices)`);
      await client.createRoutes(created, size, backendA);
      created = size;
    }
    log(`${size}: cold start`);
    const { subject, coldStartMs, allReadyMs } = await coldStart(command, created);
    name = subject.info.name;
    try {
      const settled = await memory(subject);
      log(`${size}: route propagation, quiet`);
      const quiet = await routePropagation(subject, created, newRoutes);
      created += newRoutes;
      log(`${size}: route propagation, ${backgroundRate} updates/s in the background`);
      const background = backgroundUpdates(size, backgroundRate);
      const busy = await routePropagation(subject, created, newRoutes);
      const updates = await background.stop();
      created += newRoutes;
      log(`${size}: endpoint propagation`);
      const endpoints = await endpointPropagation(subject, size, endpointSwitches);
      results.push({
        size,
        coldStartMs,
        allReadyMs,
        route: { quiet: summarize(quiet.route), busy: summarize(busy.route) },
        status: { quiet: summarize(quiet.status), busy: summarize(busy.status) },
        endpoint: summarize(endpoints.samples),
        bytes: { perNewRoute: quiet.bytesPerChange, perEndpointChange: endpoints.bytesPerChange },
        backgroundUpdates: updates,
        memory: settled,
        memoryAfterLoad: await memory(subject),
      });
    } finally {
      await subject.stop();
    }
  }
  let startup: StartupResult | undefined;
  if (startupSize > 0) {
    if (created < startupSize) {
      log(`creating KIngresses ${created}..${startupSize - 1}`);
      await client.createRoutes(created, startupSize, backendA);
      created = startupSize;
    }
    log(`${created}: cold start`);
    const { subject, coldStartMs, allReadyMs } = await coldStart(command, created);
    try {
      startup = { size: created, coldStartMs, allReadyMs, memory: await memory(subject) };
    } finally {
      await subject.stop();
    }
  }
  return { name, command, sizes: results, ...(startup ? { startup } : {}) };
}

const started = performance.now();
const results: BenchResults = {
  date: new Date().toISOString(),
  machine: { cpus: availableParallelism(), memoryBytes: totalmem() },
  settings: { sizes, startupSize, newRoutes, endpointSwitches, backgroundRate },
  subjects: [],
};
try {
  for (const command of subjects) {
    log(`subject: ${command}`);
    results.subjects.push(await measureSubject(command));
  }
} finally {
  await kubectl(['delete', 'namespace', benchNamespace, '--ignore-not-found', '--wait=false']);
  await destroyTestHosts();
  await stopClusterIfStartedHere();
}
results.durationSeconds = Math.round((performance.now() - started) / 1000);
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'report.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(values.out, 'latency.svg'), chartSvg(results));
const report = markdownReport(results, 'latency.svg');
writeFileSync(join(values.out, 'report.md'), report);
process.stdout.write(report);
