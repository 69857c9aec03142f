// The leader's Gateway API status writer: GatewayClasses of Portico's controller (Accepted,
// SupportedVersion, supportedFeatures), the Gateways it serves (Accepted, Programmed once their
// Envoys acknowledged their configuration, addresses, listeners) and the routes naming them
// (status.parents, other controllers' entries kept), the ListenerSets naming them, and the
// BackendTLSPolicies of their routes' Services (status.ancestors). Keys:
// class:<name>, gateway:<ns>/<name>, route:<kind>/<ns>/<name>, listenerset:<ns>/<name>, policy:<ns>/<name>. Written only when it differs from the stored status.
import type { V1Service } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { referenceOf, type KubeClient } from '../../kube/client.ts';
import { Controller, watching } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import type { Manager } from '../../runtime/manager.ts';
import { gatewayController, gatewayFleetKey, gatewayKey } from './classes.ts';
import { routeKey } from './build.ts';
import { routeInformers, type GatewayApiSource, type GatewayBuild } from './source.ts';
import { listenerSetKey, listenerSetParent } from './listener-sets.ts';
import { policyKey } from './backend-tls.ts';
import { gatewayClassStatus, gatewayStatus, listenerSetStatus, policyAncestors, routeParents } from './status.ts';
import { gatewayApiVersion, routeKinds, type Gateway, type RouteKind } from './types.ts';

export interface GatewayApiStatusOptions {
  /** The fleet's Service as cached. */
  fleetService(gateway: Gateway): V1Service | undefined;
  /** Whether some Envoy of the fleet acknowledged its current snapshot. */
  programmed(fleetKey: string): boolean;
}

export interface GatewayApiStatusController {
  controller: Controller;
  /** A fleet's Envoys or Service changed: its Gateway's status may. */
  fleetChanged(fleetKey: string): void;
}

/** Compared as stored: absent and undefined fields are the same. */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function registerGatewayApiStatusController(
  manager: Manager,
  client: KubeClient,
  source: GatewayApiSource,
  installations: ResourceInformer<GatewayInstallation>,
  options: GatewayApiStatusOptions,
  log: Logger,
): GatewayApiStatusController {
  const statusLog = log.child({ controller: 'gateway-api-status' });
  const { gatewayClasses, gateways, listenerSets, backendTlsPolicies } = source.caches;
  const routeCaches = new Map(routeInformers(source.caches));
  /** Route key → the fleets whose builds name it, so that a route leaving a Gateway is written too. */
  const routeFleets = new Map<string, Set<string>>();
  /** Policy key → the fleets whose builds have it, likewise. */
  const policyFleets = new Map<string, Set<string>>();

  const writeClass = async (name: string) => {
    const gatewayClass = gatewayClasses.get(name);
    if (gatewayClass?.spec.controllerName !== gatewayController) return;
    const status = asStored(gatewayClassStatus(gatewayClass, installations.list(), new Date()));
    if (isDeepStrictEqual(status, gatewayClass.status ?? {})) return;
    await client.mergePatch({ ...referenceOf(gatewayClass), apiVersion: gatewayApiVersion, kind: 'GatewayClass' }, { metadata: { resourceVersion: gatewayClass.metadata?.resourceVersion }, status }, 'status');
    statusLog.info({ gatewayClass: name, accepted: status.conditions?.[0]?.status }, 'GatewayClass status updated');
  };

  const writeGateway = async (namespace: string, name: string) => {
    const gateway = gateways.get(name, namespace);
    const build = source.lastBuild(gatewayFleetKey(namespace, name));
    if (!gateway || !build || build.gateway.metadata?.generation !== gateway.metadata?.generation) return;
    const status = asStored(gatewayStatus({ ...build, gateway }, { service: options.fleetService(gateway), programmed: options.programmed(gatewayKey(gateway)) }, new Date()));
    if (isDeepStrictEqual(status, asStored(gateway.status ?? {}))) return;
    await client.mergePatch({ ...referenceOf(gateway), apiVersion: gatewayApiVersion, kind: 'Gateway' }, { metadata: { resourceVersion: gateway.metadata?.resourceVersion }, status }, 'status');
    statusLog.info({ gateway: `${namespace}/${name}`, programmed: status.conditions?.find((condition) => condition.type === 'Programmed')?.status }, 'Gateway status updated');
  };

  const writeListenerSet = async (namespace: string, name: string) => {
    const set = listenerSets.get(name, namespace);
    const parent = set && listenerSetParent(set);
    const gateway = parent && gateways.get(parent.name, parent.namespace);
    const build = gateway && source.lastBuild(gatewayKey(gateway));
    if (!set || !gateway || !build) return;
    const built = build.listenerSets.find((entry) => listenerSetKey(entry.set) === listenerSetKey(set))?.set;
    // Not built at this generation yet: the build enqueues it.
    if (built?.metadata?.generation !== set.metadata?.generation) return;
    const computed = listenerSetStatus(build, set, { service: options.fleetService(gateway), programmed: options.programmed(gatewayKey(gateway)) }, new Date());
    if (!computed) return;
    const status = asStored(computed);
    if (isDeepStrictEqual(status, asStored(set.status ?? {}))) return;
    await client.mergePatch({ ...referenceOf(set), apiVersion: gatewayApiVersion, kind: 'ListenerSet' }, { metadata: { resourceVersion: set.metadata?.resourceVersion }, status }, 'status');
    statusLog.info({ listenerSet: `${namespace}/${name}`, accepted: status.conditions?.find((condition) => condition.type === 'Accepted')?.status }, 'ListenerSet status updated');
  };

  const writeRoute = async (kind: RouteKind, namespace: string, name: string) => {
    const route = routeCaches.get(kind)?.get(name, namespace);
    const key = `${kind}/${namespace}/${name}`;
    if (!route) {
      routeFleets.delete(key);
      return;
    }
    const builds = [...(routeFleets.get(key) ?? [])].map((fleet) => source.lastBuild(fleet)).filter((build): build is GatewayBuild => build !== undefined);
    // Not built at this generation yet: the build enqueues it.
    if (builds.some((build) => build.routes.get(key)?.route.metadata?.generation !== route.metadata?.generation && build.routes.has(key))) return;
    const parents = asStored(routeParents({ kind, route }, builds, new Date()));
    if (isDeepStrictEqual(parents, asStored(route.status?.parents ?? []))) return;
    await client.mergePatch({ ...referenceOf(route), apiVersion: gatewayApiVersion, kind }, { metadata: { resourceVersion: route.metadata?.resourceVersion }, status: { parents } }, 'status');
    statusLog.info({ route: key, parents: parents.length }, `${kind} status updated`);
  };

  const writePolicy = async (namespace: string, name: string) => {
    const policy = backendTlsPolicies.get(name, namespace);
    const key = `${namespace}/${name}`;
    if (!policy) {
      policyFleets.delete(key);
      return;
    }
    const builds = [...(policyFleets.get(key) ?? [])].map((fleet) => source.lastBuild(fleet)).filter((build): build is GatewayBuild => build !== undefined);
    // Not built at this generation yet: the build enqueues it.
    if (builds.some((build) => build.policies.get(key)?.policy.metadata?.generation !== policy.metadata?.generation)) return;
    const ancestors = asStored(policyAncestors(policy, builds, new Date()));
    if (isDeepStrictEqual(ancestors, asStored(policy.status?.ancestors ?? []))) return;
    await client.mergePatch({ ...referenceOf(policy), apiVersion: gatewayApiVersion, kind: 'BackendTLSPolicy' }, { metadata: { resourceVersion: policy.metadata?.resourceVersion }, status: { ancestors } }, 'status');
    statusLog.info({ policy: key, ancestors: ancestors.length }, 'BackendTLSPolicy status updated');
  };

  const reconcile = async (key: string) => {
    const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const [namespace = '', name = ''] = rest.split('/');
    if (kind === 'class') await writeClass(rest);
    else if (kind === 'gateway') await writeGateway(namespace, name);
    else if (kind === 'route') {
      const [routeKind = '', routeNamespace = '', routeName = ''] = rest.split('/');
      if ((routeKinds as readonly string[]).includes(routeKind)) await writeRoute(routeKind as RouteKind, routeNamespace, routeName);
    }
    else if (kind === 'listenerset') await writeListenerSet(namespace, name);
    else if (kind === 'policy') await writePolicy(namespace, name);
    return undefined;
  };

  const controller = manager.addController(
    new Controller(
      {
        name: 'gateway-api-status',
        watches: [
          watching(gatewayClasses, (gatewayClass) => [`class:${gatewayClass.metadata?.name ?? ''}`]),
          // An installation that comes or goes accepts its classes or not.
          watching(installations, () => gatewayClasses.list().map((gatewayClass) => `class:${gatewayClass.metadata?.name ?? ''}`)),
          watching(gateways, (gateway) => [`gateway:${gateway.metadata?.namespace ?? ''}/${gateway.metadata?.name ?? ''}`]),
          ...routeInformers(source.caches).map(([kind, informer]) => watching(informer, (route) => [`route:${routeKey({ kind, route })}`])),
          watching(listenerSets, (set) => [`listenerset:${listenerSetKey(set)}`]),
          watching(backendTlsPolicies, (policy) => [`policy:${policyKey(policy)}`]),
        ],
        listKeys: () => [
          ...gatewayClasses.list().map((gatewayClass) => `class:${gatewayClass.metadata?.name ?? ''}`),
          ...gateways.list().map((gateway) => `gateway:${gateway.metadata?.namespace ?? ''}/${gateway.metadata?.name ?? ''}`),
          ...routeInformers(source.caches).flatMap(([kind, informer]) => informer.list().map((route) => `route:${routeKey({ kind, route })}`)),
          ...listenerSets.list().map((set) => `listenerset:${listenerSetKey(set)}`),
          ...backendTlsPolicies.list().map((policy) => `policy:${policyKey(policy)}`),
        ],
        reconcile,
        workers: 8,
      },
      statusLog,
    ),
    { leaderOnly: true },
  );

  source.onBuild((fleet, build, previous) => {
    const parsed = fleet.slice('gateway/'.length);
    controller.enqueue(`gateway:${parsed}`);
    for (const { set } of [...(build?.listenerSets ?? []), ...(previous?.listenerSets ?? [])]) controller.enqueue(`listenerset:${listenerSetKey(set)}`);
    // Objects the build has now or had before: their status is written, and which fleets have them is kept.
    const track = (fleetsByKey: Map<string, Set<string>>, now: ReadonlyMap<string, unknown> | undefined, before: ReadonlyMap<string, unknown> | undefined, kind: string) => {
      for (const key of new Set([...(now?.keys() ?? []), ...(before?.keys() ?? [])])) {
        const fleets = fleetsByKey.get(key) ?? new Set<string>();
        if (now?.has(key)) fleets.add(fleet);
        else fleets.delete(fleet);
        fleetsByKey.set(key, fleets);
        controller.enqueue(`${kind}:${key}`);
      }
    };
    track(routeFleets, build?.routes, previous?.routes, 'route');
    track(policyFleets, build?.policies, previous?.policies, 'policy');
  });
  return {
    controller,
    fleetChanged: (fleetKey) => { controller.enqueue(`gateway:${fleetKey.slice('gateway/'.length)}`); },
  };
}
