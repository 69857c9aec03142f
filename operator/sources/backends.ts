// A route's backend (a Service port, by number or name) → an Envoy cluster, for every source:
// the Service port it names, HTTP/2 when the port says so, and the ready addresses of the
// Service's EndpointSlices (delivered by EDS). ExternalName Services become DNS clusters. The
// cluster's name (namespace/service/port/protocol) is shared by every route to that port. Pure.
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { ClusterIR, EndpointIR } from '../../xds/ir.ts';
import type { Lookups } from './lookups.ts';

export const connectTimeoutSeconds = 5;

export type BackendLookups = Pick<Lookups, 'service' | 'endpointSlices'>;

/** A Service port a route sends to. */
export interface BackendRef {
  namespace: string;
  name: string;
  port: number | string;
}

export type BackendResult = { cluster: ClusterIR } | { problem: string };

/** How to speak to the backend when the route says so (ingress-nginx's backend-protocol, proxy-connect-timeout). */
export interface UpstreamOptions {
  /** TLS to the backend, not verified (as ingress-nginx's proxy_ssl_verify off); SNI is the Service's cluster name. */
  tls?: boolean;
  /** HTTP/2 whatever the port says (gRPC). */
  http2?: boolean;
  connectTimeoutSeconds?: number;
}

/** The cluster's name: every route that speaks to the port the same way shares it. */
function clusterName(namespace: string, name: string, port: number | string, http2: boolean, upstream: UpstreamOptions): string {
  const protocol = upstream.tls ? (http2 ? 'h2' : 'https') : http2 ? 'h2c' : 'http1';
  const timeout = upstream.connectTimeoutSeconds === undefined || upstream.connectTimeoutSeconds === connectTimeoutSeconds ? '' : `/connect-${upstream.connectTimeoutSeconds}s`;
  return `${namespace}/${name}/${port}/${protocol}${timeout}`;
}

/** Knative and Kourier's signals that a port speaks HTTP/2 in clear text. */
function speaksH2c(port: V1ServicePort): boolean {
  return port.name === 'http2' || port.name === 'h2c' || port.appProtocol === 'kubernetes.io/h2c';
}

/** The cluster's connect timeout, HTTP/2 and TLS. */
function speaking(http2: boolean, upstream: UpstreamOptions, serverName: string): Pick<ClusterIR, 'connectTimeoutSeconds' | 'http2' | 'tls'> {
  return { connectTimeoutSeconds: upstream.connectTimeoutSeconds ?? connectTimeoutSeconds, ...(http2 ? { http2 } : {}), ...(upstream.tls ? { tls: { serverName } } : {}) };
}

function servicePortOf(service: V1Service, wanted: number | string): V1ServicePort | undefined {
  return (service.spec?.ports ?? []).find((port) => (typeof wanted === 'number' ? port.port === wanted : port.name === wanted));
}

/** Ready addresses of the slices at the port named like the Service port, sorted for a stable hash. */
function readyEndpoints(slices: readonly V1EndpointSlice[], portName: string): EndpointIR[] {
  const endpoints = new Map<string, EndpointIR>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = slice.ports?.find((candidate) => (candidate.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // An unset `ready` counts as ready, as the API says.
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) endpoints.set(`${address}:${port}`, { address, port });
    }
  }
  return [...endpoints.values()].sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
}

export function backendCluster(backend: BackendRef, http2Allowed: boolean, lookups: BackendLookups, upstream: UpstreamOptions = {}): BackendResult {
  const { namespace, name, port: servicePort } = backend;
  const service = lookups.service(namespace, name);
  if (!service) {
    // Knative creates the Service with the KIngress, and a Deployment often comes after its
    // Ingress: until the Service exists the route answers 503.
    return { cluster: { name: clusterName(namespace, name, servicePort, upstream.http2 === true, upstream), ...speaking(upstream.http2 === true, upstream, `${name}.${namespace}.svc`), endpoints: [] } };
  }
  if (service.spec?.type === 'ExternalName') {
    const hostname = service.spec.externalName ?? '';
    const declared = servicePortOf(service, servicePort);
    const port = typeof servicePort === 'number' ? servicePort : declared?.port;
    if (!hostname || port === undefined) return { problem: `Service ${namespace}/${name} is ExternalName but has no externalName or no port ${JSON.stringify(servicePort)}` };
    // An undeclared port is taken as given, so it must be one.
    if (port < 1 || port > 65_535) return { problem: `Service ${namespace}/${name} is ExternalName and ${port} is not a port number (1 to 65535)` };
    const http2 = upstream.http2 === true || (http2Allowed && declared !== undefined && speaksH2c(declared));
    return { cluster: { name: clusterName(namespace, name, port, http2, upstream), ...speaking(http2, upstream, hostname), endpoints: [], dns: { hostname, port } } };
  }
  const port = servicePortOf(service, servicePort);
  if (!port) {
    const known = (service.spec?.ports ?? []).map((candidate) => (candidate.name ? `${candidate.name} (${candidate.port})` : String(candidate.port)));
    return { problem: `Service ${namespace}/${name} has no port ${JSON.stringify(servicePort)}; it has ${known.join(', ') || 'no ports'}` };
  }
  const http2 = upstream.http2 === true || (http2Allowed && speaksH2c(port));
  return {
    cluster: {
      name: clusterName(namespace, name, port.port, http2, upstream),
      ...speaking(http2, upstream, `${name}.${namespace}.svc`),
      endpoints: readyEndpoints(lookups.endpointSlices(namespace, name), port.name ?? ''),
    },
  };
}
