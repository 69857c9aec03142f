// One incremental ADS stream (envoy.service.discovery.v3.DeltaAggregatedResources): Envoy
// says which resources it wants and which versions it holds; the server sends only the
// resources whose hash differs from what Envoy holds, and the names of those that are gone.
//
// The rules of the state-of-the-world stream hold here too: a type is not pushed again until
// its last push is answered, types go in the protocol's order, and a removed cluster is kept
// until listeners and routes no longer use it.
import type { Resource } from './cache.ts';
import { typeUrls, type Any, type TypeUrl } from './protos.ts';
import { pushOrder, StreamBase, wildcardTypes } from './stream-base.ts';

export interface DeltaDiscoveryRequest {
  node?: { id?: string; cluster?: string };
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: Array<{ name: string; version: string; resource: Any }>;
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  /** What Envoy holds, name → version (hash), as far as the server knows. */
  held: Map<string, string>;
  /** Resources sent in the pending push: held once Envoy accepts them. */
  inFlight?: { nonce: string; sent: Map<string, string>; removed: string[] };
  accepted: boolean;
  /** Versions Envoy rejected, name → hash: not sent again until they change. */
  rejected: Map<string, string>;
  /** Envoy subscribed to something and waits for an answer, even one with nothing in it. */
  owed: boolean;
}

export class DeltaStream extends StreamBase<DeltaDiscoveryResponse> {
  private readonly states = new Map<TypeUrl, TypeState>();

  request(request: DeltaDiscoveryRequest): void {
    const typeUrl = request.type_url as TypeUrl | undefined;
    if (!typeUrl || !pushOrder.includes(typeUrl)) return;
    let state = this.states.get(typeUrl);
    if (!state) {
      const subscribe = request.resource_names_subscribe ?? [];
      // The first request of LDS and CDS with no names, or with "*", is a wildcard subscription.
      const wildcard = wildcardTypes.has(typeUrl) && (subscribe.length === 0 || subscribe.includes('*'));
      state = { wildcard, names: new Set(), held: new Map(Object.entries(request.initial_resource_versions ?? {})), accepted: true, rejected: new Map(), owed: true };
      this.states.set(typeUrl, state);
    }
    if (request.response_nonce && state.inFlight?.nonce === request.response_nonce) {
      const { sent, removed } = state.inFlight;
      state.inFlight = undefined;
      state.accepted = !request.error_detail;
      const version = this.snapshot?.types.get(typeUrl)?.version ?? '';
      if (request.error_detail) {
        for (const [name, hash] of sent) state.rejected.set(name, hash);
        this.answered({ typeUrl, version, accepted: false, message: request.error_detail.message ?? 'rejected' });
      } else {
        for (const [name, hash] of sent) {
          state.held.set(name, hash);
          state.rejected.delete(name);
        }
        for (const name of removed) state.held.delete(name);
        this.answered({ typeUrl, version, accepted: true });
      }
    }
    for (const name of request.resource_names_subscribe ?? []) {
      if (name === '*') state.wildcard = true;
      else state.names.add(name);
      state.owed = true;
    }
    for (const name of request.resource_names_unsubscribe ?? []) {
      if (name === '*') state.wildcard = false;
      state.names.delete(name);
      state.held.delete(name);
    }
    this.pump();
  }

  private desired(typeUrl: TypeUrl, state: TypeState): ReadonlyMap<string, Resource> {
    const all = this.snapshot?.types.get(typeUrl)?.resources ?? new Map<string, Resource>();
    if (state.wildcard) return all;
    return new Map([...all].filter(([name]) => state.names.has(name)));
  }

  /** What a push of the type would send now; empty when Envoy holds exactly what it should. */
  private diff(typeUrl: TypeUrl, state: TypeState): { changed: Resource[]; removed: string[]; rejected: Resource[] } {
    const wanted = this.desired(typeUrl, state);
    const differs = [...wanted.values()].filter((item) => state.held.get(item.name) !== item.hash);
    const rejected = differs.filter((item) => state.rejected.get(item.name) === item.hash);
    const changed = differs.filter((item) => state.rejected.get(item.name) !== item.hash);
    const removed = [...state.held.keys()].filter((name) => !wanted.has(name));
    return { changed, removed, rejected };
  }

  private inSync(typeUrl: TypeUrl): boolean {
    const state = this.states.get(typeUrl);
    if (!state) return true;
    const { changed, removed, rejected } = this.diff(typeUrl, state);
    return !state.inFlight && !state.owed && rejected.length === 0 && changed.length === 0 && removed.length === 0;
  }

  /**
   * Whether Envoy holds every cluster it should and the endpoints of each: routes and
   * listeners wait for that, so that a route never reaches Envoy before its cluster is warm.
   */
  private clustersWarm(): boolean {
    const clusters = this.states.get(typeUrls.cluster);
    if (!clusters) return true;
    if (clusters.inFlight || clusters.owed) return false;
    // Removals wait for the routes instead, so they do not count here.
    if (this.diff(typeUrls.cluster, clusters).changed.length > 0) return false;
    const assignments = this.snapshot?.types.get(typeUrls.endpoint)?.resources ?? new Map<string, Resource>();
    const endpoints = this.states.get(typeUrls.endpoint);
    return [...clusters.held.keys()].every((name) => {
      const assignment = assignments.get(name);
      return !assignment || endpoints?.held.get(name) === assignment.hash;
    });
  }

  protected pump(): void {
    if (!this.snapshot) return;
    for (const typeUrl of pushOrder) {
      const state = this.states.get(typeUrl);
      if (!state || state.inFlight) continue;
      if ((typeUrl === typeUrls.listener || typeUrl === typeUrls.route) && !this.clustersWarm()) continue;
      const { changed, removed: gone } = this.diff(typeUrl, state);
      let removed = gone;
      // Keep removed clusters until listeners and routes have moved off them.
      if (typeUrl === typeUrls.cluster && !(this.inSync(typeUrls.listener) && this.inSync(typeUrls.route))) removed = [];
      if (changed.length === 0 && removed.length === 0 && !state.owed) continue;
      state.owed = false;
      this.nonce += 1;
      const nonce = String(this.nonce);
      state.inFlight = { nonce, sent: new Map(changed.map((item) => [item.name, item.hash])), removed };
      this.send({
        system_version_info: this.snapshot.version,
        resources: changed.map((item) => ({ name: item.name, version: item.hash, resource: item.any })),
        type_url: typeUrl,
        removed_resources: removed,
        nonce,
      });
    }
    this.reportIfSynced([...this.states.keys()], (typeUrl) => this.inSync(typeUrl) && this.states.get(typeUrl)!.accepted);
    this.reportRouted((typeUrl, snapshot) => {
      const state = this.states.get(typeUrl);
      const resources = snapshot.types.get(typeUrl)?.resources ?? new Map<string, Resource>();
      if (!state) return resources.size === 0;
      // What Envoy holds changes only when it accepts a push, so a push in flight does not matter here.
      if (!state.accepted) return false;
      const wanted = [...resources.values()].filter((item) => state.wildcard || state.names.has(item.name));
      return wanted.every((item) => state.held.get(item.name) === item.hash) && [...state.held.keys()].every((name) => resources.has(name));
    });
  }
}
