// An HTTPRoute → its fragment in one Gateway's graph: for each listener it attaches to, a host
// per hostname on the listener port's table (merged with other routes' in the Gateway API's
// precedence), each rule's matches as routes, its filters, its backends as clusters; and the
// route's status for each parentRef naming the Gateway. Pure: objects and lookups in, data out.
import type { Fragment, HostClaim, Note } from '../../graph/fragment.ts';
import { originOf } from '../../graph/origin.ts';
import { durationSeconds } from '../../api/duration.ts';
import type { ClusterIR, CorsIR, ForwardIR, HeaderMatchIR, HeaderModifiersIR, MirrorIR, GeneralRedirectIR, PathMatchIR, RedirectIR, RetryIR, RouteIR, WeightedClusterIR } from '../../../xds/ir.ts';
import { backendCluster } from '../backends.ts';
import { regexProblem } from '../re2.ts';
import { attach, parentOwner, type Attachment } from './attach.ts';
import { backendTlsOf, policyKey } from './backend-tls.ts';
import type { ResolvedListener } from './listeners.ts';
import { referencePermitted, type GatewayLookups } from './lookups.ts';
import { gatewayGroup, type AnyRoute, type BackendObjectReference, type Gateway, type GatewayListener, type GRPCRoute, type HTTPBackendRef, type HTTPHeaderFilter, type HTTPRoute, type HTTPRouteFilter, type HTTPRouteMatch, type HTTPRouteRule, type ParentReference, type RouteKind } from './types.ts';

export const gatewayApiSourceName = 'gateway-api';


export interface RouteCondition {
  type: 'Accepted' | 'ResolvedRefs';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** The route's status under one parentRef that names this Gateway. */
export interface ParentOutcome {
  parentRef: ParentReference;
  conditions: RouteCondition[];
}

export interface RouteTranslation {
  fragment: Omit<Fragment, 'reads'>;
  parents: ParentOutcome[];
  /** The indexes of the Gateway's listeners the route is attached to. */
  attachedTo: number[];
}

/** The first problem with a backend reference, as ResolvedRefs names it. */
export interface RefProblem {
  reason: 'BackendNotFound' | 'RefNotPermitted' | 'InvalidKind' | 'UnsupportedValue' | 'UnsupportedProtocol';
  message: string;
}

/** What the rules of a route resolve to: Envoy routes per match, clusters, and the first reference problem. */
export interface RulesResult {
  routes: RouteIR[];
  clusters: ClusterIR[];
  problem?: RefProblem;
  notes: Note[];
}

export const internalError: RouteIR['direct'] = { status: 500 };

export function headerModifiers(filter: HTTPHeaderFilter | undefined): HeaderModifiersIR | undefined {
  if (!filter) return undefined;
  const modifiers: HeaderModifiersIR = {
    ...(filter.set?.length ? { set: filter.set.map(({ name, value }) => ({ name, value })) } : {}),
    ...(filter.add?.length ? { add: filter.add.map(({ name, value }) => ({ name, value })) } : {}),
    ...(filter.remove?.length ? { remove: [...filter.remove] } : {}),
  };
  return Object.keys(modifiers).length ? modifiers : undefined;
}

function pathMatch(match: HTTPRouteMatch, field: string): PathMatchIR | { problem: string } {
  const type = match.path?.type ?? 'PathPrefix';
  const value = match.path?.value ?? '/';
  if (type === 'Exact') return { exact: value };
  if (type === 'PathPrefix') return value === '/' ? { prefix: '/' } : { segmentPrefix: value };
  const problem = regexProblem(value);
  return problem ? { problem: `${field}.path.value: ${problem}` } : { regex: value };
}

/** Header or query matches; of several with one name, the first counts (names of headers are case-insensitive). */
export function valueMatches(matches: HTTPRouteMatch['headers'], field: string, caseInsensitive: boolean): HeaderMatchIR[] | { problem: string } {
  const seen = new Set<string>();
  const result: HeaderMatchIR[] = [];
  for (const [index, match] of (matches ?? []).entries()) {
    const key = caseInsensitive ? match.name.toLowerCase() : match.name;
    if (seen.has(key)) continue;
    seen.add(key);
    if (match.type === 'RegularExpression') {
      const problem = regexProblem(match.value);
      if (problem) return { problem: `${field}[${index}].value: ${problem}` };
      result.push({ name: match.name, regex: match.value });
    } else {
      result.push({ name: match.name, exact: match.value });
    }
  }
  return result;
}

/** The route a backend reference belongs to: its kind (for ReferenceGrants) and namespace. */
export interface ReferringRoute {
  kind: RouteKind;
  namespace: string;
  /** Its backends are spoken to in HTTP/2 whatever their ports say (gRPC). */
  http2?: boolean;
}

export const referringRoute = (kind: RouteKind, route: AnyRoute): ReferringRoute => ({ kind, namespace: route.metadata?.namespace ?? '', ...(kind === 'GRPCRoute' ? { http2: true } : {}) });

/** A backend reference → its cluster, or why it resolves to nothing. */
export function resolveBackend(reference: BackendObjectReference, from: ReferringRoute, field: string, lookups: GatewayLookups): { cluster: ClusterIR } | { problem: RefProblem } {
  const { namespace } = from;
  const group = reference.group ?? '';
  const kind = reference.kind ?? 'Service';
  if (group !== '' || kind !== 'Service') return { problem: { reason: 'InvalidKind', message: `${field}: ${group}/${kind} is not a backend kind Portico serves; allowed: Service (group "")` } };
  const targetNamespace = reference.namespace ?? namespace;
  if (!referencePermitted(lookups, { from: { group: gatewayGroup, kind: from.kind, namespace }, to: { group: '', kind: 'Service', namespace: targetNamespace, name: reference.name } })) {
    return { problem: { reason: 'RefNotPermitted', message: `${field} names Service ${targetNamespace}/${reference.name} in another namespace, and no ReferenceGrant there permits it` } };
  }
  if (reference.port === undefined) return { problem: { reason: 'UnsupportedValue', message: `${field}.port is required for a Service` } };
  if (!lookups.service(targetNamespace, reference.name)) return { problem: { reason: 'BackendNotFound', message: `${field}: Service ${targetNamespace}/${reference.name} does not exist` } };
  const result = backendCluster({ namespace: targetNamespace, name: reference.name, port: reference.port }, true, lookups, from.http2 ? { http2: true } : {});
  if ('problem' in result) return { problem: { reason: 'BackendNotFound', message: `${field}: ${result.problem}` } };
  // The Gateway speaks TLS to backends only for the requests it proxies: a TLSRoute's or TCPRoute's bytes pass as they are.
  const http = from.kind === 'HTTPRoute' || from.kind === 'GRPCRoute';
  return { cluster: http ? withBackendTls(result.cluster, targetNamespace, reference.name, reference.port, lookups) : result.cluster };
}

/**
 * The cluster as its Service port's BackendTLSPolicy has it: TLS with the policy's SNI, CA
 * certificates and names; a policy that cannot be used leaves the cluster without endpoints, so
 * that its requests fail (503) instead of going unverified or in clear text.
 */
function withBackendTls(cluster: ClusterIR, namespace: string, service: string, port: number, lookups: GatewayLookups): ClusterIR {
  const servicePort = lookups.service(namespace, service)?.spec?.ports?.find((candidate) => candidate.port === port);
  const { applied } = backendTlsOf(namespace, service, servicePort, lookups);
  if (!applied) return cluster;
  const name = `${cluster.name}/tls/${policyKey(applied.policy)}`;
  if (!applied.tls) return { name: `${name}/refused`, connectTimeoutSeconds: cluster.connectTimeoutSeconds, endpoints: [] };
  return { ...cluster, name, tls: { serverName: applied.tls.serverName, ca: applied.tls.ca, subjectAltNames: applied.tls.subjectAltNames } };
}

function cors(filter: HTTPRouteFilter): CorsIR | undefined {
  const settings = (filter as { cors?: { allowOrigins?: string[]; allowMethods?: string[]; allowHeaders?: string[]; exposeHeaders?: string[]; allowCredentials?: boolean; maxAge?: number } }).cors;
  if (!settings) return undefined;
  return {
    allowOrigins: settings.allowOrigins ?? [],
    ...(settings.allowMethods?.length ? { allowMethods: settings.allowMethods } : {}),
    ...(settings.allowHeaders?.length ? { allowHeaders: settings.allowHeaders } : {}),
    ...(settings.exposeHeaders?.length ? { exposeHeaders: settings.exposeHeaders } : {}),
    ...(settings.allowCredentials === undefined ? {} : { allowCredentials: settings.allowCredentials }),
    ...(settings.maxAge === undefined ? {} : { maxAgeSeconds: settings.maxAge }),
  };
}

const httpFilterTypes = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS'];

const redirectStatuses = [301, 302, 303, 307, 308] as const;

/** The spec's default is 302; the CRD allows only the codes Envoy has names for. */
function redirectStatus(code: number | undefined): GeneralRedirectIR['status'] {
  return redirectStatuses.find((status) => status === code) ?? 302;
}

/**
 * A rule's retry and backend timeout as one Envoy retry policy. The spec asks for retries on
 * connection errors whenever a retry stanza is present, and on the listed codes; the backend
 * timeout bounds each try.
 */
function retryOf(rule: HTTPRouteRule): RetryIR | undefined {
  const perTry = rule.timeouts?.backendRequest ? { perTryTimeoutSeconds: durationSeconds(rule.timeouts.backendRequest) } : {};
  const retry = rule.retry;
  if (!retry) return Object.keys(perTry).length ? { attempts: 0, ...perTry } : undefined;
  const codes = retry.codes ?? [];
  return {
    // Without attempts the count is the implementation's: Envoy's default of one retry.
    attempts: retry.attempts ?? 1,
    retryOn: ['connect-failure', 'reset', ...(codes.length ? ['retriable-status-codes'] : [])],
    ...(codes.length ? { statusCodes: [...codes] } : {}),
    ...(retry.backoff ? { backoffSeconds: durationSeconds(retry.backoff) } : {}),
    ...perTry,
  };
}

/** What a rule's filters make of its routes: route-level changes, a redirect, a rewrite, mirrors. */
export interface RuleFilters {
  common: Partial<Pick<RouteIR, 'requestHeaderModifiers' | 'responseHeaderModifiers' | 'cors'>>;
  redirect?: RedirectIR;
  rewrite?: Pick<ForwardIR, 'hostRewrite' | 'pathRewrite'>;
  mirrors: MirrorIR[];
  problem?: RefProblem;
}

/** `allowed`: the filter types the route kind has; another is told as unsupported. */
export function ruleFilters(filters: readonly HTTPRouteFilter[], from: ReferringRoute, field: string, lookups: GatewayLookups, clusters: ClusterIR[], allowed: readonly string[] = httpFilterTypes): RuleFilters {
  const result: RuleFilters = { common: {}, mirrors: [] };
  for (const [index, filter] of filters.entries()) {
    const where = `${field}.filters[${index}]`;
    if (!allowed.includes(filter.type)) {
      result.problem ??= { reason: 'UnsupportedValue', message: `${where}.type: ${filter.type} is not served; allowed: ${allowed.join(', ')}` };
      continue;
    }
    switch (filter.type) {
      case 'RequestHeaderModifier': {
        const modifiers = headerModifiers(filter.requestHeaderModifier);
        if (modifiers) result.common.requestHeaderModifiers = modifiers;
        break;
      }
      case 'ResponseHeaderModifier': {
        const modifiers = headerModifiers(filter.responseHeaderModifier);
        if (modifiers) result.common.responseHeaderModifiers = modifiers;
        break;
      }
      case 'RequestRedirect': {
        const redirect = filter.requestRedirect ?? {};
        const path = redirect.path;
        result.redirect = {
          ...(redirect.scheme === 'http' || redirect.scheme === 'https' ? { scheme: redirect.scheme } : {}),
          ...(redirect.hostname ? { host: redirect.hostname } : {}),
          ...(redirect.port ? { port: redirect.port } : {}),
          ...(path?.type === 'ReplaceFullPath' ? { path: { full: path.replaceFullPath ?? '/' } } : path?.type === 'ReplacePrefixMatch' ? { path: { prefix: path.replacePrefixMatch ?? '/' } } : {}),
          status: redirectStatus(redirect.statusCode),
        };
        break;
      }
      case 'URLRewrite': {
        const rewrite = filter.urlRewrite ?? {};
        const path = rewrite.path;
        result.rewrite = {
          ...(rewrite.hostname ? { hostRewrite: rewrite.hostname } : {}),
          ...(path?.type === 'ReplaceFullPath' ? { pathRewrite: { full: path.replaceFullPath ?? '/' } } : path?.type === 'ReplacePrefixMatch' ? { pathRewrite: { prefix: path.replacePrefixMatch ?? '/' } } : {}),
        };
        break;
      }
      case 'RequestMirror': {
        const mirror = filter.requestMirror;
        if (!mirror) break;
        const resolved = resolveBackend(mirror.backendRef, from, `${where}.requestMirror.backendRef`, lookups);
        if ('problem' in resolved) {
          result.problem ??= resolved.problem;
          break;
        }
        clusters.push(resolved.cluster);
        const percent = mirror.percent ?? (mirror.fraction ? (100 * mirror.fraction.numerator) / (mirror.fraction.denominator ?? 100) : undefined);
        result.mirrors.push({ cluster: resolved.cluster.name, ...(percent === undefined ? {} : { percent }) });
        break;
      }
      case 'CORS': {
        const policy = cors(filter);
        if (policy) result.common.cors = policy;
        break;
      }
    }
  }
  return result;
}

/** A rule's backends as weighted clusters; the weight of those that resolve to nothing, and the first problem. */
export function ruleSplits(backendRefs: readonly HTTPBackendRef[] | undefined, from: ReferringRoute, field: string, lookups: GatewayLookups, clusters: ClusterIR[]): { splits: WeightedClusterIR[]; invalidWeight: number; problem?: RefProblem } {
  const splits: WeightedClusterIR[] = [];
  let invalidWeight = 0;
  let problem: RefProblem | undefined;
  for (const [index, backend] of (backendRefs ?? []).entries()) {
    const weight = backend.weight ?? 1;
    const where = `${field}.backendRefs[${index}]`;
    const resolved = resolveBackend(backend, from, where, lookups);
    if ('problem' in resolved) {
      problem ??= resolved.problem;
      invalidWeight += weight;
      continue;
    }
    if (weight === 0) continue;
    clusters.push(resolved.cluster);
    const filters = backendFilters(backend);
    splits.push({ cluster: resolved.cluster.name, weight, ...filters });
  }
  return { splits, invalidWeight, ...(problem ? { problem } : {}) };
}

function backendFilters(backend: HTTPBackendRef): Pick<WeightedClusterIR, 'requestHeaderModifiers' | 'responseHeaderModifiers'> {
  const request = headerModifiers(backend.filters?.find((filter) => filter.type === 'RequestHeaderModifier')?.requestHeaderModifier);
  const response = headerModifiers(backend.filters?.find((filter) => filter.type === 'ResponseHeaderModifier')?.responseHeaderModifier);
  return { ...(request ? { requestHeaderModifiers: request } : {}), ...(response ? { responseHeaderModifiers: response } : {}) };
}

function rules(route: HTTPRoute, lookups: GatewayLookups): RulesResult {
  const routes: RouteIR[] = [];
  const clusters: ClusterIR[] = [];
  const notes: Note[] = [];
  let problem: RefProblem | undefined;
  const routeName = `${route.metadata?.namespace ?? ''}/${route.metadata?.name ?? ''}`;
  for (const [ruleIndex, rule] of (route.spec.rules ?? []).entries()) {
    const field = `spec.rules[${ruleIndex}]`;
    const from = referringRoute('HTTPRoute', route);
    const filters = ruleFilters(rule.filters ?? [], from, field, lookups, clusters);
    const { splits, invalidWeight, problem: backendProblem } = ruleSplits(rule.backendRefs, from, field, lookups, clusters);
    problem ??= filters.problem ?? backendProblem;
    let action: Pick<RouteIR, 'forward' | 'redirect' | 'direct'>;
    if (filters.problem) action = { direct: internalError };
    else if (filters.redirect) action = { redirect: filters.redirect };
    else if (!splits.length) action = { direct: internalError };
    else {
      const timeouts = rule.timeouts;
      const retry = retryOf(rule);
      const forward: ForwardIR = {
        // Requests that would go to an invalid backend get 500: Envoy has no such split, so the
        // valid ones keep their share and the invalid share is noted.
        clusters: splits,
        ...filters.rewrite,
        ...(timeouts?.request ? { timeoutSeconds: durationSeconds(timeouts.request) } : {}),
        ...(retry ? { retry } : {}),
        ...(filters.mirrors.length ? { mirrors: filters.mirrors } : {}),
      };
      if (invalidWeight > 0) notes.push({ reason: backendProblem?.reason ?? 'BackendNotFound', message: `${field}: the share of invalid backends is served by the valid ones` });
      action = { forward };
    }
    const matches = rule.matches?.length ? rule.matches : [{}];
    for (const [matchIndex, match] of matches.entries()) {
      const where = `${field}.matches[${matchIndex}]`;
      const path = pathMatch(match, where);
      const headers = valueMatches(match.headers, `${where}.headers`, true);
      const query = valueMatches(match.queryParams, `${where}.queryParams`, false);
      const invalid = 'problem' in path ? path.problem : 'problem' in headers ? headers.problem : 'problem' in query ? query.problem : undefined;
      if (invalid !== undefined || 'problem' in path || 'problem' in headers || 'problem' in query) {
        problem ??= { reason: 'UnsupportedValue', message: invalid ?? '' };
        continue;
      }
      routes.push({
        name: `${routeName}/rule/${ruleIndex}/match/${matchIndex}`,
        ...path,
        ...(headers.length ? { headers } : {}),
        ...(query.length ? { query } : {}),
        ...(match.method ? { method: match.method } : {}),
        ...filters.common,
        ...action,
      });
    }
  }
  return { routes, clusters, notes, ...(problem ? { problem } : {}) };
}

export const accepted = (message: string): RouteCondition => ({ type: 'Accepted', status: 'True', reason: 'Accepted', message });

/**
 * A route's rules as one listener serves them: a redirect that names neither scheme nor port
 * keeps the listener's port (the spec's rule; Envoy would keep the Host header's, which a client
 * need not send), unless that is the protocol's own port, which the Location leaves out.
 */
function onListener(routes: RouteIR[], listener: GatewayListener): RouteIR[] {
  const defaultPort = listener.protocol === 'HTTPS' ? 443 : 80;
  if (listener.port === defaultPort) return routes;
  return routes.map((route) => (route.redirect && !('httpsRedirect' in route.redirect) && !route.redirect.scheme && !route.redirect.port
    ? { ...route, redirect: { ...route.redirect, port: listener.port } }
    : route));
}

/** An HTTPRoute in one Gateway's graph: its hosts on the listeners it attaches to, and its status under each parentRef naming the Gateway. */
export function translateHTTPRoute(route: HTTPRoute, gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): RouteTranslation {
  return translateHostRoute('HTTPRoute', route, rules(route, lookups), gateway, listeners, lookups);
}

/**
 * A route that puts hosts on HTTP tables (an HTTPRoute, a GRPCRoute), its rules resolved: its
 * hosts on the listeners it attaches to, and its status under each parentRef naming the Gateway.
 */
export function translateHostRoute(kind: RouteKind, route: HTTPRoute | GRPCRoute, resolved: RulesResult, gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): RouteTranslation {
  const origin = originOf(gatewayApiSourceName, kind, route);
  const { parents, attachments } = attachRoute(kind, route, route.spec.hostnames ?? [], gateway, listeners, lookups);
  const tableHosts = new Map<string, { names: Set<string>; listener: ResolvedListener }>();
  for (const { listener, hostnames: served } of attachments) {
    if (!listener.ready) continue; // counted, not served
    const entry = tableHosts.get(listener.table) ?? { names: new Set<string>(), listener };
    for (const hostname of served) entry.names.add(hostname);
    tableHosts.set(listener.table, entry);
  }
  const refs = resolvedRefs(resolved.problem);
  for (const parent of parents) parent.conditions.push(refs);

  const hosts: HostClaim[] = [];
  for (const [table, { names, listener }] of tableHosts) {
    const routes = onListener(resolved.routes, listener.listener);
    for (const hostname of [...names].sort()) {
      hosts.push({ table, mode: 'merged', field: 'spec.hostnames', host: { name: hostname, domains: [hostname], routes } });
    }
  }
  const clusters = new Map(resolved.clusters.map((cluster) => [cluster.name, cluster]));
  return {
    fragment: {
      origin,
      generation: route.metadata?.generation ?? 0,
      version: String(route.metadata?.generation ?? 0),
      ...(resolved.notes.length ? { notes: resolved.notes } : {}),
      listeners: [],
      hosts,
      clusters: [...clusters.values()],
      secrets: [],
      tlsChains: [],
    },
    parents,
    attachedTo: [...new Set(attachments.map(({ index }) => index))].sort((a, b) => a - b),
  };
}

/** ResolvedRefs from the first problem of a route's references. */
export function resolvedRefs(problem: RefProblem | undefined): RouteCondition {
  return problem
    ? { type: 'ResolvedRefs', status: 'False', reason: problem.reason, message: problem.message }
    : { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Every reference resolved.' };
}

/**
 * The listeners a route of any kind attaches to through its parentRefs naming this Gateway (or a
 * set of it), with the hostnames it serves on each, and its Accepted condition under each
 * parentRef (ResolvedRefs is the caller's to add).
 */
export function attachRoute(kind: RouteKind, route: AnyRoute, hostnames: readonly string[], gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): { parents: ParentOutcome[]; attachments: Attachment[] } {
  const namespace = route.metadata?.namespace ?? '';
  const parents: ParentOutcome[] = [];
  const attachments: Attachment[] = [];
  for (const parentRef of route.spec.parentRefs ?? []) {
    const owner = parentOwner(parentRef, namespace, gateway, listeners);
    if (!owner) continue;
    const result = attach(parentRef, { kind, namespace, hostnames }, gateway, listeners, lookups, owner);
    if (!result.accepted) {
      parents.push({ parentRef, conditions: [{ type: 'Accepted', status: 'False', reason: result.reason, message: result.message }] });
      continue;
    }
    attachments.push(...result.attachments);
    parents.push({ parentRef, conditions: [accepted('The route is attached to the Gateway.')] });
  }
  return { parents, attachments };
}
