// A route's path match read back from the IR, for what compares or describes routes: the
// translation to Envoy, the graph's claims and its ordering of shared hosts, the picture.
import type { PathMatchIR, RouteIR } from './ir.ts';

export type PathMatchKind = 'prefix' | 'segmentPrefix' | 'exact' | 'regex';

export function pathMatchOf(match: PathMatchIR): { kind: PathMatchKind; value: string } {
  if ('prefix' in match) return { kind: 'prefix', value: match.prefix };
  if ('segmentPrefix' in match) return { kind: 'segmentPrefix', value: match.segmentPrefix };
  if ('exact' in match) return { kind: 'exact', value: match.exact };
  return { kind: 'regex', value: match.regex };
}

/**
 * Which of two routes on one host goes first when objects share the host: exact paths, then
 * prefixes and regular expressions, the longest first (Ingress's precedence; ingress-nginx
 * orders its regular expression paths by length too, and the Gateway API leaves regular
 * expressions to the implementation). Negative when `a` goes first; 0 keeps the given order.
 */
export function bySpecificity(a: PathMatchIR, b: PathMatchIR): number {
  const rank = (match: PathMatchIR) => {
    const { kind, value } = pathMatchOf(match);
    return kind === 'exact' ? [0, -value.length] : [1, -value.length];
  };
  const [left, right] = [rank(a), rank(b)];
  return left[0]! - right[0]! || left[1]! - right[1]!;
}

/** "/api", "= /login", "~ ^/v[0-9]+/", "/docs/ (segments)", as a person reads a path match. */
export function describePathMatch(match: PathMatchIR): string {
  const { kind, value } = pathMatchOf(match);
  return kind === 'exact' ? `= ${value}` : kind === 'regex' ? `~ ${value}` : kind === 'segmentPrefix' ? `${value} (segments)` : value;
}

/**
 * The Gateway API's precedence of routes merged on one host (HTTPRoute's spec.rules): the path
 * first (exact, then prefixes and regular expressions by length), then a method match, then
 * more header matches, then more query matches. Negative when `a` goes first; 0 keeps the
 * given order, which holds the rest of the rule: the older route, then rule order.
 */
export function byGatewayPrecedence(a: RouteIR, b: RouteIR): number {
  return bySpecificity(a, b)
    || Number(b.method !== undefined) - Number(a.method !== undefined)
    || (b.headers?.length ?? 0) - (a.headers?.length ?? 0)
    || (b.query?.length ?? 0) - (a.query?.length ?? 0);
}
