// The part of an installation's IR that comes from the installation itself: its HTTP
// listeners (Kourier's names and ports) with the installation's network settings, each with
// an empty route configuration, so that Envoy answers 404 until routes exist. The Knative,
// Ingress and Gateway API translators add virtual hosts and clusters to it.
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { durationSeconds } from '../api/duration.ts';
import type { ClusterIR, ExternalAuthorizationIR, GatewayIR, HttpOptionsIR, ListenerIR, TlsParamsIR } from '../../xds/ir.ts';

export const externalRoutes = 'external_services';
export const internalRoutes = 'internal_services';
/** What the external HTTPS listeners serve: the external routes without the https redirect. */
export const externalTlsRoutes = 'external_tls_services';

/** One listener name per port, with the address's position appended when there are several addresses. */
function listenerName(port: number, addressCount: number, index: number): string {
  return addressCount === 1 ? `listener_${port}` : `listener_${port}_${index}`;
}

/** Kourier's name for the authorization service's cluster. */
export const externalAuthorizationCluster = 'extAuthz';

/** The authorization filter's settings, from spec.externalAuthorization. */
function externalAuthorization(installation: GatewayInstallation): ExternalAuthorizationIR | undefined {
  const authz = installation.spec.externalAuthorization;
  if (!authz) return undefined;
  return {
    cluster: externalAuthorizationCluster,
    protocol: authz.protocol === 'grpc' ? 'grpc' : 'http',
    // As Kourier does: the service may tell Kourier's checks from others by this.
    ...(authz.protocol === 'grpc' ? { metadata: { client: 'kourier' } } : { uri: `${authz.protocol}://${authz.host}` }),
    ...(authz.pathPrefix ? { pathPrefix: authz.pathPrefix } : {}),
    failureModeAllow: authz.failureModeAllow,
    timeoutSeconds: durationSeconds(authz.timeout),
    maxRequestBytes: authz.maxRequestBytes,
    packAsBytes: authz.packAsBytes,
    ...(authz.allowedHeaders?.length ? { allowedHeaders: authz.allowedHeaders } : {}),
  };
}

/** The authorization service as a cluster: resolved by DNS, HTTP/2 for gRPC, TLS for https. */
function externalAuthorizationClusters(installation: GatewayInstallation): ClusterIR[] {
  const authz = installation.spec.externalAuthorization;
  if (!authz) return [];
  const colon = authz.host.lastIndexOf(':');
  const hostname = authz.host.slice(0, colon);
  return [{
    name: externalAuthorizationCluster,
    connectTimeoutSeconds: 5,
    ...(authz.protocol === 'grpc' ? { http2: true } : {}),
    endpoints: [],
    dns: { hostname, port: Number(authz.host.slice(colon + 1)) },
    ...(authz.protocol === 'https' ? { tls: { serverName: hostname } } : {}),
  }];
}

/** The HTTP connection manager settings every listener of the installation shares. */
export function httpOptions(installation: GatewayInstallation): HttpOptionsIR {
  const { timeouts, network, accessLog, proxyProtocol } = installation.spec;
  return {
    streamIdleTimeoutSeconds: durationSeconds(timeouts.streamIdle),
    idleTimeoutSeconds: durationSeconds(timeouts.idle),
    ...(network.trustedHops ? { trustedHops: network.trustedHops } : {}),
    // Behind a PROXY protocol load balancer the connection's address is the client's (Kourier forces this too).
    ...(network.useRemoteAddress || proxyProtocol.enabled ? { useRemoteAddress: true } : {}),
    ...(network.disableServerHeader ? { serverHeaderPassThrough: true } : {}),
    ...(accessLog.enabled ? { accessLog: accessLog.format ? { format: accessLog.format } : {} } : {}),
    ...(installation.spec.externalAuthorization ? { externalAuthorization: externalAuthorization(installation) } : {}),
  };
}

export function installationIR(installation: GatewayInstallation): GatewayIR {
  const { addresses, ports } = installation.spec.listeners;
  const http = httpOptions(installation);
  const plain: Array<[number, string, boolean]> = [
    [ports.externalHTTP, externalRoutes, true],
    [ports.internalHTTP, internalRoutes, false],
    [ports.probeHTTP, externalRoutes, false],
  ];
  const listeners: ListenerIR[] = addresses.flatMap((address, index) =>
    plain.map(([port, routeConfigName, external]) => {
      // One address keeps Kourier's names; more get the address's position appended.
      const name = listenerName(port, addresses.length, index);
      // Only what the load balancer forwards carries a PROXY protocol header.
      const proxyProtocol = external && installation.spec.proxyProtocol.enabled ? { proxyProtocol: true } : {};
      return { name, address, port, routeConfigName, statPrefix: name, http, ...proxyProtocol };
    }),
  );
  return {
    listeners,
    routeConfigs: [
      { name: externalRoutes, virtualHosts: [] },
      { name: internalRoutes, virtualHosts: [] },
      { name: externalTlsRoutes, virtualHosts: [] },
    ],
    clusters: externalAuthorizationClusters(installation),
  };
}

/**
 * The installation's HTTPS listeners (Kourier's 8443 external and 8444 internal) before they have
 * chains, each with the route table whose hosts' certificates it serves.
 */
export interface SecureListenerSlot {
  listener: ListenerIR;
  params: TlsParamsIR;
  /** The route table whose hosts' TLS chains the listener serves. */
  table: string;
}

export function secureListenerSlots(installation: GatewayInstallation): SecureListenerSlot[] {
  const { addresses, ports } = installation.spec.listeners;
  const { cipherSuites, minimumVersion, maximumVersion } = installation.spec.tls;
  const params = { ...(cipherSuites?.length ? { cipherSuites } : {}), minimumVersion, maximumVersion };
  const http = httpOptions(installation);
  const secure: Array<[number, string, boolean]> = [
    [ports.externalHTTPS, externalTlsRoutes, true],
    [ports.internalHTTPS, internalRoutes, false],
  ];
  return addresses.flatMap((address, index) =>
    secure.map(([port, routeConfigName, external]) => {
      const name = listenerName(port, addresses.length, index);
      const proxyProtocol = external && installation.spec.proxyProtocol.enabled ? { proxyProtocol: true } : {};
      return { listener: { name, address, port, routeConfigName, statPrefix: name, http, ...proxyProtocol }, params, table: routeConfigName };
    }),
  );
}
