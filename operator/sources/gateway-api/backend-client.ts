// A Gateway's spec.tls.backend.clientCertificateRef → the certificate its Envoys show backends
// that ask for one (those it speaks TLS to under a BackendTLSPolicy), and the Gateway's
// ResolvedRefs condition: InvalidClientCertificateRef or RefNotPermitted when it cannot be had.
// Pure.
import type { SecretIR } from '../../../xds/ir.ts';
import { tlsSecret } from '../tls-secret.ts';
import { referencePermitted, type GatewayLookups } from './lookups.ts';
import { gatewayGroup, type Gateway } from './types.ts';

export interface BackendClientCertificate {
  secret?: SecretIR;
  condition: { type: 'ResolvedRefs'; status: 'True' | 'False'; reason: string; message: string };
}

const field = 'spec.tls.backend.clientCertificateRef';

/** Undefined when the Gateway names no client certificate. */
export function backendClientCertificate(gateway: Gateway, lookups: GatewayLookups): BackendClientCertificate | undefined {
  const reference = gateway.spec.tls?.backend?.clientCertificateRef;
  if (!reference) return undefined;
  const refused = (reason: string, message: string): BackendClientCertificate => ({ condition: { type: 'ResolvedRefs', status: 'False', reason, message } });
  const group = reference.group ?? '';
  const kind = reference.kind ?? 'Secret';
  if (group !== '' || kind !== 'Secret') return refused('InvalidClientCertificateRef', `${field}: ${group}/${kind} cannot hold a client certificate; allowed: Secret (group "") of type kubernetes.io/tls`);
  const namespace = gateway.metadata?.namespace ?? '';
  const target = reference.namespace ?? namespace;
  if (!referencePermitted(lookups, { from: { group: gatewayGroup, kind: 'Gateway', namespace }, to: { group: '', kind: 'Secret', namespace: target, name: reference.name } })) {
    return refused('RefNotPermitted', `${field} names Secret ${target}/${reference.name} in another namespace, and no ReferenceGrant there permits it`);
  }
  const result = tlsSecret(lookups.secret(target, reference.name), target, reference.name);
  if ('problem' in result) return refused('InvalidClientCertificateRef', `${field}: ${result.problem.message}`);
  return { secret: result.secret, condition: { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Every reference resolved.' } };
}
