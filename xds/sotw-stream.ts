// One state-of-the-world ADS stream (envoy.service.discovery.v3.StreamAggregatedResources):
// what the Envoy on the other end subscribed to, what it was sent, and what it accepted.
//
// A type is not pushed again until its last push is answered. Types are sent in the order
// the xDS protocol asks for (secrets, clusters and endpoints before the listeners and routes
// that use them); the server does not wait for one type's answer before sending the next,
// since Envoy acknowledges new clusters only once their endpoints have arrived. A cluster
// that disappears is kept in the clusters pushed until listeners and routes no longer use
// it, so Envoy never routes to a cluster it lacks.
import { createHash } from 'node:crypto';
import type { Resource } from './cache.ts';
import { typeUrls, type Any, type TypeUrl } from './protos.ts';
import { pushOrder, StreamBase, wildcardTypes } from './stream-base.ts';

export interface DiscoveryRequest {
  version_info?: string;
  node?: { id?: string; cluster?: string };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: Any[];
  type_url: string;
  nonce: string;
}

interface TypeState {
  /** Names subscribed to; undefined for a wildcard subscription. */
  names: Set<string> | undefined;
  sentVersion?: string;
  sentNonce?: string;
  sent: Map<string, Resource>;
  /** A push not yet answered (ACK or NACK). */
  pending: boolean;
  /** Whether the subscription changed since the last push (Envoy waits for an answer). */
  subscriptionChanged: boolean;
  /** Whether Envoy accepted the last push it answered. */
  accepted: boolean;
  /** The version of the last push Envoy accepted: what it holds. */
  heldVersion?: string;
}

function versionOf(resources: Iterable<Resource>): string {
  const digest = createHash('sha256');
  for (const item of [...resources].sort((a, b) => (a.name < b.name ? -1 : 1))) digest.update(item.name).update('\0').update(item.hash).update('\0');
  return digest.digest('hex').slice(0, 16);
}

export class SotwStream extends StreamBase<DiscoveryResponse> {
  private readonly states = new Map<TypeUrl, TypeState>();

  /** A request from Envoy: a subscription, an ACK or a NACK. */
  request(request: DiscoveryRequest): void {
    const typeUrl = request.type_url as TypeUrl | undefined;
    if (!typeUrl || !pushOrder.includes(typeUrl)) return;
    let state = this.states.get(typeUrl);
    if (!state) {
      state = { names: undefined, sent: new Map(), pending: false, subscriptionChanged: true, accepted: true };
      this.states.set(typeUrl, state);
    }
    // An answer to an older push than the last one is stale: the protocol says to ignore it.
    if (request.response_nonce && request.response_nonce !== state.sentNonce) return;
    if (request.response_nonce) {
      state.pending = false;
      state.accepted = !request.error_detail;
      const version = state.sentVersion ?? '';
      if (state.accepted) state.heldVersion = version;
      if (request.error_detail) this.answered({ typeUrl, version, accepted: false, message: request.error_detail.message ?? 'rejected' });
      else this.answered({ typeUrl, version, accepted: true });
    }
    const names = request.resource_names ?? [];
    const next = names.length === 0 && wildcardTypes.has(typeUrl) ? undefined : new Set(names);
    const same = next === undefined ? state.names === undefined : state.names !== undefined && state.names.size === next.size && [...next].every((name) => state.names!.has(name));
    if (!same) {
      state.names = next;
      state.subscriptionChanged = true;
    }
    this.pump();
  }

  /** The resources of a type this stream should hold now, before any removal is deferred. */
  private desired(typeUrl: TypeUrl, state: TypeState): Map<string, Resource> {
    const all = this.snapshot?.types.get(typeUrl)?.resources ?? new Map<string, Resource>();
    if (state.names === undefined) return new Map(all);
    return new Map([...all].filter(([name]) => state.names!.has(name)));
  }

  private inSync(typeUrl: TypeUrl): boolean {
    const state = this.states.get(typeUrl);
    if (!state) return true;
    return !state.pending && !state.subscriptionChanged && state.sentVersion === versionOf(this.desired(typeUrl, state).values());
  }

  protected pump(): void {
    this.push();
    this.reportIfSynced([...this.states.keys()], (typeUrl) => this.inSync(typeUrl) && this.states.get(typeUrl)!.accepted);
    this.reportRouted((typeUrl, snapshot) => {
      const state = this.states.get(typeUrl);
      if (!state) return (snapshot.types.get(typeUrl)?.resources.size ?? 0) === 0;
      if (!state.accepted) return false;
      const resources = [...(snapshot.types.get(typeUrl)?.resources.values() ?? [])].filter((item) => state.names === undefined || state.names.has(item.name));
      return state.heldVersion === versionOf(resources);
    });
  }

  /**
   * Whether Envoy holds every cluster it should and the endpoints of each: routes and
   * listeners wait for that, so that a route never reaches Envoy before its cluster is warm.
   */
  private clustersWarm(): boolean {
    const clusters = this.states.get(typeUrls.cluster);
    if (!clusters) return true;
    if (clusters.pending || clusters.subscriptionChanged) return false;
    // Sent may still hold removed clusters (they wait for the routes); every desired one must be there.
    if (![...this.desired(typeUrls.cluster, clusters)].every(([name, item]) => clusters.sent.get(name)?.hash === item.hash)) return false;
    const assignments = this.snapshot?.types.get(typeUrls.endpoint)?.resources ?? new Map<string, Resource>();
    const endpoints = this.states.get(typeUrls.endpoint);
    return [...clusters.sent.keys()].every((name) => {
      const assignment = assignments.get(name);
      return !assignment || (endpoints !== undefined && !endpoints.pending && endpoints.sent.get(name)?.hash === assignment.hash);
    });
  }

  private push(): void {
    if (!this.snapshot) return;
    for (const typeUrl of pushOrder) {
      const state = this.states.get(typeUrl);
      if (!state || state.pending) continue;
      if ((typeUrl === typeUrls.listener || typeUrl === typeUrls.route) && !this.clustersWarm()) continue;
      let resources = this.desired(typeUrl, state);
      if (typeUrl === typeUrls.cluster) {
        // Keep removed clusters until listeners and routes have moved off them.
        const dependentsInSync = this.inSync(typeUrls.listener) && this.inSync(typeUrls.route);
        if (!dependentsInSync) for (const [name, kept] of state.sent) if (!resources.has(name)) resources = new Map([...resources, [name, kept]]);
      }
      const version = versionOf(resources.values());
      if (version === state.sentVersion && !state.subscriptionChanged) continue;
      this.nonce += 1;
      state.sentVersion = version;
      state.sentNonce = String(this.nonce);
      state.sent = resources;
      state.pending = true;
      state.subscriptionChanged = false;
      this.send({ version_info: version, resources: [...resources.values()].map((item) => item.any), type_url: typeUrl, nonce: state.sentNonce });
    }
  }
}
