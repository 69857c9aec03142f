// Certificates for the xDS connection's mutual TLS: a certificate authority, a server
// certificate for the portico-xds Service names, and one client certificate per
// installation, whose URI SAN names the installation the server may serve it.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto);

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** The URI SAN of an installation's client certificate. */
export function installationIdentity(installation: string): string {
  return `spiffe://portico.dev/installation/${installation}`;
}

/** The URI SAN of a fleet's client certificate: an installation's, or a Gateway's (fleet key gateway/<ns>/<name>). */
export function fleetIdentity(fleet: string): string {
  return fleet.startsWith('gateway/') ? `spiffe://portico.dev/${fleet}` : installationIdentity(fleet);
}

async function exportKey(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), algorithm, true, ['sign']);
}

/** A new self-signed certificate authority. */
export async function createAuthority(commonName: string, validDays: number, now = new Date()): Promise<KeyPair> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validDays * dayMs),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

export interface LeafRequest {
  commonName: string;
  dnsNames?: string[];
  uris?: string[];
  usage: 'server' | 'client';
  validDays: number;
}

/** A certificate signed by `authority`. */
export async function issue(authority: KeyPair, request: LeafRequest, now = new Date()): Promise<KeyPair> {
  const issuer = new x509.X509Certificate(authority.cert);
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']));
  const names = [...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(request.uris ?? []).map((value) => ({ type: 'url' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${request.commonName}`,
    issuer: issuer.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + request.validDays * dayMs),
    publicKey: keys.publicKey,
    signingKey: await importKey(authority.key),
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([request.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Whether a certificate should be replaced: it expires within `renewBeforeDays` or is not signed by `authority`. */
export function needsRenewal(cert: string | undefined, authority: KeyPair, renewBeforeDays: number, now = new Date()): boolean {
  if (!cert) return true;
  try {
    const parsed = new X509Certificate(cert);
    const signedByAuthority = parsed.checkIssued(new X509Certificate(authority.cert)) && parsed.verify(new X509Certificate(authority.cert).publicKey);
    return !signedByAuthority || new Date(parsed.validTo).getTime() - now.getTime() < renewBeforeDays * dayMs;
  } catch {
    return true;
  }
}
