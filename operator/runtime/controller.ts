import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { PerKeyBackoff, defaultBackoff, type BackoffOptions } from './backoff.ts';
import type { ResourceInformer } from './informer.ts';
import { reconcileDuration, reconcileTotal, workQueueDepth } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

/** An informer a controller watches, and how its objects map to the controller's keys. */
export interface WatchSource {
  readonly informer: Pick<ResourceInformer, 'name' | 'waitForSync'>;
  subscribe(enqueue: (key: string) => void): void;
}

/** Watches `informer`; every event enqueues the keys `keysOf` derives from the object. */
export function watching<T extends KubernetesObject>(informer: ResourceInformer<T>, keysOf: (object: T) => string[]): WatchSource {
  return {
    informer,
    subscribe(enqueue) {
      informer.onEvent((_event, object) => {
        for (const key of keysOf(object)) enqueue(key);
      });
    },
  };
}

/** The key of a namespaced object (`namespace/name`) or a cluster-scoped one (`name`). */
export function objectKey(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

export type ReconcileResult = undefined | { requeueAfterMs: number };

export interface ControllerOptions {
  name: string;
  watches: WatchSource[];
  /**
   * Brings the world in line with the desired state of `key`; throws to retry with backoff,
   * or asks to look again after a while (e.g. while waiting for something it cannot watch).
   */
  reconcile: (key: string) => Promise<ReconcileResult>;
  /** Every key the controller owns, enqueued on each periodic resync. */
  listKeys: () => string[];
  workers?: number;
  resyncPeriodMs?: number;
  backoff?: BackoffOptions;
}

/**
 * A level-triggered controller: events only enqueue keys; workers reconcile a key from
 * the caches, whatever woke it. Workers start once every watched informer has synced.
 */
export class Controller {
  readonly name: string;
  private readonly options: ControllerOptions;
  private readonly queue = new WorkQueue<string>();
  private readonly backoff: PerKeyBackoff<string>;
  private readonly log: Logger;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: ControllerOptions, log: Logger) {
    this.name = options.name;
    this.options = options;
    this.backoff = new PerKeyBackoff(options.backoff ?? defaultBackoff);
    this.log = log.child({ controller: options.name });
    for (const source of options.watches) source.subscribe((key) => { this.enqueue(key); });
  }

  enqueue(key: string): void {
    this.queue.add(key);
    workQueueDepth.set({ controller: this.name }, this.queue.length);
  }

  /** Waits for the caches, then starts the workers; returns once they run. */
  async run(): Promise<void> {
    await Promise.all(this.options.watches.map((source) => source.informer.waitForSync()));
    if (this.stopped) return;
    for (const key of this.options.listKeys()) this.enqueue(key);
    const count = this.options.workers ?? 1;
    this.workers = Array.from({ length: count }, () => this.work());
    if (this.options.resyncPeriodMs) {
      this.resyncTimer = setInterval(() => {
        for (const key of this.options.listKeys()) this.enqueue(key);
      }, this.options.resyncPeriodMs);
      this.resyncTimer.unref();
    }
    this.log.info({ workers: count }, 'controller started');
  }

  /** Stops taking keys and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      workQueueDepth.set({ controller: this.name }, this.queue.length);
      const endTimer = reconcileDuration.startTimer({ controller: this.name });
      try {
        const result = await this.options.reconcile(key);
        this.backoff.forget(key);
        if (result) this.queue.addAfter(key, result.requeueAfterMs);
        reconcileTotal.inc({ controller: this.name, result: 'success' });
      } catch (error) {
        const delayMs = this.backoff.next(key);
        reconcileTotal.inc({ controller: this.name, result: 'error' });
        this.log.warn({ err: error, key, retryInMs: delayMs }, 'reconcile failed');
        this.queue.addAfter(key, delayMs);
      } finally {
        endTimer();
        this.queue.done(key);
      }
    }
  }
}
