// Where an element of the graph came from: the object (its source, kind, namespace and name)
// and when it was created, for the rule that the oldest claimant of anything wins.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createdAt, type Aged } from '../kube/age.ts';

export interface Origin extends Aged {
  /** The source that translated it, e.g. "knative": whose status writer hears of its outcome. */
  source: string;
  /** The kind as users name it, e.g. "KIngress". */
  kind: string;
  namespace: string;
  name: string;
  /** `${kind}:${namespace}/${name}`: unique across sources. */
  key: string;
}

export function originKey(kind: string, namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}

export function originOf(source: string, kind: string, object: KubernetesObject): Origin {
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  return { source, kind, namespace, name, key: originKey(kind, namespace, name), createdAt: createdAt(object) };
}

/** "KIngress default/hello", as messages name an object. */
export function describe(origin: Origin): string {
  return `${origin.kind} ${origin.namespace ? `${origin.namespace}/` : ''}${origin.name}`;
}
