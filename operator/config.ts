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
  xds: { host: string; port: number };
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
    },
    strict: true,
  });
  const httpPort = integer('--http-port', values['http-port'] ?? env.PORTICO_HTTP_PORT ?? '8080', 0, 65535);
  const resyncSeconds = integer('--resync-period', values['resync-period'] ?? env.PORTICO_RESYNC_PERIOD ?? '300', 1, 86_400);
  const logLevel = values['log-level'] ?? env.PORTICO_LOG_LEVEL ?? 'info';
  if (!levels.includes(logLevel as LevelWithSilent)) {
    throw new ConfigError(`--log-level: "${logLevel}" is not one of ${levels.join(', ')}`);
  }
  const xdsAddress = values['xds-address'] ?? env.PORTICO_XDS_ADDRESS ?? 'portico-xds.portico-system.svc.cluster.local:18000';
  const xdsMatch = /^([A-Za-z0-9.-]+):(\d+)$/.exec(xdsAddress);
  if (!xdsMatch) throw new ConfigError(`--xds-address: "${xdsAddress}" is not host:port`);
  return {
    xds: { host: xdsMatch[1]!, port: integer('--xds-address port', xdsMatch[2]!, 1, 65535) },
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
