// A GRPCRoute → its fragment in one Gateway's graph, as an HTTPRoute's is (httproute.ts): gRPC is
// HTTP/2, so a method match is a match of the path (/service/method), its header matches and
// filters are HTTPRoute's, and every backend is spoken to in HTTP/2 (h2c). Pure.
import type { Note } from '../../graph/fragment.ts';
import type { ClusterIR, PathMatchIR, RouteIR } from '../../../xds/ir.ts';
import { regexProblem } from '../re2.ts';
import { internalError, referringRoute, ruleFilters, ruleSplits, translateHostRoute, valueMatches, type RefProblem, type RouteTranslation, type RulesResult } from './httproute.ts';
import type { ResolvedListener } from './listeners.ts';
import type { GatewayLookups } from './lookups.ts';
import type { Gateway, GRPCMethodMatch, GRPCRoute } from './types.ts';

const grpcFilterTypes = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror'];

/** Any one path segment: a service or a method not named. */
const anySegment = '[^/]+';
const escapeRegex = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** The path a method match asks for: /service/method exactly, the service's prefix, or an expression. */
export function methodPath(match: GRPCMethodMatch | undefined, field: string): PathMatchIR | { problem: string } {
  if (!match || (!match.service && !match.method)) return { prefix: '/' };
  const { service, method } = match;
  if ((match.type ?? 'Exact') === 'Exact') {
    if (service && method) return { exact: `/${service}/${method}` };
    if (service) return { prefix: `/${service}/` };
    return { regex: `/${anySegment}/${escapeRegex(method ?? '')}` };
  }
  for (const [name, value] of [['service', service], ['method', method]] as const) {
    const problem = value ? regexProblem(value) : undefined;
    if (problem) return { problem: `${field}.method.${name}: ${problem}` };
  }
  return { regex: `/${service || anySegment}/${method || anySegment}` };
}

function grpcRules(route: GRPCRoute, lookups: GatewayLookups): RulesResult {
  const routes: RouteIR[] = [];
  const clusters: ClusterIR[] = [];
  const notes: Note[] = [];
  let problem: RefProblem | undefined;
  const from = referringRoute('GRPCRoute', route);
  const routeName = `${route.metadata?.namespace ?? ''}/${route.metadata?.name ?? ''}`;
  for (const [ruleIndex, rule] of (route.spec.rules ?? []).entries()) {
    const field = `spec.rules[${ruleIndex}]`;
    const filters = ruleFilters(rule.filters ?? [], from, field, lookups, clusters, grpcFilterTypes);
    const { splits, invalidWeight, problem: backendProblem } = ruleSplits(rule.backendRefs, from, field, lookups, clusters);
    problem ??= filters.problem ?? backendProblem;
    const action: Pick<RouteIR, 'forward' | 'direct'> = filters.problem || !splits.length
      ? { direct: internalError }
      : { forward: { clusters: splits, ...(filters.mirrors.length ? { mirrors: filters.mirrors } : {}) } };
    if (action.forward && invalidWeight > 0) notes.push({ reason: backendProblem?.reason ?? 'BackendNotFound', message: `${field}: the share of invalid backends is served by the valid ones` });
    const matches = rule.matches?.length ? rule.matches : [{}];
    for (const [matchIndex, match] of matches.entries()) {
      const where = `${field}.matches[${matchIndex}]`;
      const path = methodPath(match.method, where);
      const headers = valueMatches(match.headers, `${where}.headers`, true);
      if ('problem' in path || 'problem' in headers) {
        problem ??= { reason: 'UnsupportedValue', message: 'problem' in path ? path.problem : (headers as { problem: string }).problem };
        continue;
      }
      routes.push({
        name: `${routeName}/rule/${ruleIndex}/match/${matchIndex}`,
        ...path,
        ...(headers.length ? { headers } : {}),
        ...filters.common,
        ...action,
      });
    }
  }
  return { routes, clusters, notes, ...(problem ? { problem } : {}) };
}

/** A GRPCRoute in one Gateway's graph: its hosts on the listeners it attaches to, and its status under each parentRef naming the Gateway. */
export function translateGRPCRoute(route: GRPCRoute, gateway: Gateway, listeners: readonly ResolvedListener[], lookups: GatewayLookups): RouteTranslation {
  return translateHostRoute('GRPCRoute', route, grpcRules(route, lookups), gateway, listeners, lookups);
}
