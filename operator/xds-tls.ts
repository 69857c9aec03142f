// The xDS connection's mutual TLS, on the operator side: the certificate authority, kept in
// the Secret portico-xds-ca in the operator's namespace (created by the leader, read by every
// replica), and this replica's own server certificate, issued from it in memory and renewed
// before it expires, without dropping the streams that are open.
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createAuthority, issue, needsRenewal, type KeyPair } from '../xds/certificates.ts';
import { RotatingServerCredentials } from '../xds/tls.ts';
import { ApiError, type KubeClient } from './kube/client.ts';
import { managedByLabels } from './installation/render.ts';

export const authoritySecret = 'portico-xds-ca';
const authorityDays = 5 * 365;
const serverDays = 30;
const renewBeforeDays = 10;
const checkEveryMs = 60 * 60 * 1000;

function pem(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

export class XdsTls {
  authority: KeyPair | undefined;
  private serverCert: string | undefined;
  private credentials: RotatingServerCredentials | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly serverNames: string[];
  private readonly log: Logger;

  constructor(client: KubeClient, namespace: string, serverNames: string[], log: Logger) {
    this.client = client;
    this.namespace = namespace;
    this.serverNames = serverNames;
    this.log = log.child({ component: 'xds-tls' });
  }

  /**
   * Loads the authority (the leader creates it if there is none; followers wait for it) and
   * returns server credentials from it.
   */
  async start(isLeader: () => boolean): Promise<RotatingServerCredentials> {
    for (;;) {
      const secret = await this.client.get<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: authoritySecret });
      const cert = secret && pem(secret, 'tls.crt');
      const key = secret && pem(secret, 'tls.key');
      if (cert && key) {
        this.authority = { cert, key };
        break;
      }
      if (isLeader()) {
        await this.createAuthority();
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const server = await this.issueServer();
    this.serverCert = server.cert;
    this.credentials = new RotatingServerCredentials(this.authority.cert, server);
    this.timer = setInterval(() => void this.renew(), checkEveryMs);
    this.timer.unref();
    return this.credentials;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async createAuthority(): Promise<void> {
    const authority = await createAuthority('portico-xds-ca', authorityDays);
    try {
      await this.client.create<V1Secret>({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: authoritySecret, namespace: this.namespace, labels: { ...managedByLabels } },
        data: { 'tls.crt': Buffer.from(authority.cert).toString('base64'), 'tls.key': Buffer.from(authority.key).toString('base64') },
      });
      this.log.info({ namespace: this.namespace, secret: authoritySecret }, 'created the xDS certificate authority');
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }

  private issueServer(): Promise<KeyPair> {
    return issue(this.authority!, { commonName: 'portico-xds', dnsNames: this.serverNames, usage: 'server', validDays: serverDays });
  }

  private async renew(): Promise<void> {
    const current = this.credentials;
    if (!current || !this.authority) return;
    if (!needsRenewal(this.serverCert, this.authority, renewBeforeDays)) return;
    try {
      const renewed = await this.issueServer();
      this.serverCert = renewed.cert;
      current.update(this.authority.cert, renewed);
      this.log.info('renewed the xDS server certificate');
    } catch (error) {
      this.log.error({ err: error }, 'could not renew the xDS server certificate');
    }
  }

}
