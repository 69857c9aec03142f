/** Exponential backoff per key: each failure doubles the delay, a success forgets it. */
export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Ceiling of the delay, however many failures. */
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 100, maxMs: 60_000 };

export class PerKeyBackoff<K> {
  private readonly failures = new Map<K, number>();
  private readonly options: BackoffOptions;

  constructor(options: BackoffOptions = defaultBackoff) {
    this.options = options;
  }

  /** Records a failure of `key` and returns how long to wait before the next try. */
  next(key: K): number {
    const previous = this.failures.get(key) ?? 0;
    this.failures.set(key, previous + 1);
    return Math.min(this.options.baseMs * 2 ** previous, this.options.maxMs);
  }

  /** Forgets the failures of `key`, after it succeeded or went away. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  failuresOf(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}
