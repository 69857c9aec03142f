import { kubectlOk } from './cluster.ts';
import type { Backend } from './netns.ts';

/**
 * A selector-less Service and the EndpointSlice that points it at test-host backends: how a
 * test gives a Service the servers it started itself (a Deployment of a known image gives it pods).
 */
export function serviceWithEndpoints(namespace: string, name: string, port: number, backends: Backend[], portName = 'http'): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: portName, port, targetPort: backends[0]?.port ?? port, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-test-hosts`, namespace, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'portico-tests' } },
      addressType: 'IPv4',
      ports: [{ name: portName, port: backends[0]?.port ?? port, protocol: 'TCP' }],
      endpoints: backends.map((backend) => ({ addresses: [backend.address], conditions: { ready: true } })),
    },
  ];
}

/** The whole list as one `kubectl apply -f -` document. */
export function asList(items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

interface EndpointSliceList {
  items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>; ports?: Array<{ port?: number }> }>;
}

/** The ready addresses and ports that a Service's EndpointSlices hold, as the API has them. */
export async function endpointsOfService(namespace: string, service: string): Promise<Array<{ address: string; port: number }>> {
  const slices = JSON.parse(
    await kubectlOk(['get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']),
  ) as EndpointSliceList;
  return slices.items.flatMap((slice) =>
    (slice.endpoints ?? [])
      .filter((endpoint) => endpoint.conditions?.ready !== false)
      .flatMap((endpoint) => endpoint.addresses.map((address) => ({ address, port: slice.ports?.[0]?.port ?? 0 }))),
  );
}
