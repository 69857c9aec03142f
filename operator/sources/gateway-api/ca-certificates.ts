// The CA certificates of a ca.crt (PEM), checked as Envoy will read them: a ConfigMap or Secret
// that holds something else is told as an invalid reference instead of being rejected by Envoy.
import { X509Certificate } from 'node:crypto';

/** The PEM certificates of a ca.crt, each parsed; undefined when there is none or one is not a certificate. */
export function caCertificates(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) return undefined;
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch {
    return undefined;
  }
  return `${blocks.join('\n')}\n`;
}
