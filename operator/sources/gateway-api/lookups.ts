// What the Gateway API's translators read besides Services, EndpointSlices and Secrets:
// Namespaces (a listener's allowedRoutes selects them by label), ReferenceGrants (which
// cross-namespace references a namespace permits), ConfigMaps (CA certificates) and
// BackendTLSPolicies (TLS towards Services). Each read is named, as the cluster lookups
// name theirs, so that a change rebuilds only the Gateways whose graphs read it.
import type { V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import { watching, type WatchSource } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import { recording, type ClusterLookups, type Lookups } from '../lookups.ts';
import type { BackendTLSPolicy, ReferenceGrant } from './types.ts';

export const namespaceRead = (name: string): string => `namespace:${name}`;
export const referenceGrantsRead = (namespace: string): string => `referencegrants:${namespace}`;
export const configMapRead = (namespace: string, name: string): string => `configmap:${namespace}/${name}`;
export const backendTlsPoliciesRead = (namespace: string): string => `backendtlspolicies:${namespace}`;

export interface GatewayLookups extends Lookups {
  namespace(name: string): V1Namespace | undefined;
  /** The ReferenceGrants in a namespace: what it lets objects of other namespaces refer to. */
  referenceGrants(namespace: string): readonly ReferenceGrant[];
  /** A ConfigMap: CA certificates for client-certificate validation (key ca.crt). */
  configMap(namespace: string, name: string): V1ConfigMap | undefined;
  /** The BackendTLSPolicies in a namespace: how the Gateway speaks TLS to its Services. */
  backendTlsPolicies(namespace: string): readonly BackendTLSPolicy[];
}

export class ClusterGatewayLookups {
  readonly cluster: ClusterLookups;
  private readonly namespaces: ResourceInformer<V1Namespace>;
  private readonly grants: ResourceInformer<ReferenceGrant>;
  private readonly configMaps: ResourceInformer<V1ConfigMap>;
  private readonly policies: ResourceInformer<BackendTLSPolicy>;

  constructor(cluster: ClusterLookups, namespaces: ResourceInformer<V1Namespace>, grants: ResourceInformer<ReferenceGrant>, configMaps: ResourceInformer<V1ConfigMap>, policies: ResourceInformer<BackendTLSPolicy>) {
    this.cluster = cluster;
    this.namespaces = namespaces;
    this.grants = grants;
    this.configMaps = configMaps;
    this.policies = policies;
  }

  /** Lookups that remember what they were asked for, as read names. */
  recording(): { lookups: GatewayLookups; reads: Set<string> } {
    const { lookups, reads } = recording(this.cluster);
    return {
      reads,
      lookups: {
        ...lookups,
        namespace: (name) => {
          reads.add(namespaceRead(name));
          return this.namespaces.get(name);
        },
        referenceGrants: (namespace) => {
          reads.add(referenceGrantsRead(namespace));
          return this.grants.list().filter((grant) => grant.metadata?.namespace === namespace);
        },
        configMap: (namespace, name) => {
          reads.add(configMapRead(namespace, name));
          return this.configMaps.get(name, namespace);
        },
        backendTlsPolicies: (namespace) => {
          reads.add(backendTlsPoliciesRead(namespace));
          return this.policies.list().filter((policy) => policy.metadata?.namespace === namespace);
        },
      },
    };
  }

  /** Watches that wake the fleets whose graphs read a changed Namespace or a namespace's ReferenceGrants. */
  watches(readersOf: (read: string) => string[]): WatchSource[] {
    return [
      watching(this.namespaces, (namespace) => readersOf(namespaceRead(namespace.metadata?.name ?? ''))),
      watching(this.grants, (grant) => readersOf(referenceGrantsRead(grant.metadata?.namespace ?? ''))),
      watching(this.configMaps, (configMap) => readersOf(configMapRead(configMap.metadata?.namespace ?? '', configMap.metadata?.name ?? ''))),
      watching(this.policies, (policy) => readersOf(backendTlsPoliciesRead(policy.metadata?.namespace ?? ''))),
    ];
  }
}

/** A reference from an object to another, for ReferenceGrant's rules. */
export interface Reference {
  from: { group: string; kind: string; namespace: string };
  to: { group: string; kind: string; namespace: string; name: string };
}

/** Whether a reference may be followed: same namespace, or a ReferenceGrant in the target's namespace permits it. */
export function referencePermitted(lookups: Pick<GatewayLookups, 'referenceGrants'>, { from, to }: Reference): boolean {
  if (from.namespace === to.namespace) return true;
  return lookups.referenceGrants(to.namespace).some((grant) =>
    grant.spec.from.some((entry) => entry.group === from.group && entry.kind === from.kind && entry.namespace === from.namespace)
    && grant.spec.to.some((entry) => entry.group === to.group && entry.kind === to.kind && (entry.name === undefined || entry.name === '' || entry.name === to.name)));
}

/** Whether a label selector selects labels (an empty selector selects everything). */
export function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    if (operator === 'In' && !(has && values.includes(labels[key]!))) return false;
    if (operator === 'NotIn' && has && values.includes(labels[key]!)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
