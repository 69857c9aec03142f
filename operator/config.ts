import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';

export interface OperatorConfig {
  /** Address of the /healthz, /readyz and /metrics server. */
  httpHost: string;
  httpPort: number;
  logLevel: LevelWithSilent;
  /** How often every key is reconciled again, whatever happened. */
  resyncPeriodMs: number;
  /** Where gateways' Envoys reach the xDS server: the portico-xds Service. */
  xds: { host: string; port: number; protocol: 'delta' | 'sotw' };
  /** Where this process serves xDS (host:port; port 0 picks one). */
  xdsListen: string;
  /** The port of Envoy's admin interface (on 127.0.0.1) in gateway pods. */
  envoyAdminPort: number;
  /** The operator's namespace: the xDS certificate authority's Secret lives there. */
  namespace: string;
  /** Mutual TLS on xDS: the directory gateway pods mount their client certificate at; undefined when off. */
  xdsTlsDirectory?: string;
  /**
   * The Service in the operator's namespace whose EndpointSlices list every replica, at a
   * port named `http`: the leader asks them for the Envoys they serve.
   */
  peersService: string;
  /** The cluster's DNS domain: KIngress short host names, and the load balancer names in their status. */
  clusterDomain: string;
  /** Leader election on a Lease; undefined when switched off (a single replica). */
  leaderElection?: { namespace: string; name: string; identity: string };
}

const levels: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {}

/** Reads the operator's settings from its flags, falling back to PORTICO_* variables, then defaults. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      'http-host': { type: 'string' },
      'http-port': { type: 'string' },
      'log-level': { type: 'string' },
      'resync-period': { type: 'string' },
      'xds-address': { type: 'string' },
      'xds-listen': { type: 'string' },
      'xds-protocol': { type: 'string' },
      'envoy-admin-port': { type: 'string' },
      namespace: { type: 'string' },
      'xds-tls': { type: 'string' },
      'envoy-xds-tls-dir': { type: 'string' },
      'leader-election': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'peers-service': { type: 'string' },
      'cluster-domain': { type: 'string' },
    },
    strict: true,
  });
  const httpPort = integer('--http-port', values['http-port'] ?? env.PORTICO_HTTP_PORT ?? '8080', 0, 65535);
  const resyncSeconds = integer('--resync-period', values['resync-period'] ?? env.PORTICO_RESYNC_PERIOD ?? '300', 1, 86_400);
  const logLevel = values['log-level'] ?? env.PORTICO_LOG_LEVEL ?? 'info';
  if (!levels.includes(logLevel as LevelWithSilent)) {
    throw new ConfigError(`--log-level: "${logLevel}" is not one of ${levels.join(', ')}`);
  }
  const namespace = values.namespace ?? env.POD_NAMESPACE ?? 'portico-system';
  const clusterDomain = values['cluster-domain'] ?? env.PORTICO_CLUSTER_DOMAIN ?? 'cluster.local';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(clusterDomain)) throw new ConfigError(`--cluster-domain: "${clusterDomain}" is not a DNS domain`);
  // The portico-xds Service of the operator's own namespace, wherever it is installed (OLM picks the namespace).
  const xdsAddress = values['xds-address'] ?? env.PORTICO_XDS_ADDRESS ?? `portico-xds.${namespace}.svc.${clusterDomain}:18000`;
  const xdsMatch = /^([A-Za-z0-9.-]+):(\d+)$/.exec(xdsAddress);
  if (!xdsMatch) throw new ConfigError(`--xds-address: "${xdsAddress}" is not host:port`);
  const tlsFlag = values['xds-tls'] ?? env.PORTICO_XDS_TLS ?? 'true';
  if (tlsFlag !== 'true' && tlsFlag !== 'false') throw new ConfigError(`--xds-tls: "${tlsFlag}" is not true or false`);
  const electionFlag = values['leader-election'] ?? env.PORTICO_LEADER_ELECTION ?? 'true';
  if (electionFlag !== 'true' && electionFlag !== 'false') throw new ConfigError(`--leader-election: "${electionFlag}" is not true or false`);
  const leaderElection =
    electionFlag === 'true'
      ? {
          // In a pod, POD_NAMESPACE and POD_NAME come from the downward API.
          namespace: values['leader-election-namespace'] ?? env.PORTICO_LEADER_ELECTION_NAMESPACE ?? namespace,
          name: 'portico-leader',
          identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
        }
      : undefined;
  const xdsProtocol = values['xds-protocol'] ?? env.PORTICO_XDS_PROTOCOL ?? 'delta';
  if (xdsProtocol !== 'delta' && xdsProtocol !== 'sotw') throw new ConfigError(`--xds-protocol: "${xdsProtocol}" is not delta or sotw`);
  const xdsListen = values['xds-listen'] ?? env.PORTICO_XDS_LISTEN ?? '0.0.0.0:18000';
  if (!/^[^\s]+:\d+$/.test(xdsListen)) throw new ConfigError(`--xds-listen: "${xdsListen}" is not host:port`);
  const peersService = values['peers-service'] ?? env.PORTICO_PEERS_SERVICE ?? 'portico-xds';
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(peersService)) throw new ConfigError(`--peers-service: "${peersService}" is not a Service name (a DNS-1035 label)`);
  return {
    leaderElection,
    peersService,
    clusterDomain,
    namespace,
    xdsTlsDirectory: tlsFlag === 'true' ? (values['envoy-xds-tls-dir'] ?? env.PORTICO_ENVOY_XDS_TLS_DIR ?? '/etc/envoy/xds-tls') : undefined,
    xdsListen,
    envoyAdminPort: integer('--envoy-admin-port', values['envoy-admin-port'] ?? env.PORTICO_ENVOY_ADMIN_PORT ?? '9901', 1, 65535),
    xds: { host: xdsMatch[1]!, port: integer('--xds-address port', xdsMatch[2]!, 1, 65535), protocol: xdsProtocol },
    httpHost: values['http-host'] ?? env.PORTICO_HTTP_HOST ?? '0.0.0.0',
    httpPort,
    logLevel: logLevel as LevelWithSilent,
    resyncPeriodMs: resyncSeconds * 1000,
  };
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${flag}: "${text}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}
