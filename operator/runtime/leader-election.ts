// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// a candidate takes the lease when it is free or its holder has not renewed it for a lease
// duration (measured on this process's clock, from when it last saw the lease change, so
// that clock skew between replicas does not matter), renews it while leading, and steps
// down if it cannot renew within the renew deadline. Updates carry the resourceVersion
// they were based on, so two candidates never both win.
import type { Logger } from 'pino';
import { ApiError, type KubeClient } from '../kube/client.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const defaultLeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Lease times are RFC 3339 with microseconds (MicroTime). */
function microTime(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(client: KubeClient, options: LeaderElectionOptions, log: Logger) {
    this.client = client;
    this.options = options;
    this.log = log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until this process leads, calls `onStartedLeading`, then renews; calls
   * `onStoppedLeading` once if leadership is lost (never after stop()).
   */
  run(onStartedLeading: () => void, onStoppedLeading: () => void): void {
    let lastRenewal = Date.now();
    const tick = async () => {
      if (this.stopped) return;
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (error) {
        this.log.warn({ err: error }, 'could not read or update the lease');
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may have run while the lease request was in flight
      if (this.stopped) return;
      if (held) {
        lastRenewal = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info('became the leader');
          onStartedLeading();
        }
      } else if (this.leading && Date.now() - lastRenewal > this.options.renewDeadlineMs) {
        this.leading = false;
        this.log.error('lost the lease: stepping down');
        onStoppedLeading();
        return;
      }
      this.timer = setTimeout(() => void tick(), this.options.retryPeriodMs);
    };
    void tick();
  }

  /** Stops campaigning; a leader gives the lease up so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec.holderIdentity === this.options.identity) {
        await this.client.replace({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
        this.log.info('released the lease');
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the lease; another replica takes over when it expires');
    }
  }

  private read(): Promise<Lease | undefined> {
    return this.client.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.options.namespace, name: this.options.name });
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const { identity, leaseDurationMs } = this.options;
    const spec = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000), renewTime: microTime(now) };
    const lease = await this.read();
    if (!lease) {
      try {
        await this.client.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) return false; // another candidate created it first
        throw error;
      }
    }

    // Expiry is judged by when this process saw the record change, not by the holder's clock.
    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
    const holder = lease.spec.holderIdentity ?? '';
    const duration = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = this.observed.at + duration <= now.getTime();
    if (holder && holder !== identity && !expired) return false;

    const takingOver = holder !== identity;
    try {
      await this.client.replace<Lease>({
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          acquireTime: takingOver ? microTime(now) : lease.spec.acquireTime,
          leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (takingOver && holder ? 1 : 0),
        },
      });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return false; // someone else updated it first
      throw error;
    }
  }
}
