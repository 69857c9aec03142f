// The Gateway API's status, computed from what a build made of a Gateway and its routes and what
// the Gateway's fleet shows (its Service's addresses, its Envoys' acknowledgements). Pure.
import type { V1Service } from '@kubernetes/client-node';
import { updateConditions } from '../../installation/conditions.ts';
import { classInstallation, gatewayController } from './classes.ts';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { supportedFeatures } from './features.ts';
import { insecureFrontend } from './frontend-validation.ts';
import type { GatewayBuild } from './source.ts';
import { listenerSetOwner, sameOwner, type ResolvedListener } from './listeners.ts';
import { routeKey, type KindedRoute } from './build.ts';
import { policyKey } from './backend-tls.ts';
import { gatewayGroup, type BackendTLSPolicy, type Condition, type Gateway, type GatewayClass, type ListenerSet, type ListenerStatus, type ParentReference, type PolicyAncestorStatus, type RouteParentStatus } from './types.ts';

type Update = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string };

function conditions(current: readonly Condition[] | undefined, updates: Update[], generation: number | undefined, now: Date): Condition[] {
  return updateConditions(current, updates, generation, now);
}

export function gatewayClassStatus(gatewayClass: GatewayClass, installations: readonly GatewayInstallation[], now: Date): NonNullable<GatewayClass['status']> {
  const target = classInstallation(gatewayClass, installations);
  const accepted: Update = target && 'problem' in target
    ? { type: 'Accepted', status: 'False', reason: 'InvalidParameters', message: target.problem }
    : { type: 'Accepted', status: 'True', reason: 'Accepted', message: `Gateways of this class get Envoy fleets rendered from GatewayInstallation ${gatewayClass.spec.parametersRef?.name ?? ''}.` };
  const version: Update = { type: 'SupportedVersion', status: 'True', reason: 'SupportedVersion', message: 'The Gateway API v1.6 CRDs are supported.' };
  return {
    conditions: conditions(gatewayClass.status?.conditions, [accepted, version], gatewayClass.metadata?.generation, now),
    supportedFeatures: supportedFeatures.map((name) => ({ name })),
  };
}

/** The addresses of a fleet's Service: its load balancer's, else (ClusterIP) the cluster IP. */
export function serviceAddresses(service: V1Service | undefined): Array<{ type: 'IPAddress' | 'Hostname'; value: string }> {
  if (!service) return [];
  if (service.spec?.type === 'LoadBalancer') {
    return (service.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => [
      ...(ingress.ip ? [{ type: 'IPAddress' as const, value: ingress.ip }] : []),
      ...(ingress.hostname ? [{ type: 'Hostname' as const, value: ingress.hostname }] : []),
    ]);
  }
  return (service.spec?.clusterIPs ?? []).filter((ip) => ip !== 'None').map((value) => ({ type: 'IPAddress' as const, value }));
}

export interface FleetObserved {
  service?: V1Service;
  /** Some Envoy of the fleet holds and acknowledged the fleet's current snapshot. */
  programmed: boolean;
}

const insecureMode: Update = {
  type: 'InsecureFrontendValidationMode',
  status: 'True',
  reason: 'ConfigurationChanged',
  message: 'spec.tls.frontend lets clients without a valid certificate in (mode AllowInsecureFallback).',
};

export function gatewayStatus(build: GatewayBuild, observed: FleetObserved, now: Date): NonNullable<Gateway['status']> {
  const { gateway } = build;
  const generation = gateway.metadata?.generation;
  const addresses = serviceAddresses(observed.service);
  const attached = attachedCounts(build);
  const own = build.listeners.map((resolved, index) => ({ resolved, index })).filter(({ resolved }) => resolved.owner.kind === 'Gateway');
  const ready = own.filter(({ resolved }) => resolved.ready).length;
  const unsupported = (gateway.spec.addresses ?? []).filter((address) => (address.type ?? 'IPAddress') !== 'IPAddress');
  // An IPAddress without a value asks for any address: the load balancer's.
  const requested = (gateway.spec.addresses ?? []).filter((address) => (address.type ?? 'IPAddress') === 'IPAddress' && address.value).map((address) => address.value!);
  const parameters = gateway.spec.infrastructure?.parametersRef;
  const accepted: Update = parameters
    ? { type: 'Accepted', status: 'False', reason: 'InvalidParameters', message: `spec.infrastructure.parametersRef: ${parameters.group}/${parameters.kind} is not a kind Portico reads; the fleet's settings come from the GatewayClass's GatewayInstallation, so leave it unset` }
    : unsupported.length
    ? { type: 'Accepted', status: 'False', reason: 'UnsupportedAddress', message: `spec.addresses: type ${unsupported.map((address) => address.type).join(', ')} is not supported; allowed: IPAddress (the fleet Service's load-balancer address)` }
    : ready === own.length
    ? { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'The Gateway is valid.' }
    : ready > 0
      ? { type: 'Accepted', status: 'True', reason: 'ListenersNotValid', message: 'Some listeners are not valid; see status.listeners.' }
      : { type: 'Accepted', status: 'False', reason: 'ListenersNotValid', message: 'No listener is valid; see status.listeners.' };
  const missing = requested.filter((value) => !addresses.some((address) => address.value === value));
  const programmed: Update = requested.length > 1
    ? { type: 'Programmed', status: 'False', reason: 'AddressNotUsable', message: `spec.addresses asks for ${requested.length} IP addresses; a fleet's Service has one load-balancer address` }
    : missing.length
      ? { type: 'Programmed', status: 'False', reason: 'AddressNotUsable', message: `spec.addresses: the load balancer has not given the fleet's Service ${missing.join(', ')}` }
      : !addresses.length
        ? { type: 'Programmed', status: 'False', reason: 'AddressNotAssigned', message: 'The fleet\'s Service has no address yet.' }
    : !observed.programmed
      ? { type: 'Programmed', status: 'False', reason: 'Pending', message: 'No Envoy of the Gateway\'s fleet has acknowledged its configuration yet.' }
      : { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'The Gateway\'s Envoys hold its configuration.' };
  const listeners = own.map(({ resolved, index }) => listenerStatus(resolved, attached.get(index) ?? 0, programmed, gateway.status?.listeners, generation, now));
  const attachedListenerSets = build.listenerSets.filter(({ set, allowed }) => allowed && build.listeners.some((resolved) => resolved.ready && sameOwner(resolved.owner, listenerSetOwner(set)))).length;
  return {
    addresses,
    conditions: conditions(gateway.status?.conditions, [accepted, programmed, ...(insecureFrontend(gateway) ? [insecureMode] : []), ...(build.backendClient ? [build.backendClient.condition] : [])], generation, now),
    listeners,
    // Reported when the Gateway admits ListenerSets at all.
    ...(gateway.spec.allowedListeners ? { attachedListenerSets } : {}),
  };
}

/** Routes attached per listener index of a build. */
function attachedCounts(build: GatewayBuild): Map<number, number> {
  const attached = new Map<number, number>();
  for (const { attachedTo } of build.routes.values()) for (const index of attachedTo) attached.set(index, (attached.get(index) ?? 0) + 1);
  return attached;
}

function listenerStatus(resolved: ResolvedListener, attachedRoutes: number, programmed: Update, current: readonly ListenerStatus[] | undefined, generation: number | undefined, now: Date): ListenerStatus {
  const previous = current?.find((listener) => listener.name === resolved.listener.name)?.conditions;
  const conflict = resolved.conditions.find((condition) => condition.type === 'Conflicted' && condition.status === 'True');
  const programmedListener: Update = resolved.ready && programmed.status === 'True'
    ? { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Envoy serves the listener.' }
    : { type: 'Programmed', status: 'False', reason: resolved.ready ? 'Pending' : (conflict?.reason ?? 'Invalid'), message: resolved.ready ? programmed.message : 'The listener is not valid; see its other conditions.' };
  return {
    name: resolved.listener.name,
    supportedKinds: resolved.kinds,
    attachedRoutes,
    conditions: conditions(previous, [...resolved.conditions, programmedListener], generation, now),
  };
}

/** A ListenerSet's status from the build of the Gateway it names (undefined: no build has it). */
export function listenerSetStatus(build: GatewayBuild, set: ListenerSet, observed: FleetObserved, now: Date): NonNullable<ListenerSet['status']> | undefined {
  const entry = build.listenerSets.find((item) => item.set.metadata?.namespace === set.metadata?.namespace && item.set.metadata?.name === set.metadata?.name);
  if (!entry) return undefined;
  const generation = set.metadata?.generation;
  const gateway = `Gateway ${build.gateway.metadata?.namespace ?? ''}/${build.gateway.metadata?.name ?? ''}`;
  const gatewayAccepted = build.listeners.some((resolved) => resolved.owner.kind === 'Gateway' && resolved.ready);
  const mine = build.listeners.map((resolved, index) => ({ resolved, index })).filter(({ resolved }) => sameOwner(resolved.owner, listenerSetOwner(set)));
  const ready = mine.filter(({ resolved }) => resolved.ready).length;
  const refusal = !entry.allowed
    ? { reason: 'NotAllowed', message: `${gateway} does not admit ListenerSets from namespace ${set.metadata?.namespace ?? ''} (its spec.allowedListeners)` }
    : !gatewayAccepted
      ? { reason: 'ParentNotAccepted', message: `${gateway} is not accepted` }
      : ready === 0
        ? { reason: 'ListenersNotValid', message: 'No listener of the set is valid; see status.listeners.' }
        : undefined;
  const accepted: Update = refusal ? { type: 'Accepted', status: 'False', ...refusal } : { type: 'Accepted', status: 'True', reason: 'Accepted', message: `The set's listeners are part of ${gateway}.` };
  const fleetProgrammed = observed.programmed && serviceAddresses(observed.service).length > 0;
  const programmed: Update = refusal
    ? { type: 'Programmed', status: 'False', ...refusal }
    : fleetProgrammed
      ? { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'The Gateway\'s Envoys serve the set\'s listeners.' }
      : { type: 'Programmed', status: 'False', reason: 'Pending', message: 'No Envoy of the Gateway\'s fleet has acknowledged its configuration yet.' };
  const attached = attachedCounts(build);
  return {
    conditions: conditions(set.status?.conditions, [accepted, programmed], generation, now),
    listeners: entry.allowed ? mine.map(({ resolved, index }) => listenerStatus(resolved, attached.get(index) ?? 0, programmed, set.status?.listeners, generation, now)) : [],
  };
}

const sameParent = (a: ParentReference, b: ParentReference) =>
  (a.group ?? '') === (b.group ?? '') && (a.kind ?? '') === (b.kind ?? '') && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name && (a.sectionName ?? '') === (b.sectionName ?? '') && (a.port ?? 0) === (b.port ?? 0);

/** A route's status.parents: ours from every build naming it, other controllers' entries kept. */
export function routeParents(kinded: KindedRoute, builds: readonly GatewayBuild[], now: Date): RouteParentStatus[] {
  const { route } = kinded;
  const key = routeKey(kinded);
  const others = (route.status?.parents ?? []).filter((parent) => parent.controllerName !== gatewayController);
  const ours: RouteParentStatus[] = [];
  for (const build of builds) {
    for (const { parentRef, conditions: updates } of build.routes.get(key)?.parents ?? []) {
      const current = route.status?.parents?.find((parent) => parent.controllerName === gatewayController && sameParent(parent.parentRef, parentRef))?.conditions;
      ours.push({ parentRef, controllerName: gatewayController, conditions: conditions(current, updates, route.metadata?.generation, now) });
    }
  }
  return [...others, ...ours];
}

/** A BackendTLSPolicy's status.ancestors: one per Gateway whose build has it, other controllers' entries kept. */
export function policyAncestors(policy: BackendTLSPolicy, builds: readonly GatewayBuild[], now: Date): PolicyAncestorStatus[] {
  const key = policyKey(policy);
  const others = (policy.status?.ancestors ?? []).filter((ancestor) => ancestor.controllerName !== gatewayController);
  const ours: PolicyAncestorStatus[] = [];
  for (const build of builds) {
    const outcome = build.policies.get(key);
    if (!outcome) continue;
    const ancestorRef: ParentReference = { group: gatewayGroup, kind: 'Gateway', namespace: build.gateway.metadata?.namespace ?? '', name: build.gateway.metadata?.name ?? '' };
    const current = policy.status?.ancestors?.find((ancestor) => ancestor.controllerName === gatewayController && sameParent(ancestor.ancestorRef, ancestorRef))?.conditions;
    ours.push({ ancestorRef, controllerName: gatewayController, conditions: conditions(current, outcome.conditions, policy.metadata?.generation, now) });
  }
  return [...others, ...ours];
}
