// A kubernetes.io/tls Secret → the certificate Envoy gets over SDS, checked as Envoy would
// check it, so that a bad Secret is refused here with a reason instead of NACKed by Envoy.
import type { V1Secret } from '@kubernetes/client-node';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { SecretIR } from '../../xds/ir.ts';

/** The SDS name of a Secret's certificate. */
export function secretName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Why a Secret cannot be used, named as status reasons name it. */
export interface SecretProblem {
  reason: 'SecretNotFound' | 'InvalidSecret';
  message: string;
}

export function tlsSecret(secret: V1Secret | undefined, namespace: string, name: string): { secret: SecretIR } | { problem: SecretProblem } {
  if (!secret) return { problem: { reason: 'SecretNotFound', message: `Secret ${namespace}/${name} does not exist (or is not of type kubernetes.io/tls)` } };
  const certificateChain = Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString();
  const privateKey = Buffer.from(secret.data?.['tls.key'] ?? '', 'base64').toString();
  try {
    const certificate = new X509Certificate(certificateChain);
    const key = createPrivateKey(privateKey);
    if (!certificate.checkPrivateKey(key)) return { problem: { reason: 'InvalidSecret', message: `Secret ${namespace}/${name}: tls.key is not the key of the certificate in tls.crt` } };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { problem: { reason: 'InvalidSecret', message: `Secret ${namespace}/${name}: tls.crt and tls.key must hold a PEM certificate and its key (${detail})` } };
  }
  return { secret: { name: secretName(namespace, name), certificateChain, privateKey } };
}
