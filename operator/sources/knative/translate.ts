// One KIngress → its fragment of the installation's graph (virtual hosts on the installation's
// route tables, clusters, certificates and TLS chains), as Kourier translates it: a virtual host per rule with the rule's hosts and their cluster-local short
// names, routes by longest path prefix, exact and presence header matches, weighted splits,
// headers set at path and split level, host rewrite, no timeout and no retries, the https
// redirect, and the Knative probe answered by Envoy itself. Pure: what it reads comes in as
// arguments. A KIngress Envoy would reject is refused whole, with a reason naming the field.
import type { ClusterIR, HeaderMatchIR, RouteCommonIR, SecretIR, VirtualHostIR, WeightedClusterIR } from '../../../xds/ir.ts';
import type { Fragment, HostClaim, TlsChainClaim } from '../../graph/fragment.ts';
import { installationTables } from '../../graph/installation.ts';
import { originOf, type Origin } from '../../graph/origin.ts';
import { backendCluster } from '../backends.ts';
import type { Lookups } from '../lookups.ts';
import { tlsSecret } from '../tls-secret.ts';
import { disableHttp2Annotation, type HTTPIngressPath, type KnativeIngress, type IngressRule } from './types.ts';

export const probeHeader = 'K-Network-Probe';
export const hashHeader = 'K-Network-Hash';
const acmePrefix = '/.well-known/acme-challenge/';

/** The source's name in origins: whose status writer hears of a KIngress's outcome. */
export const knativeSourceName = 'knative';
/** The kind as messages name it. */
export const knativeKind = 'KIngress';

export interface KnativeOptions {
  /** The cluster's DNS domain, for the short names of cluster-local hosts. */
  clusterDomain: string;
  /** Answer `httpOption: Redirected` with a redirect to https (off: serve plain HTTP anyway). */
  honorHttpOption: boolean;
  /** The installation checks requests with an authorization service: tell it each host's visibility and labels. */
  authorizationContext?: boolean;
}

/** What translation makes of a KIngress: its fragment, less what it read (the translation cache records that). */
export type IngressFragment = Omit<Fragment, 'reads'>;

export function ingressKey(ingress: KnativeIngress): string {
  return `${ingress.metadata?.namespace ?? ''}/${ingress.metadata?.name ?? ''}`;
}

export function ingressOrigin(ingress: KnativeIngress): Origin {
  return originOf(knativeSourceName, knativeKind, ingress);
}

/** A host with the short names Knative gives cluster-local hosts (name.ns.svc.<domain> → name.ns.svc, name.ns). */
export function expandedHosts(hosts: readonly string[], clusterDomain: string): string[] {
  const expanded = new Set<string>();
  for (const host of hosts) {
    for (const suffix of ['', `.${clusterDomain}`, `.svc.${clusterDomain}`]) {
      if (suffix && !host.endsWith(suffix)) continue;
      const short = host.slice(0, host.length - suffix.length);
      const topLevel = short.split('.').pop() ?? '';
      // Knative keeps only names whose last label could be a top-level domain.
      if (topLevel.length <= 63 && !/^[0-9]+$/.test(topLevel)) expanded.add(short);
    }
  }
  return [...expanded].sort();
}

// What Envoy accepts as a virtual host domain: a name, optionally with one leading or trailing wildcard.
const hostPattern = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/i;
// RFC 7230 token: what a header name may be.
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Envoy refuses to set these on a request.
const reservedHeaders = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);
// The longest header name or value Envoy sets (HeaderValue's max_bytes).
const maxHeaderBytes = 16_384;

/** Knative matches paths by character prefix only (as Kourier does). */
type PrefixRoute = RouteCommonIR & { prefix: string };

class Refusal extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

function checkHeaders(headers: Record<string, string> | undefined, field: string): Record<string, string> | undefined {
  if (!headers || Object.keys(headers).length === 0) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (!headerNamePattern.test(name) || reservedHeaders.has(name.toLowerCase())) {
      throw new Refusal('InvalidHeader', `${field}: "${name}" cannot be set on a request: a header name is a token (letters, digits, !#$%&'*+.^_\`|~-) and not ${[...reservedHeaders].join(', ')}`);
    }
    if (Buffer.byteLength(name) > maxHeaderBytes) throw new Refusal('InvalidHeader', `${field}: "${name.slice(0, 40)}…" is a header name of ${Buffer.byteLength(name)} bytes; Envoy sets none over ${maxHeaderBytes}`);
    if (/[\0\r\n]/.test(value)) throw new Refusal('InvalidHeader', `${field}.${name}: a header value may not hold NUL, CR or LF`);
    if (Buffer.byteLength(value) > maxHeaderBytes) throw new Refusal('InvalidHeader', `${field}.${name}: the value has ${Buffer.byteLength(value)} bytes; Envoy sets none over ${maxHeaderBytes}`);
  }
  return headers;
}

function headerMatches(path: HTTPIngressPath, field: string): HeaderMatchIR[] {
  return Object.entries(path.headers ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, match]) => {
      if (!headerNamePattern.test(name)) throw new Refusal('InvalidHeader', `${field}.headers: "${name}" is not a header name`);
      // An empty exact value asks only that the header be there (Knative's tag routing).
      return match.exact ? { name, exact: match.exact } : { name };
    });
}

interface Backends {
  clusters: Map<string, ClusterIR>;
  http2Allowed: boolean;
  lookups: Lookups;
}

function forwardRoute(path: HTTPIngressPath, field: string, backends: Backends): PrefixRoute {
  const prefix = path.path || '/';
  if (!prefix.startsWith('/')) throw new Refusal('InvalidPath', `${field}.path: "${prefix}" must start with /`);
  if (path.rewriteHost !== undefined && path.rewriteHost !== '' && !hostPattern.test(path.rewriteHost)) {
    throw new Refusal('InvalidHost', `${field}.rewriteHost: "${path.rewriteHost}" is not a host name`);
  }
  // The CRD's range, which Knative's validation enforces; Envoy adds weights up in 32 bits.
  for (const [index, split] of path.splits.entries()) {
    if (split.percent !== undefined && (split.percent < 0 || split.percent > 100)) {
      throw new Refusal('InvalidSplits', `${field}.splits[${index}].percent: ${split.percent} is not between 0 and 100`);
    }
  }
  // One split takes everything whatever its percent; of several, those at 0% get nothing.
  const splits = path.splits.length === 1 ? path.splits.map((split) => ({ ...split, percent: 100 })) : path.splits.filter((split) => (split.percent ?? 0) > 0);
  if (splits.length === 0) throw new Refusal('InvalidSplits', `${field}.splits: no split has a percent above 0`);
  const clusters: WeightedClusterIR[] = splits.map((split, index) => {
    const result = backendCluster({ namespace: split.serviceNamespace, name: split.serviceName, port: split.servicePort }, backends.http2Allowed, backends.lookups);
    if ('problem' in result) throw new Refusal('ServicePortNotFound', `${field}.splits[${index}]: ${result.problem}`);
    backends.clusters.set(result.cluster.name, result.cluster);
    const setHeaders = checkHeaders(split.appendHeaders, `${field}.splits[${index}].appendHeaders`);
    return { cluster: result.cluster.name, weight: split.percent ?? 0, ...(setHeaders ? { setHeaders } : {}) };
  });
  const setHeaders = checkHeaders(path.appendHeaders, `${field}.appendHeaders`);
  const headers = headerMatches(path, field);
  return {
    prefix,
    ...(headers.length ? { headers } : {}),
    // ACME challenges must reach their solver whatever the authorization service says.
    ...(prefix.startsWith(acmePrefix) ? { skipAuthorization: true } : {}),
    forward: { clusters, ...(setHeaders ? { setHeaders } : {}), ...(path.rewriteHost ? { hostRewrite: path.rewriteHost } : {}) },
  };
}

/** Longest prefix first; equal prefixes keep the KIngress's order (tag routes before their fallback). */
function byPrefixLength(routes: PrefixRoute[]): PrefixRoute[] {
  return routes.map((route, index) => ({ route, index })).sort((a, b) => b.route.prefix.length - a.route.prefix.length || a.index - b.index).map(({ route }) => route);
}

function probeRoute(hash: string): PrefixRoute {
  return {
    name: 'knative-probe',
    prefix: '/',
    headers: [{ name: probeHeader, exact: 'probe' }, { name: hashHeader, exact: 'override' }],
    direct: { status: 200, responseHeaders: { [hashHeader]: hash } },
    // Knative's prober asks the gateway itself, not an application behind the authorization service.
    skipAuthorization: true,
  };
}

function ruleHosts(rule: IngressRule, field: string, clusterDomain: string): string[] {
  const hosts = rule.hosts?.length ? rule.hosts : ['*'];
  for (const [index, host] of hosts.entries()) {
    if (!hostPattern.test(host)) throw new Refusal('InvalidHost', `${field}.hosts[${index}]: "${host}" is not a host name (a wildcard may only lead, as in *.example.com)`);
  }
  // Envoy compares domains in lower case: Example.com and example.com are one domain, which
  // only one virtual host may claim.
  const expanded = expandedHosts(hosts.map((host) => host.toLowerCase()), clusterDomain);
  // A virtual host needs a domain.
  if (expanded.length === 0) throw new Refusal('InvalidHost', `${field}.hosts: Knative serves none of these hosts (it drops a host whose last label is all digits or longer than 63 characters)`);
  return expanded;
}

/**
 * One SNI filter chain per Secret, with the TLS hosts its entries name that the KIngress's own
 * rules serve: ExternalIP hosts on the external HTTPS listener, ClusterLocal ones on the internal.
 */
function tlsChains(ingress: KnativeIngress, lookups: Lookups, visibilityOf: Map<string, Set<'external' | 'internal'>>): { tlsChains: TlsChainClaim[]; secrets: SecretIR[] } {
  const chains = { external: new Map<string, string[]>(), internal: new Map<string, string[]>() };
  const secrets = new Map<string, SecretIR>();
  const claimed = new Set<string>();
  for (const [index, entry] of (ingress.spec.tls ?? []).entries()) {
    const field = `spec.tls[${index}]`;
    const namespace = entry.secretNamespace || ingress.metadata?.namespace || '';
    const name = entry.secretName ?? '';
    const result = tlsSecret(lookups.secret(namespace, name), namespace, name);
    if ('problem' in result) throw new Refusal(result.problem.reason, `${field}: ${result.problem.message}`);
    secrets.set(result.secret.name, result.secret);
    for (const [hostIndex, entryHost] of (entry.hosts ?? []).entries()) {
      // Envoy compares server names in lower case, as it does domains.
      const host = entryHost.toLowerCase();
      const visibilities = visibilityOf.get(host) ?? new Set();
      if (host === '*' && visibilities.size) throw new Refusal('InvalidHost', `${field}.hosts[${hostIndex}]: "*" cannot select a certificate: Envoy matches a server name whole or by a leading "*."`);
      for (const visibility of visibilities) {
        // A host takes the first entry that names it; Envoy refuses two chains for one name.
        if (claimed.has(`${visibility} ${host}`)) continue;
        claimed.add(`${visibility} ${host}`);
        chains[visibility].set(result.secret.name, [...(chains[visibility].get(result.secret.name) ?? []), host]);
      }
    }
  }
  // External certificates serve the external HTTPS listener, internal ones the internal HTTPS listener, which serves the internal table.
  const toChains = (bySecret: Map<string, string[]>, table: string) => [...bySecret].map(([secret, serverNames]) => ({ table, chain: { serverNames: serverNames.sort(), secret } }));
  return { tlsChains: [...toChains(chains.external, installationTables.externalTls), ...toChains(chains.internal, installationTables.internal)], secrets: [...secrets.values()] };
}

export function translateIngress(ingress: KnativeIngress, hash: string, lookups: Lookups, options: KnativeOptions): IngressFragment {
  const key = ingressKey(ingress);
  const origin = ingressOrigin(ingress);
  const generation = ingress.metadata?.generation ?? 0;
  const backends: Backends = {
    clusters: new Map(),
    http2Allowed: ingress.metadata?.annotations?.[disableHttp2Annotation] !== 'true',
    lookups,
  };
  const claims: HostClaim[] = [];
  const redirected = options.honorHttpOption && ingress.spec.httpOption === 'Redirected';
  // Which HTTPS listener each host of the rules is served on, for the TLS entries.
  const visibilityOf = new Map<string, Set<'external' | 'internal'>>();
  try {
    for (const [ruleIndex, rule] of (ingress.spec.rules ?? []).entries()) {
      const field = `spec.rules[${ruleIndex}]`;
      if (!rule.http) throw new Refusal('InvalidRule', `${field}.http: a rule needs paths`);
      const hosts = ruleHosts(rule, field, options.clusterDomain);
      const routes = rule.http.paths.map((path, pathIndex) => forwardRoute(path, `${field}.http.paths[${pathIndex}]`, backends));
      const domains = hosts.flatMap((host) => (host === '*' ? [host] : [host, `${host}:*`]));
      const name = `${key}/${hosts[0] ?? '*'}`;
      const visibility = rule.visibility || 'ExternalIP';
      const external = visibility === 'ExternalIP';
      // Kourier's context extensions: the client, the visibility and the KIngress's labels.
      const context = options.authorizationContext ? { authorizationContext: { ...ingress.metadata?.labels, client: 'kourier', visibility } } : {};
      const plain = { name, domains, routes: [probeRoute(hash), ...byPrefixLength(routes)], ...context };
      // A KIngress owns its hosts whole: Knative gives every host one KIngress.
      const add = (table: string, host: VirtualHostIR) => {
        claims.push({ table, host, mode: 'whole', field });
      };
      add(installationTables.internal, plain);
      if (external) {
        // Redirected: plain HTTP answers 301 to https, except ACME challenges, which must reach their solver.
        const acme = routes.filter((route) => route.prefix.startsWith(acmePrefix));
        add(installationTables.external, redirected ? { name, domains, routes: [probeRoute(hash), ...byPrefixLength(acme), { prefix: '/', redirect: { httpsRedirect: true } }], ...context } : plain);
        add(installationTables.externalTls, plain);
      }
      for (const host of (rule.hosts ?? []).map((name) => name.toLowerCase())) visibilityOf.set(host, new Set([...(visibilityOf.get(host) ?? []), external ? 'external' : 'internal']));
    }
    const tls = tlsChains(ingress, lookups, visibilityOf);
    return { origin, generation, version: hash, listeners: [], hosts: claims, clusters: [...backends.clusters.values()], ...tls };
  } catch (error) {
    if (error instanceof Refusal) return { origin, generation, version: hash, refusal: { reason: error.reason, message: error.message }, listeners: [], hosts: [], clusters: [], secrets: [], tlsChains: [] };
    throw error;
  }
}
