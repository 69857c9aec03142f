// The in-process benchmarks' unit of work: a benchmark KIngress (bench/load.ts) translated as the
// operator translates it, its Service and EndpointSlice as the lookups' answers.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { IngressEntry } from '../operator/sources/knative/assemble.ts';
import { ingressHash } from '../operator/sources/knative/hash.ts';
import { knativeOptions } from '../operator/sources/knative/testdata/translate-cases.ts';
import { ingressKey, translateIngress } from '../operator/sources/knative/translate.ts';
import type { KnativeIngress } from '../operator/sources/knative/types.ts';
import { endpointSliceManifest, ingressManifest, serviceManifest } from './load.ts';

/** A test-range address nothing holds (198.19.0.0/16 is blackholed): these benchmarks never send a request upstream. */
const backend = { name: 'a', address: '198.19.0.1', port: 8080 };

/** KIngress `index` translated; created in index order. */
export function translatedEntry(index: number): IngressEntry {
  const service = serviceManifest(index, backend) as V1Service;
  const slice = endpointSliceManifest(index, backend) as V1EndpointSlice;
  const ingress = ingressManifest(index) as KnativeIngress;
  Object.assign(ingress.metadata ?? {}, { generation: 1 });
  const lookups = { service: () => service, endpointSlices: () => [slice], secret: () => undefined };
  return { key: ingressKey(ingress), createdAt: String(index).padStart(8, '0'), result: translateIngress(ingress, ingressHash(ingress), lookups, knativeOptions) };
}
