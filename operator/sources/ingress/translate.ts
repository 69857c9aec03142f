// One Kubernetes Ingress (networking.k8s.io/v1) → its fragment of the installation's graph, as
// the API specifies: a virtual host per rule host, shared path by path with the installation's
// other Ingresses (the graph decides who owns a path); Exact, Prefix (by whole path elements)
// and ImplementationSpecific (by characters, as ingress-nginx's locations) paths; a wildcard
// host matching one label only; the defaultBackend for hosts no rule names; TLS by SNI. What
// the Ingress's annotations ask of its routes comes in as RouteSettings (route-settings.ts);
// canary Ingresses of its paths come in as Canaries. What cannot be served of an Ingress that
// is otherwise good (a missing Service, a resource backend, a missing Secret) becomes a note,
// and the rest serves. Pure: what it reads comes in as arguments.
import type { V1HTTPIngressPath, V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import type { ClusterIR, DirectResponseIR, ForwardIR, HeaderMatchIR, PathMatchIR, PathRewriteIR, RouteIR, SecretIR, VirtualHostIR, WeightedClusterIR } from '../../../xds/ir.ts';
import type { Fragment, HostClaim, Note, TlsChainClaim } from '../../graph/fragment.ts';
import { installationTables } from '../../graph/installation.ts';
import { originOf, type Origin } from '../../graph/origin.ts';
import { pathMatchOf } from '../../../xds/path-match.ts';
import { backendCluster } from '../backends.ts';
import { captureGroups, re2Problem, regexProblem } from '../re2.ts';
import type { Lookups } from '../lookups.ts';
import { tlsSecret } from '../tls-secret.ts';
import { canaryCookieRegex, canaryHeaderRegex, type IngressCanary } from './annotations.ts';
import type { RouteSettings } from './route-settings.ts';

/** The source's name in origins: whose status writer hears of an Ingress's outcome. */
export const ingressSourceName = 'ingress';
export const ingressKind = 'Ingress';

const acmePrefix = '/.well-known/acme-challenge/';

export function ingressKey(ingress: V1Ingress): string {
  return `${ingress.metadata?.namespace ?? ''}/${ingress.metadata?.name ?? ''}`;
}

export function ingressOrigin(ingress: V1Ingress): Origin {
  return originOf(ingressSourceName, ingressKind, ingress);
}

/** A path of a canary Ingress that takes part of a path of this Ingress (ingress-nginx's canary, as its annotations say). */
export interface CanaryPath extends IngressCanary {
  /** The rule host and path the canary shares with this Ingress. */
  host: string;
  pathType: string;
  path: string;
  /** The canary Ingress, for messages. */
  canary: string;
  namespace: string;
  backend: V1IngressBackend;
}

/** What translation makes of an Ingress: its fragment, less what it read. */
export type IngressFragment = Omit<Fragment, 'reads'>;

/** A host as Envoy compares it; "" (a rule without host) is every host. */
function hostOf(host: string | undefined): string {
  return (host ?? '').toLowerCase() || '*';
}

// A DNS name, or one leading "*." label: the API's validation, which the apiserver applies too.
const hostPattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function domainsOf(host: string): string[] {
  // A wildcard cannot also take a port wildcard: Envoy allows one "*" per domain.
  return host === '*' || host.startsWith('*.') ? [host] : [host, `${host}:*`];
}

const escapeRegex = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * Envoy's "*.example.com" takes any depth; the API's takes one label: each route of the host
 * checks it. By the suffix as written, or for a name too long for Envoy's RE2 limit by its
 * count of dots (the virtual host has matched the suffix); undefined when neither fits.
 */
function wildcardGuard(host: string): HeaderMatchIR[] | undefined {
  if (!host.startsWith('*.')) return [];
  const bySuffix = `(?i)[^.]+${escapeRegex(host.slice(1))}(:[0-9]+)?`;
  const byDots = `[^.]+(?:\\.[^.]*){${host.split('.').length - 1}}`;
  const regex = [bySuffix, byDots].find((candidate) => regexProblem(candidate) === undefined);
  return regex === undefined ? undefined : [{ name: ':authority', regex }];
}

/** The path match of an Ingress path; regular expressions (use-regex) start at the path's start, in any case, as ingress-nginx's. */
export function pathMatch(path: string, pathType: string, regex: boolean): PathMatchIR {
  if (pathType === 'Exact') return { exact: path };
  if (regex) return { regex: `(?i)(?:${path}).*` };
  return pathType === 'Prefix' ? { segmentPrefix: path } : { prefix: path };
}

class PathProblem extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

interface Translation {
  ingress: V1Ingress;
  namespace: string;
  lookups: Lookups;
  settings: RouteSettings;
  clusters: Map<string, ClusterIR>;
  notes: Note[];
}

/** A path's backend as a cluster: a missing Service answers 503 until it exists; a bad port or a resource is a problem. */
function backendOf(backend: V1IngressBackend | undefined, field: string, t: Translation): WeightedClusterIR {
  if (backend?.resource) throw new PathProblem('InvalidBackend', `${field}.resource: ${backend.resource.kind} ${backend.resource.name} is a resource backend; Portico serves only Service backends`);
  const service = backend?.service;
  if (!service?.name) throw new PathProblem('InvalidBackend', `${field}.service: a backend needs a Service name and port`);
  const port = service.port?.number ?? service.port?.name;
  if (port === undefined || port === '') throw new PathProblem('InvalidBackend', `${field}.service.port: give the Service port's number or name`);
  if (!t.lookups.service(t.namespace, service.name)) {
    t.notes.push({ reason: 'BackendNotFound', message: `${field}.service.name: Service ${t.namespace}/${service.name} does not exist; the path answers 503 until it does` });
  }
  const result = backendCluster({ namespace: t.namespace, name: service.name, port }, true, t.lookups, t.settings.upstream);
  if ('problem' in result) throw new PathProblem('BackendNotFound', `${field}.service.port: ${result.problem}`);
  t.clusters.set(result.cluster.name, result.cluster);
  return { cluster: result.cluster.name, weight: 1 };
}

/** Forwarding as the annotations have it: the path rewritten, the timeouts. */
function forwardTo(clusters: WeightedClusterIR[], t: Translation, pathRewrite?: PathRewriteIR): ForwardIR {
  const { idleTimeoutSeconds, retry } = t.settings;
  return { clusters, ...(pathRewrite ? { pathRewrite } : {}), ...(idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds }), ...(retry ? { retry } : {}) };
}

/**
 * rewrite-target as nginx applies it: the whole path is replaced by the target, in which \1 …
 * stand for the groups of the path's expression; the query stays.
 */
function rewriteOf(path: string, pathType: string, field: string, t: Translation): PathRewriteIR | undefined {
  const target = t.settings.rewriteTarget;
  if (target === undefined) return undefined;
  const pattern = `(?i)^(?:${path}).*`;
  const groups = pathType === 'Exact' ? 0 : captureGroups(pattern);
  const used = Math.max(0, ...[...target.matchAll(/\\([1-9])/g)].map((match) => Number(match[1])));
  if (used > groups) throw new PathProblem('InvalidAnnotation', `${field}.path: rewrite-target uses group $${used}, but "${path}" has ${groups} group${groups === 1 ? '' : 's'}; the path is not served`);
  // An Exact path is the whole path already (and as an expression could pass Envoy's limit); a target without groups has no backslash.
  if (pathType === 'Exact') return { full: target };
  const problem = regexProblem(pattern);
  if (problem) throw new PathProblem('InvalidPath', `${field}.path: "${path}" is a regular expression here, and as Envoy rewrites with it (from the path's start, in any case) it ${problem}; the path is not served`);
  return { regex: pattern, substitution: target };
}

/** The routes of one path: a canary's header and cookie routes first, then the path's own (split by the canary's weight). */
function pathRoutes(guard: HeaderMatchIR[], path: V1HTTPIngressPath, field: string, canary: CanaryPath | undefined, t: Translation): RouteIR[] {
  const value = path.path || '/';
  if (!value.startsWith('/')) throw new PathProblem('InvalidPath', `${field}.path: "${value}" must start with /`);
  const regex = t.settings.regexPaths && path.pathType !== 'Exact';
  // In an expression, ? and the like are its syntax.
  if (!regex && /[\s?#\0]/.test(value)) throw new PathProblem('InvalidPath', `${field}.path: "${value}" holds a space, ? or #: a path match sees only the path`);
  if (regex) {
    const problem = re2Problem(value);
    if (problem) throw new PathProblem('InvalidPath', `${field}.path: "${value}" is a regular expression here (use-regex or rewrite-target) and ${problem}; the path is not served`);
  }
  const match = pathMatch(value, path.pathType, t.settings.regexPaths);
  if ('regex' in match) {
    const problem = regexProblem(match.regex);
    if (problem) throw new PathProblem('InvalidPath', `${field}.path: "${value}" is a regular expression here (use-regex or rewrite-target), and as Envoy matches with it (from the path's start, in any case) it ${problem}; the path is not served`);
  }
  const rewrite = rewriteOf(value, path.pathType, field, t);
  const policies = t.settings.routePolicies;
  const route = (headers: HeaderMatchIR[], action: Pick<RouteIR, 'forward' | 'redirect' | 'direct'>): RouteIR => ({
    ...match,
    ...(headers.length || guard.length ? { headers: [...guard, ...headers] } : {}),
    ...policies,
    ...action,
  });
  if (t.settings.denied) return [route([], { direct: deniedResponse(t.settings.denied) })];
  if (t.settings.redirect) return [route([], { redirect: t.settings.redirect })];
  let primary: WeightedClusterIR;
  try {
    primary = backendOf(path.backend, `${field}.backend`, t);
  } catch (error) {
    if (!(error instanceof PathProblem)) throw error;
    // A Service port that is not there answers 503 on its path, as ingress-nginx's does; the other paths serve.
    if (error.reason === 'BackendNotFound') {
      t.notes.push({ reason: error.reason, message: `${error.message}; the path answers 503` });
      return [route([], { direct: { status: 503, body: 'no healthy upstream: the Ingress backend does not exist\n' } })];
    }
    throw new PathProblem(error.reason, `${error.message}; the path is not served`);
  }
  if (!canary) return [route([], { forward: forwardTo([primary], t, rewrite) })];
  let canaryCluster: WeightedClusterIR;
  try {
    canaryCluster = backendOf(canary.backend, `the canary Ingress ${canary.namespace}/${canary.canary}'s backend`, { ...t, namespace: canary.namespace });
  } catch (error) {
    // A canary that cannot be reached takes nothing; the path serves on without it.
    if (!(error instanceof PathProblem)) throw error;
    t.notes.push({ reason: error.reason, message: `${field}: ${error.message}; the path's requests all go to its own backend` });
    return [route([], { forward: forwardTo([primary], t, rewrite) })];
  }
  const toCanary = { forward: forwardTo([canaryCluster], t, rewrite) };
  const toPrimary = { forward: forwardTo([primary], t, rewrite) };
  const routes: RouteIR[] = [];
  if (canary.header) {
    if (canary.headerValue) routes.push(route([{ name: canary.header, exact: canary.headerValue }], toCanary));
    // ingress-nginx searches the value with the pattern; Envoy's must match it whole.
    else if (canary.headerPattern) routes.push(route([{ name: canary.header, regex: canaryHeaderRegex(canary.headerPattern) }], toCanary));
    else routes.push(route([{ name: canary.header, exact: 'always' }], toCanary), route([{ name: canary.header, exact: 'never' }], toPrimary));
  }
  if (canary.cookie) {
    const cookie = (value: 'always' | 'never') => [{ name: 'cookie', regex: canaryCookieRegex(canary.cookie!, value) }];
    routes.push(route(cookie('always'), toCanary), route(cookie('never'), toPrimary));
  }
  const weight = Math.min(canary.weight ?? 0, canary.weightTotal);
  const split = weight === 0 ? [primary] : weight === canary.weightTotal ? [canaryCluster] : [{ ...primary, weight: canary.weightTotal - weight }, { ...canaryCluster, weight }];
  routes.push(route([], { forward: forwardTo(split, t, rewrite) }));
  return routes;
}

/** The hosts that take a certificate, and the chains and secrets for them; a missing Secret is a note (the default certificate serves). */
function tlsOf(t: Translation, ruleHosts: string[]): { chains: TlsChainClaim[]; secrets: SecretIR[]; tlsHosts: Set<string> } {
  const chains: TlsChainClaim[] = [];
  const secrets = new Map<string, SecretIR>();
  const tlsHosts = new Set<string>();
  const named = new Set((t.ingress.spec?.tls ?? []).flatMap((entry) => (entry.hosts ?? []).map(hostOf)));
  const claimed = new Set<string>();
  for (const [index, entry] of (t.ingress.spec?.tls ?? []).entries()) {
    const field = `spec.tls[${index}]`;
    // An entry without hosts covers the rule hosts no other entry names.
    const hosts = entry.hosts?.length ? entry.hosts.map(hostOf) : ruleHosts.filter((host) => !named.has(host) && host !== '*');
    for (const host of hosts) tlsHosts.add(host);
    if (!entry.secretName) continue;
    const result = tlsSecret(t.lookups.secret(t.namespace, entry.secretName), t.namespace, entry.secretName);
    if ('problem' in result) {
      t.notes.push({ reason: result.problem.reason, message: `${field}.secretName: ${result.problem.message}; ${hosts.join(', ') || 'its hosts'} are served with the installation's default certificate, if it has one` });
      continue;
    }
    // A name takes the first entry's certificate: Envoy refuses two chains for one name.
    const serverNames = hosts.filter((host) => host !== '*' && !claimed.has(host));
    for (const host of serverNames) claimed.add(host);
    if (!serverNames.length) continue;
    secrets.set(result.secret.name, result.secret);
    chains.push({ table: installationTables.externalTls, chain: { serverNames: serverNames.sort(), secret: result.secret.name } });
  }
  return { chains, secrets: [...secrets.values()], tlsHosts };
}

/** The key under which a canary's path meets its primary's. */
export function canaryPathKey(host: string, pathType: string, path: string): string {
  return JSON.stringify([hostOf(host), pathType, path || '/']);
}

export function translateIngress(ingress: V1Ingress, lookups: Lookups, settings: RouteSettings, canaries: readonly CanaryPath[], annotationNotes: readonly Note[]): IngressFragment {
  const origin = ingressOrigin(ingress);
  const generation = ingress.metadata?.generation ?? 0;
  const version = String(generation);
  const namespace = ingress.metadata?.namespace ?? '';
  const t: Translation = { ingress, namespace, lookups, settings, clusters: new Map(settings.clusters.map((cluster) => [cluster.name, cluster])), notes: [...annotationNotes] };
  const canaryOf = new Map(canaries.map((canary) => [canaryPathKey(canary.host, canary.pathType, canary.path), canary]));
  const hosts: Array<{ host: string; field: string; routes: RouteIR[]; acme: boolean[] }> = [];
  const rules = ingress.spec?.rules ?? [];
  if (!rules.length && !ingress.spec?.defaultBackend) {
    return { origin, generation, version, refusal: { reason: 'InvalidIngress', message: 'spec: an Ingress needs rules or a defaultBackend' }, listeners: [], hosts: [], clusters: [], secrets: [], tlsChains: [] };
  }
  for (const [ruleIndex, rule] of rules.entries()) {
    const field = `spec.rules[${ruleIndex}]`;
    const host = hostOf(rule.host);
    if (host !== '*' && !hostPattern.test(host)) {
      t.notes.push({ reason: 'InvalidHost', message: `${field}.host: "${rule.host}" is not a DNS name (a wildcard may only be the first label, as in *.example.com); the rule is not served` });
      continue;
    }
    const guard = wildcardGuard(host);
    if (!guard) {
      t.notes.push({ reason: 'InvalidHost', message: `${field}.host: "${rule.host}" has too many labels for the check that its wildcard takes one label only (Envoy's regular expression limit); the rule is not served` });
      continue;
    }
    const routes: RouteIR[] = [];
    const acme: boolean[] = [];
    for (const [pathIndex, path] of (rule.http?.paths ?? []).entries()) {
      const pathField = `${field}.http.paths[${pathIndex}]`;
      try {
        const made = pathRoutes(guard, path, pathField, canaryOf.get(canaryPathKey(host, path.pathType, path.path ?? '/')), t);
        routes.push(...made);
        acme.push(...made.map(() => (path.path ?? '').startsWith(acmePrefix)));
      } catch (error) {
        if (!(error instanceof PathProblem)) throw error;
        t.notes.push({ reason: error.reason, message: error.message });
      }
    }
    if (routes.length) hosts.push({ host, field, routes, acme });
  }
  const ruleHosts = [...new Set(hosts.map(({ host }) => host))];
  const tls = tlsOf(t, ruleHosts);
  if (ingress.spec?.defaultBackend) {
    try {
      const backend = backendOf(ingress.spec.defaultBackend, 'spec.defaultBackend', t);
      const fallback: RouteIR = { prefix: '/', ...settings.routePolicies, ...(settings.denied ? { direct: deniedResponse(settings.denied) } : { forward: forwardTo([backend], t) }) };
      // Envoy gives a deeper name (a.b.example.com) to the wildcard's host, whose routes refuse it:
      // there it falls back to this Ingress's defaultBackend too.
      for (const entry of hosts) {
        if (!entry.host.startsWith('*.')) continue;
        entry.routes.push(fallback);
        entry.acme.push(false);
      }
      hosts.push({ host: '*', field: 'spec.defaultBackend', routes: [fallback], acme: [false] });
    } catch (error) {
      if (!(error instanceof PathProblem)) throw error;
      t.notes.push({ reason: error.reason, message: `${error.message}; the defaultBackend is not served` });
    }
  }
  const claims: HostClaim[] = [];
  for (const { host, field, routes, acme } of hosts) {
    const name = `ingress/${host}`;
    const domains = domainsOf(host);
    const plain: VirtualHostIR = { name, domains, routes };
    // Plain HTTP to a TLS host is redirected only when asked (ssl-redirect), as the API leaves it; ACME challenges still reach their solver.
    const redirected = settings.forceSslRedirect || (settings.sslRedirect && tls.tlsHosts.has(host));
    const external = redirected
      ? { name, domains, routes: routes.map((route, index) => (acme[index] ? route : { ...pathOnly(route), redirect: { scheme: 'https' as const, status: 308 as const } })) }
      : plain;
    claims.push(
      { table: installationTables.external, host: external, mode: 'paths', field },
      { table: installationTables.externalTls, host: plain, mode: 'paths', field },
      // The internal Service answers every host from inside the cluster.
      { table: installationTables.internal, host: plain, mode: 'paths', field },
    );
  }
  const notes = t.notes.length ? { notes: t.notes } : {};
  return { origin, generation, version, ...notes, listeners: [], hosts: claims, clusters: [...t.clusters.values()], secrets: tls.secrets, tlsChains: tls.chains };
}

/** What a route answers while an access-control annotation of its Ingress is bad (ingress-nginx's 503). */
function deniedResponse(annotations: readonly string[]): DirectResponseIR {
  return { status: 503, body: `refused: the Ingress's ${annotations.join(', ')} cannot be read (see its Events)\n` };
}

/** A route's match without its action and policies, for the redirect that replaces it (a source range still applies). */
function pathOnly(route: RouteIR): RouteIR {
  const { kind, value } = pathMatchOf(route);
  const match = { [kind]: value } as PathMatchIR;
  return { ...match, ...(route.headers ? { headers: route.headers } : {}), ...(route.sourceRanges ? { sourceRanges: route.sourceRanges } : {}) };
}
