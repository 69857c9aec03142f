import type { Backend } from './netns.ts';

/**
 * A selector-less Service and the EndpointSlice that points it at test-host backends:
 * how tests give a Service real endpoints (kwok's pod IPs are fake).
 */
export function serviceWithEndpoints(namespace: string, name: string, port: number, backends: Backend[]): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: 'http', port, targetPort: backends[0]?.port ?? port, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-test-hosts`, namespace, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'portico-tests' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backends[0]?.port ?? port, protocol: 'TCP' }],
      endpoints: backends.map((backend) => ({ addresses: [backend.address], conditions: { ready: true } })),
    },
  ];
}

/** The whole list as one `kubectl apply -f -` document. */
export function asList(items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
