// A source's translations, kept until the object, the options it was translated with or
// something it read changes: the incremental half of "each object translated alone". A kept
// translation hands back the same fragment object, which the graph then skips.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Fragment } from '../graph/fragment.ts';
import { recording, type ClusterLookups, type Lookups } from './lookups.ts';

interface Kept<T> {
  /** The cache's object it was made from: the informer replaces the object on every change. */
  object: T;
  /** What of the object the translation reads besides the spec (generation stands for the spec). */
  input: string;
  options: string;
  fragment: Fragment;
}

export class TranslationCache<T extends KubernetesObject> {
  private readonly lookups: Lookups;
  private readonly inputOf: (object: T) => string;
  private readonly kept = new Map<string, Kept<T>>();
  /** Read name → the keys of the translations that read it. */
  private readonly dependents = new Map<string, Set<string>>();

  /** `inputOf` says, in short, everything translation reads of an object. */
  constructor(lookups: ClusterLookups, inputOf: (object: T) => string) {
    this.lookups = lookups;
    this.inputOf = inputOf;
    lookups.onChange((read) => {
      for (const key of [...(this.dependents.get(read) ?? [])]) this.drop(key);
    });
  }

  /**
   * The object's fragment: the kept one if its input and `options` are the same and nothing it
   * read changed since, else `translate` run now with lookups that record what it reads.
   */
  fragment(key: string, object: T, options: string, translate: (lookups: Lookups) => Omit<Fragment, 'reads'>): Fragment {
    const kept = this.kept.get(key);
    if (kept && kept.options === options && (kept.object === object || kept.input === this.inputOf(object))) {
      kept.object = object;
      return kept.fragment;
    }
    this.drop(key);
    const { lookups, reads } = recording(this.lookups);
    const fragment: Fragment = { ...translate(lookups), reads };
    this.kept.set(key, { object, input: this.inputOf(object), options, fragment });
    for (const read of reads) {
      const dependents = this.dependents.get(read) ?? new Set<string>();
      dependents.add(key);
      this.dependents.set(read, dependents);
    }
    return fragment;
  }

  /** Whether an event's object would be translated again: not after a status write, which changes no input. */
  changes(key: string, object: T): boolean {
    return this.kept.get(key)?.input !== this.inputOf(object);
  }

  drop(key: string): void {
    const kept = this.kept.get(key);
    if (!kept) return;
    this.kept.delete(key);
    for (const read of kept.fragment.reads) {
      const dependents = this.dependents.get(read);
      dependents?.delete(key);
      if (dependents?.size === 0) this.dependents.delete(read);
    }
  }
}
