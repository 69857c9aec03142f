// node bench/pipeline.ts [N...]: the operator's build of one installation, in process, without
// the cluster or Envoy: N Knative-shaped KIngresses translated, assembled and encoded into a
// snapshot; then one more KIngress, as a change at that size costs. For profiling the hot path
// (add --cpu-prof); the end-to-end figures come from npm run bench.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { installationIR } from '../operator/installation/gateway-ir.ts';
import { withDefaults } from '../operator/api/schema-defaults.ts';
import type { GatewayInstallation } from '../operator/api/gatewayinstallation.ts';
import { assemble } from '../operator/sources/knative/assemble.ts';
import { ingressHash } from '../operator/sources/knative/hash.ts';
import { ingressKey, translateIngress, type KnativeLookups } from '../operator/sources/knative/translate.ts';
import type { KnativeIngress } from '../operator/sources/knative/types.ts';
import { SnapshotEncoder } from '../xds/encoder.ts';
import { typeUrls } from '../xds/protos.ts';
import { endpointSliceManifest, ingressManifest, serviceManifest } from './load.ts';

const backend = { name: 'a', address: '10.0.0.1', port: 8080 };
const installation: GatewayInstallation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'bench' }, spec: {} });
const options = { clusterDomain: 'cluster.local', externalRoutes: 'external_services', internalRoutes: 'internal_services', externalTlsRoutes: 'external_tls_services', honorHttpOption: true, authorizationContext: false };

function time<T>(work: () => T): [T, number] {
  const start = performance.now();
  const result = work();
  return [result, performance.now() - start];
}

for (const size of (process.argv.slice(2).length ? process.argv.slice(2) : ['1000', '5000']).map(Number)) {
  const services = new Map<string, V1Service>();
  const slices = new Map<string, V1EndpointSlice[]>();
  const ingresses: KnativeIngress[] = [];
  for (let index = 0; index <= size; index++) {
    const service = serviceManifest(index, backend) as V1Service;
    services.set(`portico-bench/${service.metadata?.name ?? ''}`, service);
    slices.set(`portico-bench/${service.metadata?.name ?? ''}`, [endpointSliceManifest(index, backend) as V1EndpointSlice]);
    const ingress = ingressManifest(index) as KnativeIngress;
    Object.assign(ingress.metadata ?? {}, { generation: 1, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, index)) });
    ingresses.push(ingress);
  }
  const lookups: KnativeLookups = {
    service: (namespace, name) => services.get(`${namespace}/${name}`),
    endpointSlices: (namespace, name) => slices.get(`${namespace}/${name}`) ?? [],
    secret: () => undefined,
  };
  const base = installationIR(installation);
  const translateOne = (ingress: KnativeIngress) => {
    const hash = ingressHash(ingress);
    return { key: ingressKey(ingress), createdAt: String(ingress.metadata?.creationTimestamp?.toISOString()), result: translateIngress(ingress, hash, lookups, options) };
  };
  const existing = ingresses.slice(0, size);
  const [entries, translateMs] = time(() => existing.map(translateOne));
  const [assembly, assembleMs] = time(() => assemble(base, entries));
  const encoder = new SnapshotEncoder();
  const [snapshot, encodeMs] = time(() => encoder.snapshotOf(assembly.ir));
  // One more KIngress: translated alone, then the installation assembled and encoded again.
  const [, changeMs] = time(() => {
    const next = [...entries, translateOne(ingresses[size]!)];
    return encoder.snapshotOf(assemble(base, next).ir);
  });
  const routeBytes = [...(snapshot.types.get(typeUrls.route)?.resources.values() ?? [])].reduce((sum, item) => sum + item.any.value.length, 0);
  process.stdout.write(
    `${size} KIngresses: translate ${translateMs.toFixed(0)} ms, assemble ${assembleMs.toFixed(0)} ms, encode ${encodeMs.toFixed(0)} ms; ` +
      `one more KIngress ${changeMs.toFixed(1)} ms; route configurations ${(routeBytes / 2 ** 20).toFixed(2)} MiB\n`,
  );
}
