// Every installation's routing graph, on every replica, and what the rest of the operator asks
// of them: each object's outcome for its source's status writer, which installations read a
// Service or Secret or hold an object (to route events), and which snapshot versions hold which
// version of an object (status says Ready only once Envoy acknowledged one that does).
import type { GatewayIR } from '../../xds/ir.ts';
import { drawGraph } from './draw.ts';
import type { Fragment, Note } from './fragment.ts';
import type { InstallationPart } from './installation.ts';
import { InstallationGraph } from './merge.ts';
import type { Origin } from './origin.ts';
import type { Outcome } from './outcome.ts';
import type { GraphView } from './view.ts';

/** What the last build of an installation made of one of its objects. */
export interface ObjectState {
  installation: string;
  origin: Origin;
  generation: number;
  version: string;
  outcome: Outcome;
  /** What of the object is not served, though the object is. */
  notes: readonly Note[];
}

/** How many snapshot versions per installation are remembered: proxies a few pushes behind still count. */
const versionsKept = 32;

export class Graphs {
  private readonly graphs = new Map<string, InstallationGraph>();
  /** Read name → installations whose graph read it. */
  private readonly readers = new Map<string, Set<string>>();
  /** Origin key → the graphs whose last build holds it (one, but for a route attached to several Gateways). */
  private readonly holders = new Map<string, Set<string>>();
  /** Installation → snapshot version → origin key → the object's version it serves. */
  private readonly ledger = new Map<string, Map<string, Map<string, string>>>();

  /** Builds an installation's graph from its part and every source's fragments: its resources, and the objects whose state changed. */
  build(installation: string, part: InstallationPart, fragments: readonly Fragment[]): { ir: GatewayIR; changed: Origin[] } {
    let graph = this.graphs.get(installation);
    if (!graph) {
      graph = new InstallationGraph();
      this.graphs.set(installation, graph);
    }
    const { changed, readsAdded, readsRemoved } = graph.update(part, fragments);
    for (const read of readsAdded) {
      const set = this.readers.get(read) ?? new Set<string>();
      set.add(installation);
      this.readers.set(read, set);
    }
    for (const read of readsRemoved) this.dropReader(read, installation);
    for (const origin of changed) {
      if (graph.fragmentOf(origin.key)) this.addHolder(origin.key, installation);
      else this.dropHolder(origin.key, installation);
    }
    return { ir: graph.resources(), changed };
  }

  /** Forgets a deleted installation; returns the objects it held. */
  remove(installation: string): Origin[] {
    const graph = this.graphs.get(installation);
    if (!graph) return [];
    const held: Origin[] = [];
    for (const { fragment } of graph.objects()) {
      held.push(fragment.origin);
      this.dropHolder(fragment.origin.key, installation);
    }
    for (const read of graph.reads()) this.dropReader(read, installation);
    this.graphs.delete(installation);
    this.ledger.delete(installation);
    return held;
  }

  private addHolder(originKey: string, installation: string): void {
    const set = this.holders.get(originKey) ?? new Set<string>();
    set.add(installation);
    this.holders.set(originKey, set);
  }

  private dropHolder(originKey: string, installation: string): void {
    const set = this.holders.get(originKey);
    set?.delete(installation);
    if (set?.size === 0) this.holders.delete(originKey);
  }

  private dropReader(read: string, installation: string): void {
    const set = this.readers.get(read);
    set?.delete(installation);
    if (set?.size === 0) this.readers.delete(read);
  }

  readersOf(read: string): string[] {
    return [...(this.readers.get(read) ?? [])];
  }

  holdersOf(originKey: string): string[] {
    return [...(this.holders.get(originKey) ?? [])];
  }

  /** The object's state in the graph that holds it (`installation`'s, when several do). */
  stateOf(originKey: string, installation = this.holders.get(originKey)?.values().next().value): ObjectState | undefined {
    const graph = installation === undefined ? undefined : this.graphs.get(installation);
    const fragment = graph?.fragmentOf(originKey);
    const outcome = graph?.outcomeOf(originKey);
    if (installation === undefined || !fragment || !outcome) return undefined;
    return { installation, origin: fragment.origin, generation: fragment.generation, version: fragment.version, outcome, notes: fragment.notes ?? [] };
  }

  /** The objects of an installation's last build, of one source or of all. */
  membersOf(installation: string, source?: string): Origin[] {
    const members: Origin[] = [];
    for (const { fragment } of this.graphs.get(installation)?.objects() ?? []) {
      if (source === undefined || fragment.origin.source === source) members.push(fragment.origin);
    }
    return members;
  }

  /** Records that the installation's snapshot `version` holds its served objects as last built. */
  published(installation: string, version: string): void {
    const held = new Map<string, string>();
    for (const { fragment, outcome } of this.graphs.get(installation)?.objects() ?? []) {
      if (outcome.status === 'served') held.set(fragment.origin.key, fragment.version);
    }
    const versions = this.ledger.get(installation) ?? new Map<string, Map<string, string>>();
    versions.delete(version); // re-inserted as the newest
    versions.set(version, held);
    while (versions.size > versionsKept) versions.delete(versions.keys().next().value!);
    this.ledger.set(installation, versions);
  }

  /** Whether snapshot `snapshotVersion` of the installation serves the object at `version`. */
  holds(installation: string, snapshotVersion: string | undefined, originKey: string, version: string): boolean {
    return snapshotVersion !== undefined && this.ledger.get(installation)?.get(snapshotVersion)?.get(originKey) === version;
  }

  installations(): string[] {
    return [...this.graphs.keys()].sort();
  }

  /** The installation's graph as a picture sees it. */
  view(installation: string): GraphView | undefined {
    const graph = this.graphs.get(installation);
    return graph && drawGraph(installation, graph);
  }
}
