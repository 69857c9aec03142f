/**
 * A keyed work queue with the semantics of client-go's workqueue, which level-triggered
 * controllers rely on:
 * - a key waits in the queue at most once: adding it again while it waits is a no-op;
 * - a key is handed to one worker at a time: added while it is being processed, it is
 *   queued again only when that worker calls done(), so a reconcile never races itself;
 * - keys come out in the order they were first added.
 */
export class WorkQueue<K> {
  private readonly queue: K[] = [];
  /** Keys that need processing: waiting in `queue`, or to be re-queued when done. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private shuttingDown = false;

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds `key` after `delayMs`; of several delayed adds of one key, the earliest wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Waits for the next key; undefined once the queue is shut down and drained. */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it goes back in the queue. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Stops accepting keys; workers drain what is queued, then get undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** Keys waiting to be processed. */
  get length(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  private take(key: K): K {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
