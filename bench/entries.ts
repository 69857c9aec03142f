// The in-process benchmarks' unit of work: a benchmark KIngress (bench/load.ts) translated as the
// operator translates it, its Service and EndpointSlice as the lookups' answers.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Fragment } from '../operator/graph/fragment.ts';
import { ingressHash } from '../operator/sources/knative/hash.ts';
import { knativeOptions } from '../operator/sources/knative/testdata/translate-cases.ts';
import { translateIngress } from '../operator/sources/knative/translate.ts';
import type { KnativeIngress } from '../operator/sources/knative/types.ts';
import { endpointSliceManifest, ingressManifest, serviceManifest } from './load.ts';

/** A test-range address nothing holds (198.19.0.0/16 is blackholed): these benchmarks never send a request upstream. */
const backend = { name: 'a', address: '198.19.0.1', port: 8080 };

/** KIngress `index` translated into its fragment; created in index order. */
export function translatedEntry(index: number): Fragment {
  const service = serviceManifest(index, backend) as V1Service;
  const slice = endpointSliceManifest(index, backend) as V1EndpointSlice;
  const ingress = ingressManifest(index) as KnativeIngress;
  Object.assign(ingress.metadata ?? {}, { generation: 1, creationTimestamp: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString() });
  const lookups = { service: () => service, endpointSlices: () => [slice], secret: () => undefined };
  return { ...translateIngress(ingress, ingressHash(ingress), lookups, knativeOptions), reads: new Set([`service:${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`]) };
}
