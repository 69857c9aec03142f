// What the state-of-the-world and incremental ADS streams share: where responses go, who
// hears Envoy's answers, and the report that Envoy holds a whole snapshot.
import type { Snapshot } from './cache.ts';
import { typeUrls, type TypeUrl } from './protos.ts';

/** How many of the latest snapshots a stream compares Envoy's routes with. */
const recentSnapshots = 32;

/** Push order: what a resource refers to goes before it. */
export const pushOrder: readonly TypeUrl[] = [typeUrls.secret, typeUrls.cluster, typeUrls.endpoint, typeUrls.listener, typeUrls.scopedRoute, typeUrls.route];

/**
 * Types whose request without names means "everything" (wildcard), per the xDS protocol; Envoy
 * asks for scoped route configurations that way too (bench/layouts.ts serves them).
 */
export const wildcardTypes: ReadonlySet<string> = new Set([typeUrls.listener, typeUrls.cluster, typeUrls.scopedRoute]);

/** What a stream reports: an answer from Envoy to a push. */
export type PushAnswer = { typeUrl: TypeUrl; version: string } & ({ accepted: true } | { accepted: false; message: string });

export abstract class StreamBase<Response> {
  protected snapshot: Snapshot | undefined;
  protected nonce = 0;
  protected readonly send: (response: Response) => void;
  protected readonly answered: (answer: PushAnswer) => void;
  private readonly synced: (snapshotVersion: string) => void;
  private readonly routed: (snapshotVersion: string) => void;
  private reportedSynced: string | undefined;
  private reportedRouted: string | undefined;
  /** The last snapshots this stream was given, newest last. */
  private readonly recent: Snapshot[] = [];

  /**
   * `answered` hears every ACK and NACK; `synced` hears the snapshot version each time Envoy
   * holds and has accepted all of the snapshot it subscribed to; `routed`, the newest snapshot
   * whose listeners and routes Envoy holds and accepted, which under a stream of changes runs
   * ahead of `synced`: Envoy may never hold the whole of a snapshot before the next one comes.
   */
  constructor(
    send: (response: Response) => void,
    answered: (answer: PushAnswer) => void,
    synced: (snapshotVersion: string) => void = () => {},
    routed: (snapshotVersion: string) => void = () => {},
  ) {
    this.send = send;
    this.answered = answered;
    this.synced = synced;
    this.routed = routed;
  }

  /** A new snapshot for this stream's installation. */
  update(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.recent.push(snapshot);
    if (this.recent.length > recentSnapshots) this.recent.shift();
    this.pump();
  }

  /**
   * Reports the newest recent snapshot whose listeners and routes Envoy holds, once. Routes reach
   * Envoy only after the clusters and endpoints they need, so holding them is serving them.
   */
  protected reportRouted(holds: (typeUrl: TypeUrl, snapshot: Snapshot) => boolean): void {
    for (let index = this.recent.length - 1; index >= 0; index--) {
      const snapshot = this.recent[index]!;
      if (!holds(typeUrls.listener, snapshot) || !holds(typeUrls.route, snapshot)) continue;
      if (this.reportedRouted !== snapshot.version) {
        this.reportedRouted = snapshot.version;
        this.routed(snapshot.version);
      }
      return;
    }
  }

  /** Sends what the snapshot and the subscriptions call for. */
  protected abstract pump(): void;

  /** Reports the snapshot synced once, when every subscribed type holds it and accepted it. */
  protected reportIfSynced(types: TypeUrl[], settled: (typeUrl: TypeUrl) => boolean): void {
    const snapshot = this.snapshot;
    if (!snapshot || this.reportedSynced === snapshot.version) return;
    if (types.length > 0 && types.every(settled)) {
      this.reportedSynced = snapshot.version;
      this.synced(snapshot.version);
    }
  }
}
