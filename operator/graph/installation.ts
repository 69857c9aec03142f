// The installation's own part of its graph, built before any source's (Contour's listener
// processor): its plain listeners and their route tables, the secure listeners that exist once
// some TLS chain needs them, the default certificate that answers every name no object's
// certificate claims, and the authorization service's cluster with its CA.
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { externalAuthorizationCluster, externalRoutes, externalTlsRoutes, installationIR, internalRoutes, secureListenerSlots, type SecureListenerSlot } from '../installation/gateway-ir.ts';
import { recording, type Lookups } from '../sources/lookups.ts';
import { tlsSecret } from '../sources/tls-secret.ts';
import type { ClusterIR, ListenerIR, SecretIR, TlsChainIR } from '../../xds/ir.ts';

/**
 * The route tables of the installation's own listeners, which the sources that share its fleet
 * (Knative, Ingress) put their hosts on. The names are Kourier's RouteConfigurations.
 */
export const installationTables = {
  /** Plain HTTP from outside: ExternalIP hosts, redirected to https where an object asks. */
  external: externalRoutes,
  /** Plain HTTP and the internal HTTPS listener, from inside the cluster: every host. */
  internal: internalRoutes,
  /** The external HTTPS listener: ExternalIP hosts, never redirected. */
  externalTls: externalTlsRoutes,
} as const;

/** A TLS listener that exists once it has a chain: the chains of the hosts on `table`, and the fallback chains. */
export type { SecureListenerSlot };

export interface InstallationPart {
  listeners: ListenerIR[];
  /** The route tables, in the order Envoy gets them; each is served even when empty (404). */
  tables: string[];
  secureListeners: SecureListenerSlot[];
  /** Chains after every object's, by table: the default certificate answers any other name. */
  fallbackChains: Map<string, TlsChainIR[]>;
  clusters: ClusterIR[];
  secrets: SecretIR[];
  reads: ReadonlySet<string>;
}

export function installationPart(installation: GatewayInstallation, clusterLookups: Lookups): InstallationPart {
  const { lookups, reads } = recording(clusterLookups);
  const base = installationIR(installation);
  const secrets: SecretIR[] = [];
  const fallbackChains = new Map<string, TlsChainIR[]>();
  const reference = installation.spec.tls.secretRef;
  if (reference) {
    const result = tlsSecret(lookups.secret(reference.namespace, reference.name), reference.namespace, reference.name);
    // A missing or bad default certificate is the installation's status to report; its routes serve on.
    if ('secret' in result) {
      secrets.push(result.secret);
      fallbackChains.set(installationTables.externalTls, [{ serverNames: [], secret: result.secret.name }]);
    }
  }
  // An https authorization service is verified with the installation's upstream authority.
  const authority = installation.spec.tls.upstreamCASecretRef;
  const ca = authority && installation.spec.externalAuthorization?.protocol === 'https' ? lookups.secret(authority.namespace, authority.name)?.data?.['ca.crt'] : undefined;
  const clusters = ca
    ? base.clusters.map((cluster) => (cluster.name === externalAuthorizationCluster && cluster.tls ? { ...cluster, tls: { ...cluster.tls, ca: Buffer.from(ca, 'base64').toString() } } : cluster))
    : base.clusters;
  return {
    listeners: base.listeners,
    tables: base.routeConfigs.map((config) => config.name),
    secureListeners: secureListenerSlots(installation),
    fallbackChains,
    clusters,
    secrets,
    reads,
  };
}
