// The Gateway API source: which Gateways Portico serves (those whose GatewayClass names an
// installation), each Gateway's graph from its listeners and the routes of every kind naming it
// (build.ts), and what the last build made of each, for the status writer. A
// Gateway is a fleet of its own: its graph, snapshots and Envoys are keyed by gatewayKey().
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Fragment } from '../../graph/fragment.ts';
import type { InstallationPart } from '../../graph/installation.ts';
import { originOf } from '../../graph/origin.ts';
import { watching, type WatchSource } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import { gatewayFleetKey, gatewayInstallation, gatewayKey, parseGatewayFleetKey } from './classes.ts';
import { buildGatewayGraph, routeKey, type BuiltRoute, type GatewayGraph, type KindedRoute } from './build.ts';
import { gatewayApiSourceName } from './httproute.ts';
import { byListenerSetPrecedence, listenerSetAllowed, listenerSetKey, listenerSetParent } from './listener-sets.ts';
import type { ResolvedListener } from './listeners.ts';
import type { ClusterGatewayLookups } from './lookups.ts';
import { gatewayGroup, type AnyRoute, type BackendTLSPolicy, type Gateway, type GatewayClass, type ListenerSet, type RouteKind } from './types.ts';

export interface GatewayApiCaches {
  gatewayClasses: ResourceInformer<GatewayClass>;
  gateways: ResourceInformer<Gateway>;
  /** One type for every route kind: each is read by its kind (build.ts). */
  httpRoutes: ResourceInformer<AnyRoute>;
  grpcRoutes: ResourceInformer<AnyRoute>;
  tlsRoutes: ResourceInformer<AnyRoute>;
  tcpRoutes: ResourceInformer<AnyRoute>;
  listenerSets: ResourceInformer<ListenerSet>;
  /** Read through the lookups; the status writer reports on them. */
  backendTlsPolicies: ResourceInformer<BackendTLSPolicy>;
}

/** The informer of each route kind. */
export function routeInformers(caches: GatewayApiCaches): Array<[RouteKind, ResourceInformer<AnyRoute>]> {
  return [['HTTPRoute', caches.httpRoutes], ['GRPCRoute', caches.grpcRoutes], ['TLSRoute', caches.tlsRoutes], ['TCPRoute', caches.tcpRoutes]];
}

/** What the last build of a Gateway made of it and of its routes. */
export interface GatewayBuild {
  gateway: Gateway;
  installation: string;
  listeners: ResolvedListener[];
  /** Route key (routeKey: kind/namespace/name) → its status under each parentRef naming the Gateway. */
  routes: Map<string, BuiltRoute>;
  /** The ListenerSets naming the Gateway, in precedence order, and whether it admits each. */
  listenerSets: Array<{ set: ListenerSet; allowed: boolean }>;
  /** The BackendTLSPolicies of its routes' Services, by policyKey, as they are for this Gateway. */
  policies: GatewayGraph['policies'];
  backendClient?: GatewayGraph['backendClient'];
}

/** What the snapshot controller asks of a source of fleets of their own. */
export interface FleetSource {
  /** Every fleet the source serves now. */
  keys(installations: readonly GatewayInstallation[]): string[];
  /** Whether the key is one of this source's (served or not). */
  owns(key: string): boolean;
  /** The fleet's part and fragments, or undefined when it is not served (its graph is then removed). */
  build(key: string, installations: readonly GatewayInstallation[]): { part: InstallationPart; fragments: Fragment[] } | undefined;
  watches(context: { readersOf(read: string): string[]; holdersOf(originKey: string): string[]; installations(): readonly GatewayInstallation[] }): WatchSource[];
}

/** The parents a route's parentRefs name: `Gateway/<ns>/<name>` or `ListenerSet/<ns>/<name>`. */
function parentKeys(route: AnyRoute): string[] {
  const namespace = route.metadata?.namespace ?? '';
  return (route.spec.parentRefs ?? [])
    .filter((reference) => (reference.group ?? gatewayGroup) === gatewayGroup && ['Gateway', 'ListenerSet'].includes(reference.kind ?? 'Gateway'))
    .map((reference) => `${reference.kind ?? 'Gateway'}/${reference.namespace ?? namespace}/${reference.name}`);
}

/** The fleet key of the Gateway a ListenerSet names, if any. */
function setGateway(set: ListenerSet): string | undefined {
  const parent = listenerSetParent(set);
  return parent && gatewayFleetKey(parent.namespace, parent.name);
}

export class GatewayApiSource implements FleetSource {
  readonly caches: GatewayApiCaches;
  private readonly lookups: ClusterGatewayLookups;
  private readonly builds = new Map<string, GatewayBuild>();
  /** Parent key (parentKeys) → the routes naming it, by routeKey, kept from route events: a build must not scan every route. */
  private readonly routesByParent = new Map<string, Map<string, KindedRoute>>();
  /** Gateway fleet key → the ListenerSets naming it, kept from their events. */
  private readonly setsByGateway = new Map<string, Map<string, ListenerSet>>();
  private readonly buildListeners: Array<(key: string, build: GatewayBuild | undefined, previous: GatewayBuild | undefined) => void> = [];

  constructor(caches: GatewayApiCaches, lookups: ClusterGatewayLookups) {
    this.caches = caches;
    this.lookups = lookups;
    const indexed = new Map<string, string[]>();
    for (const [kind, informer] of routeInformers(caches)) {
      informer.onEvent((event, route) => {
        const kinded = { kind, route };
        const key = routeKey(kinded);
        for (const parent of indexed.get(key) ?? []) this.routesByParent.get(parent)?.delete(key);
        indexed.delete(key);
        if (event === 'delete') return;
        const parents = parentKeys(route);
        indexed.set(key, parents);
        for (const parent of parents) {
          const routes = this.routesByParent.get(parent) ?? new Map<string, KindedRoute>();
          routes.set(key, kinded);
          this.routesByParent.set(parent, routes);
        }
      });
    }
    const setParents = new Map<string, string>();
    caches.listenerSets.onEvent((event, set) => {
      const key = listenerSetKey(set);
      const before = setParents.get(key);
      if (before) this.setsByGateway.get(before)?.delete(key);
      setParents.delete(key);
      const gateway = setGateway(set);
      if (event === 'delete' || !gateway) return;
      setParents.set(key, gateway);
      const sets = this.setsByGateway.get(gateway) ?? new Map<string, ListenerSet>();
      sets.set(key, set);
      this.setsByGateway.set(gateway, sets);
    });
  }

  /** The Gateways a route concerns through its parentRefs: those it names, and those of the ListenerSets it names. */
  private routeGateways(route: AnyRoute): string[] {
    return parentKeys(route).flatMap((parent) => {
      const [kind, namespace = '', name = ''] = parent.split('/');
      if (kind === 'Gateway') return [gatewayFleetKey(namespace, name)];
      const set = this.caches.listenerSets.get(name, namespace);
      const gateway = set && setGateway(set);
      return gateway ? [gateway] : [];
    });
  }

  /** Calls `listener` after every build of a fleet (build undefined: no longer served). */
  onBuild(listener: (key: string, build: GatewayBuild | undefined, previous: GatewayBuild | undefined) => void): void {
    this.buildListeners.push(listener);
  }

  owns(key: string): boolean {
    return parseGatewayFleetKey(key) !== undefined;
  }

  private served(gateway: Gateway, installations: readonly GatewayInstallation[]): GatewayInstallation | undefined {
    if (gateway.metadata?.deletionTimestamp) return undefined;
    return gatewayInstallation(gateway, { get: (name) => this.caches.gatewayClasses.get(name) }, installations);
  }

  keys(installations: readonly GatewayInstallation[]): string[] {
    return this.caches.gateways.list().filter((gateway) => this.served(gateway, installations)).map(gatewayKey);
  }

  lastBuild(key: string): GatewayBuild | undefined {
    return this.builds.get(key);
  }

  build(key: string, installations: readonly GatewayInstallation[]): { part: InstallationPart; fragments: Fragment[] } | undefined {
    const parsed = parseGatewayFleetKey(key);
    const gateway = parsed && this.caches.gateways.get(parsed.name, parsed.namespace);
    const installation = gateway && this.served(gateway, installations);
    const previous = this.builds.get(key);
    if (!gateway || !installation) {
      this.builds.delete(key);
      for (const listener of this.buildListeners) listener(key, undefined, previous);
      return undefined;
    }
    const { lookups, reads } = this.lookups.recording();
    const named = [...(this.setsByGateway.get(key)?.values() ?? [])].sort(byListenerSetPrecedence);
    const listenerSets = named.map((set) => ({ set, allowed: listenerSetAllowed(gateway, set, lookups) }));
    const admitted = listenerSets.filter(({ allowed }) => allowed).map(({ set }) => set);
    const candidates = new Map<string, KindedRoute>();
    for (const parent of [`Gateway/${parsed.namespace}/${parsed.name}`, ...admitted.map((set) => `ListenerSet/${listenerSetKey(set)}`)]) {
      for (const [name, route] of this.routesByParent.get(parent) ?? []) candidates.set(name, route);
    }
    const { part, fragments, listeners, routes, policies, backendClient } = buildGatewayGraph(gateway, installation, lookups, admitted, candidates.values(), () => this.lookups.recording());
    const build: GatewayBuild = { gateway, installation: installation.metadata?.name ?? '', listeners, routes, listenerSets, policies, ...(backendClient ? { backendClient } : {}) };
    this.builds.set(key, build);
    for (const listener of this.buildListeners) listener(key, build, previous);
    return { part: { ...part, reads }, fragments };
  }

  watches(context: Parameters<FleetSource['watches']>[0]): WatchSource[] {
    return [
      // A class that comes, goes or changes may take Gateways up or let them go.
      watching(this.caches.gatewayClasses, (gatewayClass) => this.caches.gateways.list().filter((gateway) => gateway.spec.gatewayClassName === gatewayClass.metadata?.name).map(gatewayKey)),
      watching(this.caches.gateways, (gateway) => [gatewayKey(gateway)]),
      // A route concerns the Gateways it names now and those whose graphs hold it.
      ...routeInformers(this.caches).map(([kind, informer]) => watching(informer, (route) => [...new Set([...this.routeGateways(route), ...context.holdersOf(originOf(gatewayApiSourceName, kind, route).key)])])),
      // A set concerns the Gateway it names now and those whose last build had it.
      watching(this.caches.listenerSets, (set) => [...new Set([
        ...[setGateway(set)].filter((gateway): gateway is string => gateway !== undefined),
        ...[...this.builds].filter(([, build]) => build.listenerSets.some((entry) => listenerSetKey(entry.set) === listenerSetKey(set))).map(([fleet]) => fleet),
      ])]),
      ...this.lookups.watches((read) => context.readersOf(read)),
    ];
  }

  /** The fleets of an installation's Gateways, served now or last built. */
  fleetsOf(installation: string, installations: readonly GatewayInstallation[]): string[] {
    const now = this.caches.gateways.list().filter((gateway) => this.served(gateway, installations)?.metadata?.name === installation).map(gatewayKey);
    const before = [...this.builds].filter(([, build]) => build.installation === installation).map(([key]) => key);
    return [...new Set([...now, ...before])];
  }
}
