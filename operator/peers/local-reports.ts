// What this replica's xDS server knows of the Envoys connected to it, published for the
// leader: every replica serves Envoys, only the leader writes their state into status.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyState } from '../../xds/server.ts';

/** One connected Envoy as a replica reports it. */
export interface ProxyReport {
  installation: string;
  nodeId: string;
  /** The replica the Envoy is connected to. */
  replica: string;
  syncedVersion?: string;
  routedVersion?: string;
  lastNack?: { typeUrl: string; version: string; message: string };
}

/** A replica's whole report. `revision` changes whenever any proxy does. */
export interface ReportPage {
  replica: string;
  revision: string;
  proxies: ProxyReport[];
}

export function toReport(proxy: ProxyState, replica: string): ProxyReport {
  const { installation, nodeId, syncedVersion, routedVersion, lastNack } = proxy;
  return {
    installation,
    nodeId,
    replica,
    ...(syncedVersion === undefined ? {} : { syncedVersion }),
    ...(routedVersion === undefined ? {} : { routedVersion }),
    ...(lastNack ? { lastNack: { typeUrl: lastNack.typeUrl, version: lastNack.version, message: lastNack.message } } : {}),
  };
}

/**
 * This replica's proxies with a revision a reader can wait on (long polling), so that the
 * leader learns of a change as it happens instead of on its next poll.
 */
export class LocalProxyReports {
  readonly replica: string;
  private readonly source: () => ProxyState[];
  // A restarted replica must not be mistaken for its former self at the same count.
  private readonly epoch = randomBytes(4).toString('hex');
  private count = 0;
  private readonly waiters = new Set<() => void>();

  constructor(replica: string, source: () => ProxyState[]) {
    this.replica = replica;
    this.source = source;
  }

  get revision(): string {
    return `${this.epoch}-${this.count}`;
  }

  /** Called whenever a proxy connects, disconnects, accepts or rejects a push. */
  changed(): void {
    this.count += 1;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  page(): ReportPage {
    return { replica: this.replica, revision: this.revision, proxies: this.source().map((proxy) => toReport(proxy, this.replica)) };
  }

  /** The page, as soon as its revision differs from `after`, or after `timeoutMs` whatever it is. */
  async pageAfter(after: string | undefined, timeoutMs: number, aborted?: AbortSignal): Promise<ReportPage> {
    if (after !== this.revision || timeoutMs <= 0) return this.page();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        aborted?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      aborted?.addEventListener('abort', done);
    });
    return this.page();
  }

  /** Wakes every waiting reader, e.g. before the server shuts down. */
  releaseAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/** Where a replica serves its page: GET /xds/proxies?after=<revision>&wait=<seconds>. */
export const reportsPath = '/xds/proxies';
/** The longest a request may hold its answer back, in seconds. */
export const maxWaitSeconds = 30;

/** The handler of reportsPath: answers at once if the revision moved past `after`, else when it does or `wait` runs out. */
export function reportsEndpoint(reports: LocalProxyReports): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const query = new URL(request.url ?? '/', 'http://replica').searchParams;
    const wait = Number(query.get('wait') ?? '0');
    const waitMs = Number.isFinite(wait) ? Math.min(Math.max(wait, 0), maxWaitSeconds) * 1000 : 0;
    const gone = new AbortController();
    response.once('close', () => { gone.abort(); });
    void reports.pageAfter(query.get('after') ?? undefined, waitMs, gone.signal).then((page) => {
      if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    });
  };
}
