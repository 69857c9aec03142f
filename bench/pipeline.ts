// node bench/pipeline.ts [N...]: the operator's build of one installation, in process, without
// the cluster or Envoy: N Knative-shaped KIngresses translated, merged into the installation's
// graph and encoded into a snapshot; then one more KIngress, as a change at that size costs (the
// graph kept, as the operator keeps it). For profiling the hot path
// (add --cpu-prof); the end-to-end figures come from npm run bench.
import { withDefaults } from '../operator/api/schema-defaults.ts';
import type { GatewayInstallation } from '../operator/api/gatewayinstallation.ts';
import { installationPart } from '../operator/graph/installation.ts';
import { InstallationGraph } from '../operator/graph/merge.ts';
import { SnapshotEncoder } from '../xds/encoder.ts';
import { typeUrls } from '../xds/protos.ts';
import { translatedEntry } from './entries.ts';

const installation: GatewayInstallation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'bench' }, spec: {} });

function time<T>(work: () => T): [T, number] {
  const start = performance.now();
  const result = work();
  return [result, performance.now() - start];
}

for (const size of (process.argv.slice(2).length ? process.argv.slice(2) : ['1000', '5000']).map(Number)) {
  const part = installationPart(installation, { service: () => undefined, endpointSlices: () => [], secret: () => undefined });
  const [fragments, translateMs] = time(() => Array.from({ length: size }, (_, index) => translatedEntry(index)));
  const graph = new InstallationGraph();
  const [ir, mergeMs] = time(() => {
    graph.update(part, fragments);
    return graph.resources();
  });
  const encoder = new SnapshotEncoder();
  const [snapshot, encodeMs] = time(() => encoder.snapshotOf(ir));
  // One more KIngress: translated alone, merged into the kept graph, encoded again.
  const [, changeMs] = time(() => {
    graph.update(part, [...fragments, translatedEntry(size)]);
    return encoder.snapshotOf(graph.resources());
  });
  const routeBytes = [...(snapshot.types.get(typeUrls.route)?.resources.values() ?? [])].reduce((sum, item) => sum + item.any.value.length, 0);
  process.stdout.write(
    `${size} KIngresses: translate ${translateMs.toFixed(0)} ms, merge ${mergeMs.toFixed(0)} ms, encode ${encodeMs.toFixed(0)} ms; ` +
      `one more KIngress ${changeMs.toFixed(1)} ms; route configurations ${(routeBytes / 2 ** 20).toFixed(2)} MiB\n`,
  );
}
