// The benchmark's objects: Knative Ingresses as Knative Serving writes them for a Service (an
// external and a cluster-local rule, one revision), each with its own selector-less Service and
// an EndpointSlice pointing at a test-host backend; and a client that creates them in bulk.
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, KubeClient } from '../operator/kube/client.ts';

export const benchNamespace = 'portico-bench';
export const ingressClass = 'bench.ingress.networking.knative.dev';

export interface BackendAddress {
  name: string;
  address: string;
  port: number;
}

export function serviceName(index: number): string {
  return `svc-${index}`;
}

/** The external host a KIngress answers for. */
export function hostOf(index: number): string {
  return `${serviceName(index)}.${benchNamespace}.bench.example.com`;
}

export function ingressManifest(index: number, revision = 1): object {
  const name = serviceName(index);
  const split = {
    serviceNamespace: benchNamespace,
    serviceName: name,
    servicePort: 80,
    percent: 100,
    appendHeaders: { 'Knative-Serving-Namespace': benchNamespace, 'Knative-Serving-Revision': `${name}-${String(revision).padStart(5, '0')}` },
  };
  const path = { splits: [split] };
  return {
    apiVersion: 'networking.internal.knative.dev/v1alpha1',
    kind: 'Ingress',
    metadata: { name, namespace: benchNamespace, annotations: { 'networking.knative.dev/ingress.class': ingressClass }, labels: { 'portico.dev/bench': 'true' } },
    spec: {
      rules: [
        { hosts: [hostOf(index)], visibility: 'ExternalIP', http: { paths: [path] } },
        { hosts: [`${name}.${benchNamespace}`, `${name}.${benchNamespace}.svc`, `${name}.${benchNamespace}.svc.cluster.local`], visibility: 'ClusterLocal', http: { paths: [path] } },
      ],
      httpOption: 'Enabled',
    },
  };
}

export function serviceManifest(index: number, backend: BackendAddress): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(index), namespace: benchNamespace },
    // Headless: the local cluster's Service range holds a few hundred addresses, and a KIngress
    // controller routes to the endpoints, not to the cluster IP.
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: backend.port, protocol: 'TCP' }] },
  };
}

export function endpointSliceManifest(index: number, backend: BackendAddress): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${serviceName(index)}-bench`, namespace: benchNamespace, labels: { 'kubernetes.io/service-name': serviceName(index), 'endpointslice.kubernetes.io/managed-by': 'portico-bench' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
    endpoints: [{ addresses: [backend.address], conditions: { ready: true } }],
  };
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export class BenchClient {
  readonly client: KubeClient;

  constructor(kubeConfig: KubeConfig) {
    this.client = new KubeClient(kubeConfig);
  }

  /** Creates the object; one that exists already is left as it is. */
  async createIfMissing(object: object): Promise<void> {
    try {
      await this.client.create(object);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }

  /** The Service, EndpointSlice and KIngress of indexes [from, to), `concurrency` objects at a time. */
  async createRoutes(from: number, to: number, backend: BackendAddress, concurrency = 24): Promise<void> {
    const indexes = Array.from({ length: Math.max(0, to - from) }, (_, offset) => from + offset);
    await inParallel(indexes, concurrency, async (index) => {
      await this.createIfMissing(serviceManifest(index, backend));
      await this.createIfMissing(endpointSliceManifest(index, backend));
      await this.createIfMissing(ingressManifest(index));
    });
  }
}
