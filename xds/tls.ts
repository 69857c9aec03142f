// The xDS server's TLS credentials: its certificate and the authority its clients' certificates
// must chain to, replaceable at any time. A renewed certificate is used for new handshakes;
// streams already open stay open.
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { KeyPair } from './certificates.ts';

type CaListener = Parameters<experimental.CertificateProvider['addCaCertificateListener']>[0];
type IdentityListener = Parameters<experimental.CertificateProvider['addIdentityCertificateListener']>[0];

export class RotatingServerCredentials implements experimental.CertificateProvider {
  private authority: string;
  private identity: KeyPair;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(authorityCert: string, identity: KeyPair) {
    this.authority = authorityCert;
    this.identity = identity;
  }

  /** Server credentials that require a client certificate from the authority. */
  credentials(): ServerCredentials {
    return experimental.createCertificateProviderServerCredentials(this, this, true);
  }

  /** Replaces the server's certificate (and the authority, if it changed). */
  update(authorityCert: string, identity: KeyPair): void {
    this.authority = authorityCert;
    this.identity = identity;
    for (const listener of this.caListeners) listener({ caCertificate: Buffer.from(authorityCert) });
    for (const listener of this.identityListeners) listener({ certificate: Buffer.from(identity.cert), privateKey: Buffer.from(identity.key) });
  }

  // grpc-js registers its watcher only after adding the listener, so the first update must come later.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    setImmediate(() => {
      listener({ caCertificate: Buffer.from(this.authority) });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    setImmediate(() => {
      listener({ certificate: Buffer.from(this.identity.cert), privateKey: Buffer.from(this.identity.key) });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
