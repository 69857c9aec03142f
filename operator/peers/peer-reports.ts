// The leader's view of the Envoys connected to the other replicas. Followers do not write to
// the API; the leader asks each of them, over HTTP, for their proxies, holding a request open
// until something changes, and folds the answers into the status it writes.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ResourceInformer } from '../runtime/informer.ts';
import { maxWaitSeconds, reportsPath, type ProxyReport, type ReportPage } from './local-reports.ts';

/** Another operator replica, and the base URL of its HTTP server. */
export interface Peer {
  replica: string;
  url: string;
}

const serviceNameLabel = 'kubernetes.io/service-name';

/**
 * The replicas behind a Service: its EndpointSlices' addresses at the port named `http`,
 * named by their target Pod, without `self`.
 */
export function peersOf(slices: readonly V1EndpointSlice[], namespace: string, service: string, self: string): Peer[] {
  const peers = new Map<string, Peer>();
  for (const slice of slices) {
    if (slice.metadata?.namespace !== namespace || slice.metadata.labels?.[serviceNameLabel] !== service) continue;
    const port = slice.ports?.find((candidate) => candidate.name === 'http')?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      const replica = endpoint.targetRef?.name ?? address;
      if (replica === self || peers.has(replica)) continue;
      peers.set(replica, { replica, url: `http://${slice.addressType === 'IPv6' ? `[${address}]` : address}:${port}` });
    }
  }
  return [...peers.values()].sort((a, b) => a.replica.localeCompare(b.replica));
}

/** Every proxy once: an Envoy that moved between replicas may briefly be reported by both; the first list wins. */
export function combineReports(...lists: ProxyReport[][]): ProxyReport[] {
  const seen = new Set<string>();
  return lists.flat().filter((proxy) => {
    const key = `${proxy.installation}/${proxy.nodeId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A page from the network, checked field by field: a peer of another version must not break status. */
export function parsePage(body: unknown): ReportPage {
  if (!isRecord(body) || typeof body.replica !== 'string' || typeof body.revision !== 'string' || !Array.isArray(body.proxies)) {
    throw new Error('not a proxy report: expected {replica, revision, proxies[]}');
  }
  const proxies = body.proxies.flatMap((entry: unknown): ProxyReport[] => {
    if (!isRecord(entry) || typeof entry.installation !== 'string' || typeof entry.nodeId !== 'string') return [];
    const { lastNack } = entry;
    return [{
      installation: entry.installation,
      nodeId: entry.nodeId,
      replica: typeof entry.replica === 'string' ? entry.replica : String(body.replica),
      ...(typeof entry.syncedVersion === 'string' ? { syncedVersion: entry.syncedVersion } : {}),
      ...(typeof entry.routedVersion === 'string' ? { routedVersion: entry.routedVersion } : {}),
      ...(isRecord(lastNack) && typeof lastNack.typeUrl === 'string' && typeof lastNack.version === 'string' && typeof lastNack.message === 'string'
        ? { lastNack: { typeUrl: lastNack.typeUrl, version: lastNack.version, message: lastNack.message } }
        : {}),
    }];
  });
  return { replica: body.replica, revision: body.revision, proxies };
}

/** The installations whose proxies differ between two pages. */
function changedInstallations(before: ProxyReport[], after: ProxyReport[]): Set<string> {
  const byInstallation = (proxies: ProxyReport[]) => {
    const grouped = new Map<string, string[]>();
    for (const proxy of proxies) grouped.set(proxy.installation, [...(grouped.get(proxy.installation) ?? []), JSON.stringify(proxy)]);
    return new Map([...grouped].map(([installation, entries]) => [installation, entries.sort().join('\n')]));
  };
  const old = byInstallation(before);
  const current = byInstallation(after);
  return new Set([...old.keys(), ...current.keys()].filter((installation) => old.get(installation) !== current.get(installation)));
}

export interface PeerReportsOptions {
  /** The peers to ask now; read again on every refresh(). */
  peers: () => Peer[];
  /** Installations whose proxies, as the peers report them, changed. */
  onChange: (installations: Set<string>) => void;
  log: Logger;
  /** How long a peer holds a request when nothing changes. */
  waitSeconds?: number;
  /** How long a peer's last report still counts once it stops answering. */
  staleAfterMs?: number;
  /** The pause between failed requests to a peer. */
  retryMs?: number;
}

interface PeerState {
  peer: Peer;
  page?: ReportPage;
  failingSince?: number;
  readonly stop: AbortController;
}

export class PeerReports {
  private readonly options: Required<PeerReportsOptions>;
  private readonly states = new Map<string, PeerState>();

  constructor(options: PeerReportsOptions) {
    this.options = { waitSeconds: 25, staleAfterMs: 10_000, retryMs: 1_000, ...options, log: options.log.child({ component: 'peer-reports' }) };
  }

  /** Starts asking new peers, and forgets the proxies of peers that are gone. */
  refresh(): void {
    const wanted = new Map(this.options.peers().map((peer) => [peer.replica, peer]));
    for (const [replica, state] of this.states) {
      const peer = wanted.get(replica);
      if (peer?.url !== state.peer.url) this.forget(state);
    }
    for (const peer of wanted.values()) {
      if (this.states.has(peer.replica)) continue;
      const state: PeerState = { peer, stop: new AbortController() };
      this.states.set(peer.replica, state);
      this.options.log.info({ replica: peer.replica, url: peer.url }, 'following the proxies of a peer replica');
      void this.poll(state);
    }
  }

  /** The proxies of an installation that the other replicas serve. */
  proxiesOf(installation: string): ProxyReport[] {
    return [...this.states.values()].flatMap((state) => (state.page?.proxies ?? []).filter((proxy) => proxy.installation === installation));
  }

  stop(): void {
    for (const state of this.states.values()) state.stop.abort();
    this.states.clear();
  }

  private forget(state: PeerState): void {
    state.stop.abort();
    this.states.delete(state.peer.replica);
    this.accept(state, undefined);
  }

  private accept(state: PeerState, page: ReportPage | undefined): void {
    const changed = changedInstallations(state.page?.proxies ?? [], page?.proxies ?? []);
    state.page = page;
    if (changed.size > 0) this.options.onChange(changed);
  }

  private async poll(state: PeerState): Promise<void> {
    const { waitSeconds, staleAfterMs, retryMs, log } = this.options;
    const wait = Math.min(waitSeconds, maxWaitSeconds);
    // A function, not the property: the peer may be dropped while a request is out.
    const stopped = () => state.stop.signal.aborted;
    while (!stopped()) {
      try {
        const after = encodeURIComponent(state.page?.revision ?? '');
        const response = await fetch(`${state.peer.url}${reportsPath}?after=${after}&wait=${wait}`, {
          signal: AbortSignal.any([state.stop.signal, AbortSignal.timeout((wait + 5) * 1000)]),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const page = parsePage(await response.json());
        if (stopped()) return;
        if (state.failingSince !== undefined) log.info({ replica: state.peer.replica }, 'a peer replica answers again');
        state.failingSince = undefined;
        this.accept(state, page);
      } catch (error) {
        if (stopped()) return;
        if (state.failingSince === undefined) {
          state.failingSince = Date.now();
          log.warn({ replica: state.peer.replica, url: state.peer.url, err: error }, 'cannot read the proxies of a peer replica');
        }
        if (state.page && Date.now() - state.failingSince >= staleAfterMs) {
          log.warn({ replica: state.peer.replica }, 'dropping the proxies of a peer replica that stopped answering');
          this.accept(state, undefined);
        }
        await sleep(retryMs, undefined, { signal: state.stop.signal }).catch(() => undefined);
      }
    }
  }
}

/** Peers from the EndpointSlices of `service`, followed as they change. */
export function followPeers(
  endpointSlices: ResourceInformer<V1EndpointSlice>,
  where: { namespace: string; service: string; self: string },
  options: Omit<PeerReportsOptions, 'peers'>,
): PeerReports {
  const reports = new PeerReports({ ...options, peers: () => peersOf(endpointSlices.list(where.namespace), where.namespace, where.service, where.self) });
  endpointSlices.onEvent((_event, slice) => {
    if (slice.metadata?.namespace === where.namespace && slice.metadata.labels?.[serviceNameLabel] === where.service) reports.refresh();
  });
  reports.refresh();
  return reports;
}
