// ListenerSets: which Gateway a set names, whether that Gateway lets it in
// (spec.allowedListeners), and the order in which sets' listeners are considered after the
// Gateway's own (the spec's: the older set first, then namespace and name). Pure.
import { byNamespacedAge } from '../../kube/age.ts';
import { selects, type GatewayLookups } from './lookups.ts';
import { gatewayGroup, type Gateway, type ListenerSet } from './types.ts';

/** namespace/name of the Gateway a ListenerSet names, if it names one. */
export function listenerSetParent(set: ListenerSet): { namespace: string; name: string } | undefined {
  const reference = set.spec.parentRef;
  if ((reference.group ?? gatewayGroup) !== gatewayGroup || (reference.kind ?? 'Gateway') !== 'Gateway') return undefined;
  return { namespace: reference.namespace ?? set.metadata?.namespace ?? '', name: reference.name };
}

/** Whether the Gateway's allowedListeners admits a ListenerSet of this namespace (None unless said). */
export function listenerSetAllowed(gateway: Gateway, set: ListenerSet, lookups: Pick<GatewayLookups, 'namespace'>): boolean {
  const namespaces = gateway.spec.allowedListeners?.namespaces;
  const from = namespaces?.from ?? 'None';
  const namespace = set.metadata?.namespace ?? '';
  if (from === 'All') return true;
  if (from === 'Same') return namespace === gateway.metadata?.namespace;
  if (from === 'Selector') return selects(namespaces?.selector, lookups.namespace(namespace)?.metadata?.labels ?? {});
  return false;
}

/** The older set first; of sets made in the same second, by namespace and name. */
export const byListenerSetPrecedence: (a: ListenerSet, b: ListenerSet) => number = byNamespacedAge;

export const listenerSetKey = (set: ListenerSet): string => `${set.metadata?.namespace ?? ''}/${set.metadata?.name ?? ''}`;
