import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createAuthority, installationIdentity, issue, needsRenewal } from './certificates.ts';

describe('xDS certificates', () => {
  it('issues server and client certificates that the authority verifies, with the names asked for', async () => {
    const authority = await createAuthority('portico-xds-ca', 365);
    const ca = new X509Certificate(authority.cert);
    expect(ca.ca).to.equal(true);
    const server = await issue(authority, { commonName: 'portico-xds', dnsNames: ['portico-xds.portico-system.svc'], usage: 'server', validDays: 90 });
    const client = await issue(authority, { commonName: 'kourier', uris: [installationIdentity('kourier')], usage: 'client', validDays: 90 });
    for (const pair of [server, client]) {
      const cert = new X509Certificate(pair.cert);
      expect(cert.checkIssued(ca)).to.equal(true);
      expect(cert.verify(ca.publicKey)).to.equal(true);
      expect(cert.checkPrivateKey(createPrivateKey(pair.key))).to.equal(true);
      expect(cert.ca).to.equal(false);
    }
    expect(new X509Certificate(server.cert).subjectAltName).to.equal('DNS:portico-xds.portico-system.svc');
    expect(new X509Certificate(client.cert).subjectAltName).to.equal('URI:spiffe://portico.dev/installation/kourier');
    expect(new X509Certificate(client.cert).keyUsage).to.include('1.3.6.1.5.5.7.3.2');
  });

  it('says when a certificate needs renewing: missing, near expiry, or from another authority', async () => {
    const authority = await createAuthority('a', 365);
    const other = await createAuthority('b', 365);
    const now = new Date();
    const fresh = await issue(authority, { commonName: 'x', usage: 'client', validDays: 90 }, now);
    expect(needsRenewal(fresh.cert, authority, 30, now)).to.equal(false);
    expect(needsRenewal(fresh.cert, authority, 30, new Date(now.getTime() + 70 * 86_400_000))).to.equal(true);
    expect(needsRenewal(fresh.cert, other, 30, now)).to.equal(true);
    expect(needsRenewal(undefined, authority, 30, now)).to.equal(true);
  });
});
