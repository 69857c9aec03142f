// One installation's routing graph: the installation's part and the fragments of every source,
// merged under one set of ownership rules, kept incrementally.
//
// The rules: an object claims the ports of the listeners it asks for, the domains of its hosts
// on a route table, and (for hosts shared path by path) the paths of its routes. The oldest
// object wins every claim (graph/origin.ts); a later one that claims the same thing is refused
// whole, with a reason that names the field and the winner, and the winner serves on. A
// refused object claims nothing, so the next in age may take what it asked for.
//
// Kept incrementally: an object's outcome depends only on older objects that share a claim
// with it, so a change re-decides the changed object and, in age order, the younger objects it
// shares claims with, as far as their being served changes. Only the route tables, clusters,
// secrets and chains that served objects changed are put together again.
import type { ClusterIR, GatewayIR, ListenerIR, RouteConfigIR, RouteIR, SecretIR, TlsChainIR, VirtualHostIR } from '../../xds/ir.ts';
import { byGatewayPrecedence, bySpecificity, describePathMatch, pathMatchOf } from '../../xds/path-match.ts';
import { byAge } from '../kube/age.ts';
import type { Fragment, HostClaim } from './fragment.ts';
import type { InstallationPart } from './installation.ts';
import { describe, type Origin } from './origin.ts';
import { sameOutcome, served, type Outcome } from './outcome.ts';

/** A claim of a fragment, by key: what it claims, in which field, how. */
interface Claim {
  key: string;
  /** For messages: the domain, path or port claimed. */
  what: string;
  field: string;
  kind: 'host' | 'path' | 'port';
  /** Hosts only: whether the whole host is claimed or only some of its paths. */
  mode?: HostClaim['mode'];
}

interface Entry {
  fragment: Fragment;
  claims: Claim[];
  /** A claim the object makes twice itself, decided once per fragment. */
  selfConflict?: Outcome;
  outcome: Outcome;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A route's match, as the key under which two objects sharing a host would collide. */
function matchKey(route: RouteIR): string {
  return JSON.stringify([pathMatchOf(route), route.headers ?? [], route.query ?? [], route.method ?? '']);
}

/** The claims of a fragment, made once per fragment: a kept fragment's claims are not made again. */
const claimsOf = new WeakMap<Fragment, { claims: Claim[]; selfConflict?: Outcome }>();

function claims(fragment: Fragment): { claims: Claim[]; selfConflict?: Outcome } {
  let made = claimsOf.get(fragment);
  if (made) return made;
  const list: Claim[] = [];
  const fields = new Map<string, string>();
  let selfConflict: Outcome | undefined;
  const add = (claim: Claim) => {
    const first = fields.get(claim.key);
    if (first !== undefined) {
      // Paths of one object may share a host with each other; a domain or port may not be claimed twice.
      if (claim.kind !== 'host' || claim.mode !== 'paths') {
        selfConflict ??= {
          status: 'conflicting',
          reason: claim.kind === 'port' ? 'PortConflict' : claim.kind === 'path' ? 'PathConflict' : 'DomainConflict',
          field: claim.field,
          winner: describe(fragment.origin),
          message: `Not served: ${claim.what} is claimed twice by this object (${first} and ${claim.field}).`,
        };
      }
      return;
    }
    fields.set(claim.key, claim.field);
    list.push(claim);
  };
  for (const { listener, field } of fragment.listeners) add({ key: `port\0${listener.address}\0${listener.port}`, what: `port ${listener.port}`, field, kind: 'port' });
  for (const { table, host, mode, field } of fragment.hosts) {
    // Merged hosts are shared without claims: the Gateway API's precedence orders their routes.
    if (mode === 'merged') continue;
    for (const domain of host.domains) add({ key: `host\0${table}\0${domain}`, what: `host "${domain}"`, field, kind: 'host', mode });
    if (mode === 'paths') {
      for (const route of host.routes) add({ key: `path\0${table}\0${host.domains[0] ?? ''}\0${matchKey(route)}`, what: `path "${describePathMatch(route)}" of host "${host.domains[0] ?? ''}"`, field, kind: 'path' });
    }
  }
  made = { claims: list, ...(selfConflict ? { selfConflict } : {}) };
  claimsOf.set(fragment, made);
  return made;
}

/** What one build changed: the objects whose outcome or fragment changed, and the reads that came or went. */
export interface MergeChanges {
  changed: Origin[];
  readsAdded: string[];
  readsRemoved: string[];
}

export class InstallationGraph {
  private part: InstallationPart | undefined;
  private readonly entries = new Map<string, Entry>();
  /** Claim key → the origin keys claiming it, served or not. */
  private readonly claimants = new Map<string, Set<string>>();
  /** The installation's own listener ports: no object may take them. */
  private reservedPorts = new Map<string, string>();
  /** Read name → how many fragments (and the installation's part) read it. */
  private readonly readCounts = new Map<string, number>();

  // What served objects contribute, by table (hosts), by name (clusters, secrets) and by origin.
  private readonly tableHosts = new Map<string, Map<string, VirtualHostIR[]>>();
  private readonly clusterSources = new Map<string, Map<string, ClusterIR>>();
  private readonly secretSources = new Map<string, Map<string, SecretIR>>();
  private readonly chainSources = new Map<string, Map<string, TlsChainIR[]>>();
  private readonly listenerSources = new Map<string, ListenerIR[]>();

  // Put together again only where a served object's contribution changed.
  private readonly dirtyTables = new Set<string>();
  private clustersDirty = true;
  private secretsDirty = true;
  private listenersDirty = true;
  private readonly builtTables = new Map<string, VirtualHostIR[]>();
  private builtClusters: ClusterIR[] = [];
  private builtSecrets: SecretIR[] = [];
  private builtListeners: ListenerIR[] = [];

  /** Sets the installation's part and this build's fragments of every source; returns what changed. */
  update(part: InstallationPart, fragments: readonly Fragment[]): MergeChanges {
    // Whether each read touched in this update was read before it: a changed fragment gives its
    // reads back and takes them again, which must not count as a read gone.
    const readBefore = new Map<string, boolean>();
    const countReads = (reads: Iterable<string>, delta: 1 | -1) => {
      for (const read of reads) {
        const count = this.readCounts.get(read) ?? 0;
        if (!readBefore.has(read)) readBefore.set(read, count > 0);
        if (count + delta === 0) this.readCounts.delete(read);
        else this.readCounts.set(read, count + delta);
      }
    };
    const pending = new Set<string>();
    const changed = new Map<string, Origin>();

    if (part !== this.part) {
      if (this.part) countReads(this.part.reads, -1);
      countReads(part.reads, 1);
      const ports = new Map(part.listeners.map((listener) => [`port\0${listener.address}\0${listener.port}`, listener.name] as const));
      for (const slot of part.secureListeners) ports.set(`port\0${slot.listener.address}\0${slot.listener.port}`, slot.listener.name);
      this.reservedPorts = ports;
      // Every object asking for a listener is decided again against the installation's ports.
      for (const [key, entry] of this.entries) if (entry.fragment.listeners.length) pending.add(key);
      this.part = part;
      this.clustersDirty = this.secretsDirty = this.listenersDirty = true;
      for (const table of part.tables) this.dirtyTables.add(table);
    }

    const next = new Map<string, Fragment>();
    for (const fragment of fragments) next.set(fragment.origin.key, fragment);
    for (const [key, entry] of this.entries) {
      if (next.has(key)) continue;
      this.withdraw(key, entry);
      this.unindex(key, entry, pending);
      countReads(entry.fragment.reads, -1);
      this.entries.delete(key);
      pending.delete(key);
      changed.set(key, entry.fragment.origin);
    }
    for (const [key, fragment] of next) {
      const entry = this.entries.get(key);
      if (entry?.fragment === fragment) continue;
      if (entry) {
        this.withdraw(key, entry);
        this.unindex(key, entry, pending);
        countReads(entry.fragment.reads, -1);
      }
      countReads(fragment.reads, 1);
      const made = claims(fragment);
      // Decided below; until then it holds nothing.
      const fresh: Entry = { fragment, claims: made.claims, ...(made.selfConflict ? { selfConflict: made.selfConflict } : {}), outcome: { status: 'refused', reason: 'Pending', message: '' } };
      this.entries.set(key, fresh);
      this.index(key, fresh, pending);
      pending.add(key);
      changed.set(key, fragment.origin);
    }

    // Oldest first: an outcome depends only on older claimants, so each is decided once.
    const queue = [...pending].map((key) => this.entries.get(key)).filter((entry): entry is Entry => entry !== undefined).sort((a, b) => byAge(a.fragment.origin, b.fragment.origin));
    const queued = new Set(queue.map((entry) => entry.fragment.origin.key));
    while (queue.length) {
      const entry = queue.shift()!;
      const key = entry.fragment.origin.key;
      queued.delete(key);
      const outcome = this.decide(entry);
      const wasServed = entry.outcome.status === 'served';
      const isServed = outcome.status === 'served';
      if (!sameOutcome(entry.outcome, outcome)) changed.set(key, entry.fragment.origin);
      if (wasServed === isServed) {
        entry.outcome = outcome;
        continue;
      }
      // A new or changed fragment starts out not served, so it contributes here.
      if (wasServed) this.withdraw(key, entry);
      entry.outcome = outcome;
      if (isServed) this.contribute(key, entry);
      // Younger objects sharing a claim may win or lose by it.
      for (const claim of entry.claims) {
        for (const other of this.claimants.get(claim.key) ?? []) {
          if (other === key || queued.has(other)) continue;
          const otherEntry = this.entries.get(other);
          if (!otherEntry || byAge(otherEntry.fragment.origin, entry.fragment.origin) < 0) continue;
          insertByAge(queue, otherEntry);
          queued.add(other);
        }
      }
    }
    const readsAdded: string[] = [];
    const readsRemoved: string[] = [];
    for (const [read, before] of readBefore) {
      const now = this.readCounts.has(read);
      if (now && !before) readsAdded.push(read);
      else if (before && !now) readsRemoved.push(read);
    }
    return { changed: [...changed.values()], readsAdded, readsRemoved };
  }

  private index(key: string, entry: Entry, pending: Set<string>): void {
    for (const claim of entry.claims) {
      const set = this.claimants.get(claim.key) ?? new Set<string>();
      for (const other of set) pending.add(other);
      set.add(key);
      this.claimants.set(claim.key, set);
    }
  }

  private unindex(key: string, entry: Entry, pending: Set<string>): void {
    for (const claim of entry.claims) {
      const set = this.claimants.get(claim.key);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) this.claimants.delete(claim.key);
      else for (const other of set) pending.add(other);
    }
  }

  /** The outcome of an object given the older objects' outcomes. */
  private decide(entry: Entry): Outcome {
    const { fragment } = entry;
    if (fragment.refusal) return { status: 'refused', ...fragment.refusal };
    if (entry.selfConflict) return entry.selfConflict;
    for (const claim of entry.claims) {
      if (claim.kind === 'port') {
        const reserved = this.reservedPorts.get(claim.key);
        if (reserved !== undefined) return conflict(claim, `the installation's listener ${reserved}`);
      }
      // The oldest served holder is the winner named, whatever order the claims came in.
      let winner: Entry | undefined;
      for (const other of this.claimants.get(claim.key) ?? []) {
        if (other === fragment.origin.key) continue;
        const holder = this.entries.get(other);
        if (!holder || holder.outcome.status !== 'served' || byAge(holder.fragment.origin, fragment.origin) > 0) continue;
        // Hosts shared path by path collide only where both take the host whole; their paths are claims of their own.
        if (claim.kind === 'host' && claim.mode === 'paths' && holder.claims.find((held) => held.key === claim.key)?.mode === 'paths') continue;
        if (!winner || byAge(holder.fragment.origin, winner.fragment.origin) < 0) winner = holder;
      }
      if (winner) return conflict(claim, describe(winner.fragment.origin));
    }
    return served;
  }

  private contribute(key: string, entry: Entry): void {
    const { fragment } = entry;
    const byTable = new Map<string, VirtualHostIR[]>();
    for (const { table, host } of fragment.hosts) byTable.set(table, [...(byTable.get(table) ?? []), host]);
    for (const [table, hosts] of byTable) {
      const map = this.tableHosts.get(table) ?? new Map<string, VirtualHostIR[]>();
      map.set(key, hosts);
      this.tableHosts.set(table, map);
      this.dirtyTables.add(table);
    }
    for (const cluster of fragment.clusters) addSource(this.clusterSources, cluster.name, key, cluster);
    for (const secret of fragment.secrets) addSource(this.secretSources, secret.name, key, secret);
    for (const { table, chain } of fragment.tlsChains) {
      const map = this.chainSources.get(table) ?? new Map<string, TlsChainIR[]>();
      map.set(key, [...(map.get(key) ?? []), chain]);
      this.chainSources.set(table, map);
    }
    if (fragment.listeners.length) this.listenerSources.set(key, fragment.listeners.map((claim) => claim.listener));
    if (fragment.clusters.length) this.clustersDirty = true;
    if (fragment.secrets.length) this.secretsDirty = true;
    if (fragment.tlsChains.length || fragment.listeners.length) this.listenersDirty = true;
  }

  private withdraw(key: string, entry: Entry): void {
    if (entry.outcome.status !== 'served') return;
    const { fragment } = entry;
    for (const { table } of fragment.hosts) {
      if (this.tableHosts.get(table)?.delete(key)) this.dirtyTables.add(table);
    }
    for (const cluster of fragment.clusters) removeSource(this.clusterSources, cluster.name, key);
    for (const secret of fragment.secrets) removeSource(this.secretSources, secret.name, key);
    for (const { table } of fragment.tlsChains) this.chainSources.get(table)?.delete(key);
    this.listenerSources.delete(key);
    if (fragment.clusters.length) this.clustersDirty = true;
    if (fragment.secrets.length) this.secretsDirty = true;
    if (fragment.tlsChains.length || fragment.listeners.length) this.listenersDirty = true;
  }

  /** Origin keys, the oldest object first: chains and shared hosts in a stable order. */
  private olderFirst(keys: Iterable<string>): string[] {
    return [...keys].sort((a, b) => {
      const left = this.entries.get(a)?.fragment.origin;
      const right = this.entries.get(b)?.fragment.origin;
      return left && right ? byAge(left, right) : 0;
    });
  }

  /** The youngest served object's version of a cluster or secret several objects name. */
  private youngest<T>(sources: Map<string, T>): T {
    let chosen: [string, T] | undefined;
    for (const item of sources) {
      const origin = this.entries.get(item[0])?.fragment.origin;
      const best = chosen && this.entries.get(chosen[0])?.fragment.origin;
      if (!chosen || (origin && best && byAge(origin, best) > 0)) chosen = item;
    }
    return chosen![1];
  }

  /** The graph as Envoy's resources need it. */
  resources(): GatewayIR {
    const part = this.part;
    if (!part) return { listeners: [], routeConfigs: [], clusters: [] };
    const tables = [...part.tables];
    for (const listeners of this.listenerSources.values()) for (const listener of listeners) if (!tables.includes(listener.routeConfigName)) tables.push(listener.routeConfigName);
    for (const table of this.dirtyTables) this.builtTables.set(table, this.tableResource(table));
    this.dirtyTables.clear();
    const portless = new Set(part.listeners.filter((listener) => listener.http?.ignoreHostPort)
      .flatMap((listener) => [listener.routeConfigName, ...(listener.tls?.chains ?? []).flatMap((chain) => chain.routeConfigName ?? [])]));
    const routeConfigs: RouteConfigIR[] = tables.map((name) => ({ name, virtualHosts: this.builtTables.get(name) ?? [], ...(portless.has(name) ? { ignorePortInHostMatching: true } : {}) }));
    if (this.clustersDirty) {
      const clusters = new Map(part.clusters.map((cluster) => [cluster.name, cluster]));
      for (const [name, sources] of this.clusterSources) clusters.set(name, this.youngest(sources));
      this.builtClusters = [...clusters.values()].sort(byName);
      this.clustersDirty = false;
    }
    if (this.secretsDirty) {
      const secrets = new Map<string, SecretIR>();
      for (const [name, sources] of this.secretSources) secrets.set(name, this.youngest(sources));
      for (const secret of part.secrets) if (!secrets.has(secret.name)) secrets.set(secret.name, secret);
      this.builtSecrets = [...secrets.values()].sort(byName);
      this.secretsDirty = false;
    }
    if (this.listenersDirty) {
      const claimed = this.olderFirst(this.listenerSources.keys()).flatMap((key) => this.listenerSources.get(key) ?? []);
      const secure = part.secureListeners.flatMap(({ listener, params, table }) => {
        const sources = this.chainSources.get(table) ?? new Map<string, TlsChainIR[]>();
        const chains = uniqueServerNames([...this.olderFirst(sources.keys()).flatMap((key) => sources.get(key) ?? []), ...(part.fallbackChains.get(table) ?? [])]);
        return chains.length ? [{ ...listener, tls: { params, chains } }] : [];
      });
      this.builtListeners = [...part.listeners, ...claimed, ...secure];
      this.listenersDirty = false;
    }
    return { listeners: this.builtListeners, routeConfigs, clusters: this.builtClusters, ...(this.builtSecrets.length ? { secrets: this.builtSecrets } : {}) };
  }

  /** A table's virtual hosts by name; hosts shared path by path become one, the older object's routes first among equals. */
  private tableResource(table: string): VirtualHostIR[] {
    const sources = this.tableHosts.get(table);
    if (!sources) return [];
    const hosts: VirtualHostIR[] = [];
    const shared = new Map<string, { host: VirtualHostIR; routes: RouteIR[]; mode: HostClaim['mode'] }>();
    const keys = sources.size > 1 && this.hasSharedHosts(table) ? this.olderFirst(sources.keys()) : sources.keys();
    for (const key of keys) {
      const entry = this.entries.get(key);
      for (const claim of entry?.fragment.hosts ?? []) {
        if (claim.table !== table) continue;
        if (claim.mode === 'whole') {
          hosts.push(claim.host);
          continue;
        }
        const domain = `${claim.mode}\0${claim.host.domains[0] ?? ''}`;
        const merged = shared.get(domain);
        if (merged) merged.routes.push(...claim.host.routes);
        else shared.set(domain, { host: claim.host, routes: [...claim.host.routes], mode: claim.mode });
      }
    }
    for (const { host, routes, mode } of shared.values()) {
      // Exact paths, then longest prefixes, across objects; the sort is stable, so older objects' routes lead among equals.
      hosts.push({ ...host, routes: [...routes].sort(mode === 'merged' ? byGatewayPrecedence : bySpecificity) });
    }
    return hosts.sort(byName);
  }

  private hasSharedHosts(table: string): boolean {
    for (const key of this.tableHosts.get(table)?.keys() ?? []) {
      if (this.entries.get(key)?.fragment.hosts.some((claim) => claim.table === table && claim.mode !== 'whole')) return true;
    }
    return false;
  }

  outcomeOf(originKey: string): Outcome | undefined {
    return this.entries.get(originKey)?.outcome;
  }

  fragmentOf(originKey: string): Fragment | undefined {
    return this.entries.get(originKey)?.fragment;
  }

  /** Every object of the graph, served or not, with its outcome. */
  *objects(): Iterable<{ fragment: Fragment; outcome: Outcome }> {
    for (const entry of this.entries.values()) yield { fragment: entry.fragment, outcome: entry.outcome };
  }

  /** Every read of the graph (its objects' and the installation's). */
  reads(): Iterable<string> {
    return this.readCounts.keys();
  }
}

function conflict(claim: Claim, winner: string): Outcome {
  const reason = claim.kind === 'port' ? 'PortConflict' : claim.kind === 'path' ? 'PathConflict' : 'DomainConflict';
  return { status: 'conflicting', reason, field: claim.field, winner, message: `Not served: ${claim.field}: ${claim.what} is already served by ${winner}.` };
}

/**
 * Envoy refuses a listener whose chains name one server twice: a name stays with the first
 * chain that names it (the oldest object's), and a chain left with no name is dropped. A chain
 * that names none (the fallback) is every other name and stays.
 */
function uniqueServerNames(chains: TlsChainIR[]): TlsChainIR[] {
  const taken = new Set<string>();
  return chains.flatMap((chain) => {
    if (!chain.serverNames.length) return [chain];
    const serverNames = chain.serverNames.filter((name) => !taken.has(name));
    for (const name of serverNames) taken.add(name);
    if (!serverNames.length) return [];
    return [serverNames.length === chain.serverNames.length ? chain : { ...chain, serverNames }];
  });
}

function addSource<T>(map: Map<string, Map<string, T>>, name: string, key: string, item: T): void {
  const sources = map.get(name) ?? new Map<string, T>();
  sources.set(key, item);
  map.set(name, sources);
}

function removeSource<T>(map: Map<string, Map<string, T>>, name: string, key: string): void {
  const sources = map.get(name);
  sources?.delete(key);
  if (sources?.size === 0) map.delete(name);
}

function insertByAge(queue: Entry[], entry: Entry): void {
  let index = queue.length;
  while (index > 0 && byAge(queue[index - 1]!.fragment.origin, entry.fragment.origin) > 0) index -= 1;
  queue.splice(index, 0, entry);
}

/** A graph built once from a part and fragments: for golden files and in-process benchmarks. */
export function mergeFragments(part: InstallationPart, fragments: readonly Fragment[]): { ir: GatewayIR; outcomes: Map<string, Outcome> } {
  const graph = new InstallationGraph();
  graph.update(part, fragments);
  const outcomes = new Map<string, Outcome>();
  for (const { fragment, outcome } of graph.objects()) outcomes.set(fragment.origin.key, outcome);
  return { ir: graph.resources(), outcomes };
}
