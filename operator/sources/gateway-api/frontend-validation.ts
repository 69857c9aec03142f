// A Gateway's spec.tls.frontend → how the HTTPS listeners of one port check client certificates:
// the CA certificates of the ConfigMaps it names (key ca.crt, PEM), the per-port setting over the
// default, and the spec's reasons for a reference that resolves to nothing. Pure.
import type { ClientValidationIR } from '../../../xds/ir.ts';
import { caCertificates } from './ca-certificates.ts';
import { referencePermitted, type GatewayLookups } from './lookups.ts';
import { gatewayGroup, type FrontendTLSConfig, type Gateway } from './types.ts';

export interface FrontendProblem {
  reason: 'InvalidCACertificateRef' | 'InvalidCACertificateKind' | 'RefNotPermitted';
  message: string;
}

export interface FrontendValidation {
  /** What Envoy checks; undefined when the port validates nothing (or no CA certificate resolved). */
  validation?: ClientValidationIR;
  /** The first reference that resolved to nothing. */
  problem?: FrontendProblem;
  /** Certificates were asked for and none resolved: the listeners of the port are not accepted. */
  noValidCertificate: boolean;
}

/** The frontend setting that applies to a port: its perPort entry, else the default. */
export function frontendConfig(gateway: Gateway, port: number): { config: FrontendTLSConfig; field: string } | undefined {
  const frontend = gateway.spec.tls?.frontend;
  const index = frontend?.perPort?.findIndex((entry) => entry.port === port) ?? -1;
  if (index >= 0) return { config: frontend!.perPort![index]!.tls, field: `spec.tls.frontend.perPort[${index}].tls` };
  return frontend?.default ? { config: frontend.default, field: 'spec.tls.frontend.default' } : undefined;
}

export function frontendValidation(gateway: Gateway, port: number, lookups: GatewayLookups): FrontendValidation {
  const chosen = frontendConfig(gateway, port);
  const references = chosen?.config.validation?.caCertificateRefs ?? [];
  if (!chosen || !references.length) return { noValidCertificate: false };
  const namespace = gateway.metadata?.namespace ?? '';
  const certificates: string[] = [];
  let problem: FrontendProblem | undefined;
  for (const [index, reference] of references.entries()) {
    const where = `${chosen.field}.validation.caCertificateRefs[${index}]`;
    const group = reference.group ?? '';
    const kind = reference.kind ?? 'ConfigMap';
    if (group !== '' || kind !== 'ConfigMap') {
      problem ??= { reason: 'InvalidCACertificateKind', message: `${where}: ${group}/${kind} cannot hold CA certificates here; allowed: ConfigMap (group "") with key ca.crt` };
      continue;
    }
    const target = reference.namespace ?? namespace;
    if (!referencePermitted(lookups, { from: { group: gatewayGroup, kind: 'Gateway', namespace }, to: { group: '', kind: 'ConfigMap', namespace: target, name: reference.name } })) {
      problem ??= { reason: 'RefNotPermitted', message: `${where} names ConfigMap ${target}/${reference.name} in another namespace, and no ReferenceGrant there permits it` };
      continue;
    }
    const configMap = lookups.configMap(target, reference.name);
    const pem = configMap?.data?.['ca.crt'];
    const parsed = pem === undefined ? undefined : caCertificates(pem);
    if (!parsed) {
      problem ??= { reason: 'InvalidCACertificateRef', message: configMap ? `${where}: ConfigMap ${target}/${reference.name} has no PEM certificate under key ca.crt` : `${where}: ConfigMap ${target}/${reference.name} does not exist` };
      continue;
    }
    certificates.push(parsed);
  }
  const insecure = chosen.config.validation?.mode === 'AllowInsecureFallback';
  return {
    ...(certificates.length ? { validation: { caCertificates: certificates.join(''), ...(insecure ? { allowInsecureFallback: true } : {}) } } : {}),
    ...(problem ? { problem } : {}),
    noValidCertificate: certificates.length === 0,
  };
}

/** Whether any port of the Gateway lets clients without a valid certificate in (its InsecureFrontendValidationMode condition). */
export function insecureFrontend(gateway: Gateway): boolean {
  const frontend = gateway.spec.tls?.frontend;
  return [frontend?.default, ...(frontend?.perPort ?? []).map((entry) => entry.tls)].some((config) => config?.validation?.mode === 'AllowInsecureFallback');
}
