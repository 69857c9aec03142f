// Snapshots of Envoy resources, one per installation (Envoy's node.cluster names it). A
// snapshot's version is a hash of its content, so an identical translation is the same
// version and pushes nothing; each resource carries its own hash, so a delta stream sends
// only the resources that changed.
import { createHash } from 'node:crypto';
import type { Any, TypeUrl } from './protos.ts';

export interface Resource {
  name: string;
  any: Any;
  /** Hash of the encoded resource: its version in delta xDS. */
  hash: string;
}

export interface TypeSnapshot {
  /** Hash of the type's resources (names and hashes): version_info in state-of-the-world xDS. */
  version: string;
  resources: ReadonlyMap<string, Resource>;
}

export interface Snapshot {
  /** Hash of every type's version. */
  version: string;
  types: ReadonlyMap<TypeUrl, TypeSnapshot>;
}

function hash(parts: Iterable<string | Buffer>): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part).update('\0');
  return digest.digest('hex').slice(0, 16);
}

export function resource(name: string, any: Any): Resource {
  return { name, any, hash: hash([any.type_url, any.value]) };
}

/** A snapshot of the given resources; types absent from `resources` are empty. */
export function buildSnapshot(resources: Partial<Record<TypeUrl, Resource[]>>): Snapshot {
  const types = new Map<TypeUrl, TypeSnapshot>();
  for (const [typeUrl, list] of Object.entries(resources) as Array<[TypeUrl, Resource[]]>) {
    const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const byName = new Map<string, Resource>();
    for (const item of sorted) {
      if (byName.has(item.name)) throw new Error(`two ${typeUrl} resources are named ${item.name}`);
      byName.set(item.name, item);
    }
    types.set(typeUrl, { version: hash(sorted.flatMap((item) => [item.name, item.hash])), resources: byName });
  }
  const version = hash([...types.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([typeUrl, type]) => [typeUrl, type.version]));
  return { version, types };
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/** The current snapshot of each installation, and who is waiting for the next one. */
export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Map<string, Set<SnapshotListener>>();

  /** Sets an installation's snapshot; returns false (and tells nobody) when nothing changed. */
  set(installation: string, snapshot: Snapshot): boolean {
    if (this.snapshots.get(installation)?.version === snapshot.version) return false;
    this.snapshots.set(installation, snapshot);
    for (const listener of this.listeners.get(installation) ?? []) listener(snapshot);
    return true;
  }

  get(installation: string): Snapshot | undefined {
    return this.snapshots.get(installation);
  }

  delete(installation: string): void {
    this.snapshots.delete(installation);
  }

  /** Calls `listener` with each new snapshot of `installation`; returns the unsubscribe. */
  watch(installation: string, listener: SnapshotListener): () => void {
    let set = this.listeners.get(installation);
    if (!set) this.listeners.set(installation, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(installation);
    };
  }
}
