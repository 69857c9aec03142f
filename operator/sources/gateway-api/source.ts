// The Gateway API source: which Gateways Portico serves (those whose GatewayClass names an
// installation), each Gateway's part of its own graph (listeners.ts) and its HTTPRoutes'
// fragments (httproute.ts), and what the last build made of each, for the status writer. A
// Gateway is a fleet of its own: its graph, snapshots and Envoys are keyed by gatewayKey().
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Fragment, HostClaim } from '../../graph/fragment.ts';
import type { InstallationPart } from '../../graph/installation.ts';
import { originOf } from '../../graph/origin.ts';
import { watching, type WatchSource } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import { gatewayFleetKey, gatewayInstallation, gatewayKey, parseGatewayFleetKey } from './classes.ts';
import { gatewayApiSourceName, httpRouteOrigin, translateHTTPRoute, type ParentOutcome } from './httproute.ts';
import { gatewayPart, type ResolvedListener } from './listeners.ts';
import type { ClusterGatewayLookups } from './lookups.ts';
import { gatewayGroup, type Gateway, type GatewayClass, type HTTPRoute } from './types.ts';

export interface GatewayApiCaches {
  gatewayClasses: ResourceInformer<GatewayClass>;
  gateways: ResourceInformer<Gateway>;
  httpRoutes: ResourceInformer<HTTPRoute>;
}

/** What the last build of a Gateway made of it and of its routes. */
export interface GatewayBuild {
  gateway: Gateway;
  installation: string;
  listeners: ResolvedListener[];
  /** Route key (namespace/name) → its status under each parentRef naming the Gateway. */
  routes: Map<string, { route: HTTPRoute; parents: ParentOutcome[]; attachedTo: number[] }>;
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

const routeKey = (route: HTTPRoute) => `${route.metadata?.namespace ?? ''}/${route.metadata?.name ?? ''}`;

/** The Gateways a route's parentRefs name, as fleet keys. */
function parentGateways(route: HTTPRoute): string[] {
  const namespace = route.metadata?.namespace ?? '';
  return (route.spec.parentRefs ?? [])
    .filter((reference) => (reference.group ?? gatewayGroup) === gatewayGroup && (reference.kind ?? 'Gateway') === 'Gateway')
    .map((reference) => gatewayFleetKey(reference.namespace ?? namespace, reference.name));
}

/** The Gateway's own fragment: the virtual hosts it claims itself (misdirected hosts). */
export function gatewayFragment(gateway: Gateway, hosts: HostClaim[]): Fragment {
  const generation = gateway.metadata?.generation ?? 0;
  return { origin: originOf(gatewayApiSourceName, 'Gateway', gateway), generation, version: String(generation), listeners: [], hosts, clusters: [], secrets: [], tlsChains: [], reads: new Set() };
}

export class GatewayApiSource implements FleetSource {
  readonly caches: GatewayApiCaches;
  private readonly lookups: ClusterGatewayLookups;
  private readonly builds = new Map<string, GatewayBuild>();
  /** Gateway key → the routes naming it, kept from route events: a build must not scan every route. */
  private readonly routesByGateway = new Map<string, Map<string, HTTPRoute>>();
  private readonly buildListeners: Array<(key: string, build: GatewayBuild | undefined, previous: GatewayBuild | undefined) => void> = [];

  constructor(caches: GatewayApiCaches, lookups: ClusterGatewayLookups) {
    this.caches = caches;
    this.lookups = lookups;
    const indexed = new Map<string, string[]>();
    caches.httpRoutes.onEvent((event, route) => {
      const key = routeKey(route);
      for (const gateway of indexed.get(key) ?? []) this.routesByGateway.get(gateway)?.delete(key);
      indexed.delete(key);
      if (event === 'delete') return;
      const gateways = parentGateways(route);
      indexed.set(key, gateways);
      for (const gateway of gateways) {
        const routes = this.routesByGateway.get(gateway) ?? new Map<string, HTTPRoute>();
        routes.set(key, route);
        this.routesByGateway.set(gateway, routes);
      }
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
    const { part, listeners, hosts } = gatewayPart(gateway, installation, lookups);
    const fragments: Fragment[] = [];
    if (hosts.length) fragments.push(gatewayFragment(gateway, hosts));
    const routes: GatewayBuild['routes'] = new Map();
    for (const route of this.routesByGateway.get(key)?.values() ?? []) {
      const recorded = this.lookups.recording();
      const translation = translateHTTPRoute(route, gateway, listeners, recorded.lookups);
      if (!translation.parents.length) continue;
      routes.set(routeKey(route), { route, parents: translation.parents, attachedTo: translation.attachedTo });
      fragments.push({ ...translation.fragment, reads: recorded.reads });
    }
    const build: GatewayBuild = { gateway, installation: installation.metadata?.name ?? '', listeners, routes };
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
      watching(this.caches.httpRoutes, (route) => [...new Set([...parentGateways(route), ...context.holdersOf(httpRouteOrigin(route).key)])]),
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
