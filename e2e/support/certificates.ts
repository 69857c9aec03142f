// Test certificates from openssl, and the kubernetes.io/tls Secrets that carry them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { runOrThrow } from './processes.ts';

export interface KeyPair {
  cert: string;
  key: string;
}

/** A self-signed P-256 certificate for `names` (host names or IP addresses; the first is the subject's CN), valid a day. */
export async function selfSignedCertificate(names: string[]): Promise<KeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-cert-'));
  try {
    await runOrThrow('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${names[0] ?? 'portico-test'}`, '-addext', `subjectAltName=${names.map((name) => `${isIP(name) ? 'IP' : 'DNS'}:${name}`).join(',')}`,
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')]);
    return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A kubernetes.io/tls Secret holding `pair`, for `kubectl apply`. */
export function tlsSecretManifest(namespace: string, name: string, pair: KeyPair): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { namespace, name },
    data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') },
  };
}
