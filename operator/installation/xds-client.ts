// A fleet's client certificate for mutual TLS to the xDS server: the one in its Secret while it
// is good, a new one (30 days, replaced 10 days before it expires) otherwise. Its URI SAN names
// the fleet, and the server serves the fleet's configuration only to that name.
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { fleetIdentity, issue, needsRenewal, type KeyPair } from '../../xds/certificates.ts';
import type { XdsClientCredentials } from './render.ts';

const clientCertificateDays = 30;
const clientRenewBeforeDays = 10;

export async function fleetClientCredentials(secret: V1Secret | undefined, authority: KeyPair, fleet: string, log: Logger): Promise<XdsClientCredentials> {
  const read = (key: string) => (secret?.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key], 'base64').toString());
  const [cert, key, ca] = [read('tls.crt'), read('tls.key'), read('ca.crt')];
  if (cert && key && ca === authority.cert && !needsRenewal(cert, authority, clientRenewBeforeDays)) return { cert, key, ca };
  // A common name is at most 64 characters; the fleet's name is in the URI SAN whole.
  const issued = await issue(authority, { commonName: fleet.slice(-64), uris: [fleetIdentity(fleet)], usage: 'client', validDays: clientCertificateDays });
  log.info({ fleet }, 'issued an xDS client certificate');
  return { ...issued, ca: authority.cert };
}
