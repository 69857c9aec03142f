// Who came first, for every "the oldest wins" rule (installations contending for a namespace or a
// class, objects contending for a host or a port): the older creationTimestamp, then the key
// that sorts first, so that two objects created in the same second still have an order.
import type { KubernetesObject } from '@kubernetes/client-node';

/** Milliseconds since the epoch of an object's creation; 0 when unknown (it then comes first). */
export function createdAt(object: KubernetesObject): number {
  const stamp = object.metadata?.creationTimestamp;
  return stamp ? new Date(stamp).getTime() : 0;
}

export interface Aged {
  createdAt: number;
  /** Breaks a tie of creation times: the one that sorts first wins. */
  key: string;
}

/** Negative when `a` came first: a comparator for sorting oldest first. */
export function byAge(a: Aged, b: Aged): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export function objectAge(object: KubernetesObject): Aged {
  return { createdAt: createdAt(object), key: object.metadata?.name ?? '' };
}

/** A namespaced object's age: a tie of creation times goes to the namespace/name that sorts first. */
export function namespacedAge(object: KubernetesObject): Aged {
  return { createdAt: createdAt(object), key: `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}` };
}

/** Oldest first, for namespaced objects (byAge of namespacedAge). */
export function byNamespacedAge(a: KubernetesObject, b: KubernetesObject): number {
  return byAge(namespacedAge(a), namespacedAge(b));
}
