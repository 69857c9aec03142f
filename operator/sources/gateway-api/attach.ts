// Which listeners of a Gateway a route's parentRef attaches it to, and the hostnames it then
// serves on each: the parentRef's sectionName and port, the listener's allowedRoutes
// (namespaces and kinds), and the intersection of the route's hostnames with the listener's.
// Attachment does not depend on the listener being valid (the spec counts a route attached to a
// listener with unresolved references); serving does. Pure; the reasons are the spec's.
import { selects, type GatewayLookups } from './lookups.ts';
import { gatewayOwner, moreSpecific, sameOwner, type ListenerOwner, type ResolvedListener } from './listeners.ts';
import { gatewayGroup, type Gateway, type ParentReference } from './types.ts';

/** Whether a parentRef names this Gateway (of a route in `routeNamespace`). */
export function namesGateway(reference: ParentReference, routeNamespace: string, gateway: Gateway): boolean {
  return (reference.group ?? gatewayGroup) === gatewayGroup
    && (reference.kind ?? 'Gateway') === 'Gateway'
    && (reference.namespace ?? routeNamespace) === gateway.metadata?.namespace
    && reference.name === gateway.metadata.name;
}

/**
 * Whose listeners a parentRef names in this Gateway's graph: the Gateway's own, or those of a
 * ListenerSet attached to it (a route naming the Gateway does not reach a set's listeners).
 */
export function parentOwner(reference: ParentReference, routeNamespace: string, gateway: Gateway, listeners: readonly ResolvedListener[]): ListenerOwner | undefined {
  if (namesGateway(reference, routeNamespace, gateway)) return gatewayOwner(gateway);
  if ((reference.group ?? gatewayGroup) !== gatewayGroup || reference.kind !== 'ListenerSet') return undefined;
  const owner: ListenerOwner = { kind: 'ListenerSet', namespace: reference.namespace ?? routeNamespace, name: reference.name };
  return listeners.some((listener) => sameOwner(listener.owner, owner)) ? owner : undefined;
}

/** Whether a hostname matches another, either a wildcard (*.example.com matches any name under example.com). */
function wildcardCovers(wildcard: string, name: string): boolean {
  return wildcard.startsWith('*.') && name.endsWith(wildcard.slice(1)) && name.length > wildcard.length - 1;
}

/** What a route hostname and a listener hostname have in common: the more specific of the two, if they overlap. */
export function intersectHostname(route: string, listener: string | undefined): string | undefined {
  if (listener === undefined || route === listener) return route;
  if (wildcardCovers(listener, route)) return route;
  if (wildcardCovers(route, listener)) return listener;
  return undefined;
}

/**
 * The hostnames a route serves on a listener: '*' for any when neither names one. A name that a
 * more specific listener on the same port covers is that listener's (the spec's listener
 * isolation): the route does not serve it here.
 */
export function routeHostnames(routeNames: readonly string[], listener: string | undefined, siblings: ReadonlyArray<string | undefined> = []): string[] {
  if (!routeNames.length) return [listener ?? '*'];
  const ownedElsewhere = (name: string) => siblings.some((sibling) => sibling !== undefined && moreSpecific(sibling, listener) && intersectHostname(name, sibling) === name);
  return [...new Set(routeNames.flatMap((name) => intersectHostname(name, listener) ?? []))].filter((name) => !ownedElsewhere(name));
}

export interface Attachment {
  listener: ResolvedListener;
  index: number;
  hostnames: string[];
}

export type AttachResult =
  | { accepted: true; attachments: Attachment[] }
  | { accepted: false; reason: 'NoMatchingParent' | 'NotAllowedByListeners' | 'NoMatchingListenerHostname'; message: string };

function namespaceAllowed(listener: ResolvedListener, routeNamespace: string, lookups: Pick<GatewayLookups, 'namespace'>): boolean {
  const from = listener.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  // Same: the namespace of whoever declares the listener (a ListenerSet's own, not its Gateway's).
  if (from === 'Same') return routeNamespace === listener.owner.namespace;
  if (from === 'Selector') return selects(listener.listener.allowedRoutes?.namespaces?.selector, lookups.namespace(routeNamespace)?.metadata?.labels ?? {});
  return false;
}

export function attach(
  reference: ParentReference,
  route: { kind: string; namespace: string; hostnames: readonly string[] },
  gateway: Gateway,
  listeners: readonly ResolvedListener[],
  lookups: Pick<GatewayLookups, 'namespace'>,
  owner: ListenerOwner = gatewayOwner(gateway),
): AttachResult {
  const candidates = listeners
    .map((listener, index) => ({ listener, index }))
    .filter(({ listener }) => sameOwner(listener.owner, owner) && (reference.sectionName === undefined || listener.listener.name === reference.sectionName) && (reference.port === undefined || listener.listener.port === reference.port));
  const parent = `${owner.kind} ${owner.namespace}/${owner.name}`;
  if (!candidates.length) {
    const which = [reference.sectionName === undefined ? '' : `sectionName "${reference.sectionName}"`, reference.port === undefined ? '' : `port ${reference.port}`].filter(Boolean).join(' and ');
    return { accepted: false, reason: 'NoMatchingParent', message: `${parent} has no listener with ${which}` };
  }
  const allowed = candidates.filter(({ listener }) => listener.kinds.some((kind) => kind.kind === route.kind) && namespaceAllowed(listener, route.namespace, lookups));
  if (!allowed.length) return { accepted: false, reason: 'NotAllowedByListeners', message: `No listener of ${parent} that the parentRef names takes ${route.kind}s from namespace ${route.namespace} (see each listener's allowedRoutes)` };
  const siblingsOf = (listener: ResolvedListener) => listeners.filter((other) => other !== listener && other.ready && other.listener.port === listener.listener.port).map((other) => other.listener.hostname);
  const attachments = allowed.map(({ listener, index }) => ({ listener, index, hostnames: routeHostnames(route.hostnames, listener.listener.hostname, siblingsOf(listener)) })).filter((attachment) => attachment.hostnames.length);
  if (!attachments.length) return { accepted: false, reason: 'NoMatchingListenerHostname', message: `spec.hostnames share no hostname with the listeners of ${parent} the route may attach to` };
  return { accepted: true, attachments };
}
