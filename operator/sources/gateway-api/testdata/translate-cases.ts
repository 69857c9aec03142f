// The Gateway API golden cases, shared by the golden test and the Envoy validation of their IRs:
// each case's Gateways built as the source builds them (build.ts: the Gateway's part, then each
// route naming it, translated alone) from a default installation, merged into the Gateway's graph.
import type { V1ConfigMap, V1EndpointSlice, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayIR } from '../../../../xds/ir.ts';
import { mergeFragments } from '../../../graph/merge.ts';
import { defaultInstallation, listLookups } from '../../knative/testdata/translate-cases.ts';
import { buildGatewayGraph, routeKey, type KindedRoute } from '../build.ts';
import type { GatewayLookups } from '../lookups.ts';
import type { GatewayBuild } from '../source.ts';
import { byListenerSetPrecedence, listenerSetAllowed, listenerSetKey, listenerSetParent } from '../listener-sets.ts';
import { policyKey } from '../backend-tls.ts';
import { gatewayStatus, listenerSetStatus, policyAncestors, routeParents } from '../status.ts';
import type { BackendTLSPolicy, Gateway, GRPCRoute, HTTPRoute, ListenerSet, PolicyAncestorStatus, ReferenceGrant, RouteParentStatus, StreamRoute } from '../types.ts';

const casesDirectory = new URL('./translate/', import.meta.url);

export const gatewayApiCases = readdirSync(casesDirectory).sort();

interface CaseInput {
  gateways: Gateway[];
  httpRoutes?: HTTPRoute[];
  grpcRoutes?: GRPCRoute[];
  tlsRoutes?: StreamRoute[];
  tcpRoutes?: StreamRoute[];
  services?: V1Service[];
  endpointSlices?: V1EndpointSlice[];
  secrets?: V1Secret[];
  namespaces?: V1Namespace[];
  referenceGrants?: ReferenceGrant[];
  configMaps?: V1ConfigMap[];
  listenerSets?: ListenerSet[];
  backendTlsPolicies?: BackendTLSPolicy[];
}

export interface GatewayApiCaseResult {
  /** By Gateway namespace/name: its graph's resources and its status. */
  gateways: Record<string, { ir: GatewayIR; status: NonNullable<Gateway['status']> }>;
  /** By route kind/namespace/name: its status.parents. */
  routes: Record<string, RouteParentStatus[]>;
  /** By ListenerSet namespace/name: its status (cases with ListenerSets only). */
  listenerSets?: Record<string, NonNullable<ListenerSet['status']>>;
  /** By BackendTLSPolicy namespace/name: its status.ancestors (cases with policies only). */
  backendTlsPolicies?: Record<string, PolicyAncestorStatus[]>;
}

/** Statuses are computed at this moment, so that lastTransitionTime is stable. */
const now = new Date('2026-01-01T00:00:00Z');

export function gatewayApiCase(name: string): GatewayApiCaseResult {
  const input = parseYaml(readFileSync(new URL(`${name}/input.yaml`, casesDirectory), 'utf8')) as CaseInput;
  const base = listLookups(input.services ?? [], input.endpointSlices ?? [], input.secrets ?? []);
  const lookups: GatewayLookups = {
    ...base,
    namespace: (namespaceName) => (input.namespaces ?? []).find((namespace) => namespace.metadata?.name === namespaceName),
    referenceGrants: (namespace) => (input.referenceGrants ?? []).filter((grant) => grant.metadata?.namespace === namespace),
    configMap: (namespace, name) => (input.configMaps ?? []).find((configMap) => configMap.metadata?.namespace === namespace && configMap.metadata.name === name),
    backendTlsPolicies: (namespace) => (input.backendTlsPolicies ?? []).filter((policy) => policy.metadata?.namespace === namespace),
  };
  const routes: KindedRoute[] = [
    ...(input.httpRoutes ?? []).map((route) => ({ kind: 'HTTPRoute' as const, route })),
    ...(input.grpcRoutes ?? []).map((route) => ({ kind: 'GRPCRoute' as const, route })),
    ...(input.tlsRoutes ?? []).map((route) => ({ kind: 'TLSRoute' as const, route })),
    ...(input.tcpRoutes ?? []).map((route) => ({ kind: 'TCPRoute' as const, route })),
  ];
  const result: GatewayApiCaseResult = { gateways: {}, routes: {} };
  const builds: GatewayBuild[] = [];
  for (const gateway of input.gateways) {
    const named = (input.listenerSets ?? []).filter((set) => {
      const parent = listenerSetParent(set);
      return parent?.namespace === gateway.metadata?.namespace && parent?.name === gateway.metadata?.name;
    }).sort(byListenerSetPrecedence);
    const listenerSets = named.map((set) => ({ set, allowed: listenerSetAllowed(gateway, set, lookups) }));
    const admitted = listenerSets.filter(({ allowed }) => allowed).map(({ set }) => set);
    const { part, fragments, listeners, routes: built, policies, backendClient } = buildGatewayGraph(gateway, defaultInstallation, lookups, admitted, routes);
    const { ir } = mergeFragments(part, fragments);
    const build: GatewayBuild = { gateway, installation: 'kourier', listeners, routes: built, listenerSets, policies, ...(backendClient ? { backendClient } : {}) };
    builds.push(build);
    const service: V1Service = { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '198.18.128.1' }] } } };
    result.gateways[`${gateway.metadata?.namespace ?? ''}/${gateway.metadata?.name ?? ''}`] = { ir, status: gatewayStatus(build, { service, programmed: true }, now) };
    for (const { set } of listenerSets) {
      const status = listenerSetStatus(build, set, { service, programmed: true }, now);
      if (status) (result.listenerSets ??= {})[listenerSetKey(set)] = status;
    }
  }
  for (const route of routes) result.routes[routeKey(route)] = routeParents(route, builds, now);
  for (const policy of input.backendTlsPolicies ?? []) (result.backendTlsPolicies ??= {})[policyKey(policy)] = policyAncestors(policy, builds, now);
  return result;
}
