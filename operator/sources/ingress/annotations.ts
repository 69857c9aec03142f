// The ingress-nginx annotations Portico supports, read from an Ingress's metadata.annotations
// under ingress-nginx's prefix and Portico's own. Pure: values are checked and normalized here;
// what they make of routes is the Ingress translator's business. A bad value is a problem and
// its setting is left out while the rest still apply, except where half a setting would let
// more through than was written: a bad cors-* value leaves CORS out whole, and a bad source
// range or auth-* value closes the routes (`denied`). Semantics are ingress-nginx's (its
// docs/user-guide/nginx-configuration/annotations.md and internal/ingress/annotations/*).
import { isIPv4, isIPv6 } from 'node:net';
import { originRegex } from '../../../xds/cors-origin.ts';
import type { CorsIR } from '../../../xds/ir.ts';
import { re2Problem, regexProblem } from '../re2.ts';

export const nginxPrefix = 'nginx.ingress.kubernetes.io/';
export const porticoPrefix = 'ingress.portico.dev/';

export interface AnnotationProblem {
  /** The full key as written. */
  annotation: string;
  /** Names the annotation, the bad value and what is allowed. */
  message: string;
}

export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS';
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

/** CORS as CorsIR takes it, with ingress-nginx's defaults filled in for what was not written. */
export type IngressCors = Required<Omit<CorsIR, 'exposeHeaders'>> & Pick<CorsIR, 'exposeHeaders'>;

/**
 * The Ingress is a canary of the main Ingress with the same host and path: its backend gets a
 * request when, in this order (ingress-nginx's precedence header > cookie > weight):
 * 1. `header` is present: with `headerValue`, a value equal to it (case-sensitive) → canary;
 *    else with `headerPattern`, a value it matches → canary; else "always" → canary, "never"
 *    → main (the cookie and weight are not asked). Any other value falls through.
 * 2. `cookie` is present: "always" → canary, "never" → main; any other value falls through.
 * 3. At random, `weight` of every `weightTotal` requests → canary.
 * ingress-nginx ignores the canary's other annotations (it inherits the main Ingress's, except
 * load balancing and session affinity) and serves at most one canary per host and path.
 */
export interface IngressCanary {
  /** 0 … weightTotal; none sends no random share (only header and cookie matches). */
  weight?: number;
  /**
   * 100 unless written. ingress-nginx's balancer uses it only above 100 (below, it divides by
   * 100 still); it is given here as written.
   */
  weightTotal: number;
  /** A header name (RFC 7230 token), looked up case-insensitively. */
  header?: string;
  /** Only with `header`. */
  headerValue?: string;
  /**
   * Only with `header` and without `headerValue` (ingress-nginx ignores it then). RE2-compatible.
   * ingress-nginx searches the value with it (unanchored); Envoy's regex must match the whole
   * value, so the translator wraps it (.*(?:pattern).*).
   */
  headerPattern?: string;
  /** A cookie name (RFC 7230 token). */
  cookie?: string;
}

/**
 * An external authorization service checked before each request (ingress-nginx's auth_request):
 * a 2xx answer lets the request through, 401 and 403 are returned to the client, anything else
 * is a 500. ingress-nginx calls exactly this URL (its path and query, not the request's) without
 * the request's body, with X-Original-URL, X-Original-Method, X-Auth-Request-Redirect (the
 * request URI) and the request's headers.
 */
export interface IngressAuthorization {
  /** As written. */
  url: string;
  scheme: 'http' | 'https';
  /** A name or address; IPv6 without brackets. */
  host: string;
  /** Written, or 80 for http and 443 for https. */
  port: number;
  /** The URL's path and query string. */
  path: string;
  /** The check's method; none sends the request's own method. */
  method?: string;
  /** Headers of the service's answer copied onto the request upstream. */
  responseHeaders?: string[];
}

/** Answer every request with a redirect to `url` as written (nginx `return`: the request's path and query are not added). */
export interface IngressRedirect {
  url: string;
  status: RedirectStatus;
}

/**
 * ingress-nginx limits each client address (per controller replica) to `requestsPerSecond`, up to
 * `burst` at once without delay (limit_req burst nodelay), answering 503 past that. RateLimitIR
 * is one bucket per route per Envoy.
 */
export interface IngressRateLimit {
  requestsPerSecond: number;
  /** limit-rps × limit-burst-multiplier (5 unless written). */
  burst: number;
}

/** What an Ingress's annotations ask for; a field is absent when its annotations are absent or bad. */
export interface IngressAnnotations {
  /**
   * ssl-redirect: ingress-nginx redirects http to https (308, its http-redirect-code default) when
   * the Ingress has TLS, unless this is false; absent means its default, true.
   */
  sslRedirect?: boolean;
  /** force-ssl-redirect: redirect to https even when the Ingress has no TLS (TLS ends in front); default false. */
  forceSslRedirect?: boolean;
  /** How to reach the backends; HTTP when absent. */
  backendProtocol?: BackendProtocol;
  /**
   * rewrite-target: a request whose path the Ingress path (as a case-insensitive regex, searched
   * unanchored) matches has its whole path replaced by this, $1 … $9 standing for the path's
   * groups; the query stays. No rewrite when it equals the Ingress path.
   */
  rewriteTarget?: string;
  /**
   * use-regex as written. ingress-nginx treats the paths as regexes (case-insensitive, anchored at
   * the start only) when this is true *or* rewriteTarget is set, and then for every path of every
   * Ingress of the same host: the translator draws that implication.
   */
  useRegex?: boolean;
  /** Seconds between two reads from the upstream (ingress-nginx's default 60). */
  proxyReadTimeoutSeconds?: number;
  /** Seconds between two writes to the upstream (ingress-nginx's default 60). */
  proxySendTimeoutSeconds?: number;
  /** Seconds to connect to the upstream (ingress-nginx's default 5). */
  proxyConnectTimeoutSeconds?: number;
  /** Larger request bodies get 413; 0 means no limit (ingress-nginx's default is 1m, 1048576). */
  proxyBodySizeBytes?: number;
  /**
   * Only clients from these CIDRs (normalized, a bare address as /32 or /128), by allowlist-source-range,
   * or else its older name whitelist-source-range.
   */
  sourceRanges?: string[];
  /** enable-cors with the cors-* annotations. */
  cors?: IngressCors;
  /** canary: true with the canary-* annotations. */
  canary?: IngressCanary;
  /** auth-url with auth-method and auth-response-headers. */
  authorization?: IngressAuthorization;
  /** permanent-redirect or temporal-redirect, with their codes. */
  redirect?: IngressRedirect;
  /** limit-rps with limit-burst-multiplier. */
  rateLimit?: IngressRateLimit;
  /**
   * Full keys of access-control annotations (source ranges, auth-*) whose values are bad: every
   * route of the Ingress must refuse every request (ingress-nginx answers 503) rather than go
   * unguarded. Their problems say why.
   */
  denied?: string[];
}

// Readers: each turns one annotation's (trimmed, non-empty) value into its setting, or says
// what is allowed. The error finishes a message that starts with the key and the value.
type Parsed<T> = { value: T } | { error: string };
type Parser<T> = (value: string) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ value });
const bad = (error: string): { error: string } => ({ error });

// What Go's strconv.ParseBool accepts, as ingress-nginx reads booleans with it.
const booleans = new Map([
  ...['true', 'True', 'TRUE', 't', 'T', '1'].map((text) => [text, true] as const),
  ...['false', 'False', 'FALSE', 'f', 'F', '0'].map((text) => [text, false] as const),
]);

const boolean: Parser<boolean> = (value) => {
  const parsed = booleans.get(value);
  return parsed === undefined ? bad('must be true or false') : ok(parsed);
};

function integer(min: number, max: number): Parser<number> {
  return (value) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    return parsed >= min && parsed <= max ? ok(parsed) : bad(`must be a whole number from ${min} to ${max}`);
  };
}

function oneOf<T extends number>(allowed: readonly T[]): Parser<T> {
  return (value) => {
    const found = allowed.find((candidate) => String(candidate) === value);
    return found === undefined ? bad(`must be one of ${allowed.join(', ')}`) : ok(found);
  };
}

// ingress-nginx writes the bare number as seconds; nginx's own units are accepted too.
const timeUnits: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 };
const maxTimeoutSeconds = 24 * 3600;

const seconds: Parser<number> = (value) => {
  const match = /^(\d+)([smh]?)$/.exec(value);
  const total = match ? Number(match[1]) * (timeUnits[match[2] ?? ''] ?? NaN) : NaN;
  return total >= 1 && total <= maxTimeoutSeconds
    ? ok(total)
    : bad('must be a whole number of seconds from 1 to 86400 (24h), bare or with s, m or h');
};

const sizeUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
// Envoy's buffer filter counts max_request_bytes in a uint32.
const maxBodyBytes = 2 ** 32 - 1;

const size: Parser<number> = (value) => {
  const match = /^(\d+)([kmg]?)$/i.exec(value);
  const bytes = match ? Number(match[1]) * (sizeUnits[(match[2] ?? '').toLowerCase()] ?? NaN) : NaN;
  return bytes >= 0 && bytes <= maxBodyBytes
    ? ok(bytes)
    : bad(`must be a size in bytes, bare or with k, m or g (1024-based), at most ${maxBodyBytes} bytes; 0 means no limit`);
};

const backendProtocols: readonly BackendProtocol[] = ['HTTP', 'HTTPS', 'GRPC', 'GRPCS'];

const backendProtocol: Parser<BackendProtocol> = (value) => {
  const upper = value.toUpperCase();
  const found = backendProtocols.find((protocol) => protocol === upper);
  // ingress-nginx also has AUTO_HTTP, FCGI and (before 1.x) AJP.
  return found ? ok(found) : bad('is not supported: Portico supports HTTP, HTTPS, GRPC or GRPCS (any case)');
};

// ingress-nginx's own character set for rewrite targets; `$` only for groups, as Portico
// cannot expand nginx variables.
const rewriteTarget: Parser<string> = (value) =>
  /^(?:\/|\$[1-9])(?:[-._~A-Za-z0-9/:]|\$[1-9])*$/.test(value)
    ? ok(value)
    : bad('must be a path starting with / or with a group $1 … $9, of letters, digits, - . _ ~ / : and groups $1 … $9');

// RFC 7230 token: header names, methods and cookie names.
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function token(what: string): Parser<string> {
  return (value) => (tokenPattern.test(value) ? ok(value) : bad(`must be ${what} (an RFC 7230 token)`));
}

/** A comma-separated list, spaces allowed, empty entries skipped; each entry read by `entry`. */
function list<T>(entry: Parser<T>, what: string): Parser<T[]> {
  return (value) => {
    const items: T[] = [];
    for (const text of value.split(',').map((part) => part.trim())) {
      if (text === '') continue;
      const parsed = entry(text);
      if ('error' in parsed) return bad(`has ${JSON.stringify(text)}, which ${parsed.error}; allowed: a comma-separated list of ${what}`);
      if (!items.includes(parsed.value)) items.push(parsed.value);
    }
    return items.length > 0 ? ok(items) : bad(`must be a comma-separated list of ${what}`);
  };
}

const headerValue: Parser<string> = (value) =>
  /^[\x20-\x7e]+$/.test(value) ? ok(value) : bad('must be printable ASCII (a header value)');

/** The header match of canary-by-header-pattern: searched, as ingress-nginx does, where Envoy's expression must match the whole value. */
export const canaryHeaderRegex = (pattern: string): string => `.*(?:${pattern}).*`;

/** The cookie match of canary-by-cookie: `name=value` among the request's cookies. */
export const canaryCookieRegex = (cookie: string, value: 'always' | 'never'): string => `(.*;\\s*)?${cookie.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}=${value}(;.*)?`;

const headerPattern: Parser<string> = (value) => {
  const problem = re2Problem(value);
  if (problem) return bad(`${problem}; allowed: an RE2 regular expression`);
  const wrapped = regexProblem(canaryHeaderRegex(value));
  return wrapped ? bad(`as Envoy searches header values with it, ${wrapped}; allowed: a smaller RE2 regular expression`) : ok(value);
};

const cookieName: Parser<string> = (value) => {
  if (!tokenPattern.test(value)) return bad('must be a cookie name (an RFC 7230 token)');
  const problem = regexProblem(canaryCookieRegex(value, 'always'));
  return problem ? bad(`is too long for the cookie match Envoy makes of it, which ${problem}; allowed: a shorter cookie name (an RFC 7230 token)`) : ok(value);
};

// scheme://host[:port], the host maybe starting with one *. label (ingress-nginx's form; it
// lets * stand for one DNS label), "null", or "*".
const originPattern = /^[a-z][a-z0-9+.-]*:\/\/(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(\d{1,5}))?$/;

const origin: Parser<string> = (value) => {
  const lower = value.toLowerCase();
  const port = originPattern.exec(lower)?.[1];
  const valid = value === '*' || lower === 'null' || (originPattern.test(lower) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535)));
  if (!valid) return bad('is not an origin');
  // With a wildcard label, Envoy matches the origin with an expression, which has Envoy's limits.
  const problem = lower !== '*' && lower.includes('*') ? regexProblem(originRegex(lower)) : undefined;
  return problem ? bad(`is too long for the expression Envoy matches origins with, which ${problem}`) : ok(lower);
};

const originList: Parser<string[]> = (value) => {
  const parsed = list(origin, 'origins: *, null or scheme://host[:port], the host maybe starting with *.')(value);
  // As ingress-nginx: * among others allows every origin.
  return 'value' in parsed && parsed.value.includes('*') ? ok(['*']) : parsed;
};

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] {
  // isIPv6 has vetted the form; a dotted IPv4 tail becomes two groups first.
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(tail);
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const before = head === '' ? [] : head.split(':');
  const after = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array.from({ length: 8 - before.length - after.length }, () => '0');
  return [...before, ...zeros, ...after].flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

// RFC 5952: lower case, no leading zeros, the first longest run of two or more zero groups as ::.
function formatIpv6(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > runLength) [runStart, runLength] = [i, end - i];
    i = Math.max(end, i + 1);
  }
  const hex = groups.map((group) => group.toString(16));
  return runStart < 0 ? hex.join(':') : `${hex.slice(0, runStart).join(':')}::${hex.slice(runStart + runLength).join(':')}`;
}

const cidr: Parser<string> = (value) => {
  const [address = '', prefix, extra] = value.split('/');
  // A zone (fe80::1%eth0) names an interface, not a range.
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : undefined;
  if (family === undefined || extra !== undefined) return bad('is not an IPv4 or IPv6 address or CIDR');
  const bits = family === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^(?:0|[1-9]\d{0,2})$/.test(prefix) ? Number(prefix) : NaN;
  if (!(length >= 0 && length <= bits)) return bad(`has a prefix length outside 0 … ${bits}`);
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const network = bytes.map((byte, i) => byte & (0xff << (8 - Math.min(8, Math.max(0, length - 8 * i)))) & 0xff);
  const normalized = `${family === 4 ? network.join('.') : formatIpv6(network)}/${length}`;
  return network.every((byte, i) => byte === bytes[i]) ? ok(normalized) : bad(`has host bits set (its network is ${normalized})`);
};

/** An absolute http or https URL with no nginx variables (Portico cannot expand them) and no spaces. */
function absoluteUrl(value: string): URL | { error: string } {
  const allowed = 'allowed: an absolute http or https URL';
  if (/\s/.test(value)) return bad(`has white space; ${allowed}`);
  if (value.includes('$')) return bad(`uses an nginx variable, which Portico cannot expand; ${allowed}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad(`is not an absolute URL; ${allowed}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(`has scheme ${url.protocol.slice(0, -1)}; ${allowed}`);
  return url;
}

const redirectUrl: Parser<string> = (value) => {
  const url = absoluteUrl(value);
  return url instanceof URL ? ok(value) : url;
};

type AuthorizationTarget = Pick<IngressAuthorization, 'url' | 'scheme' | 'host' | 'port' | 'path'>;

const authUrl: Parser<AuthorizationTarget> = (value) => {
  const url = absoluteUrl(value);
  if (!(url instanceof URL)) return url;
  if (url.username || url.password) return bad('carries credentials; allowed: an absolute http or https URL without user or password');
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  return ok({
    url: value,
    scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80,
    path: `${url.pathname}${url.search}`,
  });
};

// ingress-nginx's list for auth-method, upper case only as it checks.
const authMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'];

const authMethod: Parser<string> = (value) =>
  authMethods.includes(value) ? ok(value) : bad(`must be one of ${authMethods.join(', ')}`);

// Weights stay within what Envoy's weighted clusters add up comfortably.
const maxWeightTotal = 1_000_000;

/** ingress-nginx's defaults (internal/ingress/annotations/cors/main.go, and its annotations docs). */
const corsDefaults: Readonly<IngressCors> = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
  allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
  allowCredentials: true,
  maxAgeSeconds: 1728000,
};

const defaultWeightTotal = 100;
const defaultBurstMultiplier = 5;
const defaultPermanentStatus = 301;
const defaultTemporalStatus = 302;

// The one table of readers, keyed by annotation name; knownAnnotations is its keys.
const readers = {
  'ssl-redirect': boolean,
  'force-ssl-redirect': boolean,
  'backend-protocol': backendProtocol,
  'rewrite-target': rewriteTarget,
  'use-regex': boolean,
  'proxy-read-timeout': seconds,
  'proxy-send-timeout': seconds,
  'proxy-connect-timeout': seconds,
  'proxy-body-size': size,
  'allowlist-source-range': list(cidr, 'IPv4 or IPv6 CIDRs or addresses'),
  'whitelist-source-range': list(cidr, 'IPv4 or IPv6 CIDRs or addresses'),
  'enable-cors': boolean,
  'cors-allow-origin': originList,
  'cors-allow-methods': list(token('a method'), 'methods'),
  'cors-allow-headers': list(token('a header name'), 'header names'),
  'cors-expose-headers': list(token('a header name'), 'header names'),
  'cors-allow-credentials': boolean,
  'cors-max-age': integer(0, 2 ** 31 - 1),
  canary: boolean,
  'canary-weight': integer(0, maxWeightTotal),
  'canary-weight-total': integer(1, maxWeightTotal),
  'canary-by-header': token('a header name'),
  'canary-by-header-value': headerValue,
  'canary-by-header-pattern': headerPattern,
  'canary-by-cookie': cookieName,
  'auth-url': authUrl,
  'auth-method': authMethod,
  'auth-response-headers': list(token('a header name'), 'header names'),
  'permanent-redirect': redirectUrl,
  'permanent-redirect-code': oneOf<RedirectStatus>([301, 302, 303, 307, 308]),
  'temporal-redirect': redirectUrl,
  // ingress-nginx takes 300 … 307 here; of those, the redirects that are not permanent.
  'temporal-redirect-code': oneOf<RedirectStatus>([301, 302, 303, 307]),
  'limit-rps': integer(1, 1_000_000),
  'limit-burst-multiplier': integer(1, 1000),
};

type Name = keyof typeof readers;
type Values = { [N in Name]: (typeof readers)[N] extends Parser<infer T> ? T : never };
// Typed per name, so that reading one yields its own value type.
const typedReaders: { [N in Name]: Parser<Values[N]> } = readers;

/** Every annotation name (without prefix) Portico reads, for docs and tests. */
export const knownAnnotations: readonly string[] = Object.keys(readers).sort();

interface Entry {
  key: string;
  value: string;
}

/** The annotations of one Ingress as read so far: the problems found, the names whose values were bad. */
class Reading {
  readonly problems: AnnotationProblem[] = [];
  readonly unknown: string[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly failed = new Set<Name>();

  constructor(annotations: Record<string, string>) {
    // Portico's prefix last, so that its value wins when both prefixes set a name. An empty
    // value counts as not set (ingress-nginx skips empty values too).
    for (const prefix of [nginxPrefix, porticoPrefix]) {
      for (const [key, raw] of Object.entries(annotations)) {
        if (!key.startsWith(prefix)) continue;
        const name = key.slice(prefix.length);
        if (!Object.hasOwn(readers, name)) {
          this.unknown.push(key);
          continue;
        }
        const value = raw.trim();
        if (value !== '') this.entries.set(name, { key, value });
      }
    }
    this.unknown.sort();
  }

  has(name: Name): boolean {
    return this.entries.has(name);
  }

  /** Whether the name's value is Portico's (its prefix), for choosing between aliases. */
  isPortico(name: Name): boolean {
    return this.entries.get(name)?.key.startsWith(porticoPrefix) ?? false;
  }

  /** The setting of a name, or undefined when it is not set or bad (then a problem says why). */
  read<N extends Name>(name: N): Values[N] | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    const parsed = typedReaders[name](entry.value);
    if ('value' in parsed) return parsed.value;
    this.problem(name, parsed.error);
    return undefined;
  }

  /** Records a problem with the name's value (which must be set). */
  problem(name: Name, error: string): void {
    const entry = this.entries.get(name)!;
    this.failed.add(name);
    this.problems.push({ annotation: entry.key, message: `${entry.key}: ${JSON.stringify(entry.value)} ${error}` });
  }

  /** The full keys of those names whose values were bad. */
  failures(names: readonly Name[]): string[] {
    return names.filter((name) => this.failed.has(name)).map((name) => this.entries.get(name)!.key);
  }
}

/** The object without its undefined fields, so that absent settings are absent keys. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

// A source range or authorization left out because of a bad value would open the routes;
// these groups report what must close them instead.
interface Guarded<T> {
  setting?: T;
  denied?: string[];
}

function sourceRanges(reading: Reading): Guarded<string[]> {
  // Portico's prefix first, then the newer name (ingress-nginx reads whitelist-source-range
  // only when allowlist-source-range is not set).
  const names = ['allowlist-source-range', 'whitelist-source-range'] as const;
  const name = names.find((candidate) => reading.isPortico(candidate)) ?? names.find((candidate) => reading.has(candidate));
  if (name === undefined) return {};
  const ranges = reading.read(name);
  return ranges ? { setting: ranges } : { denied: reading.failures([name]) };
}

const corsNames: Name[] = ['cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age'];

function cors(reading: Reading): IngressCors | undefined {
  // cors-* without enable-cors: true are ignored, as ingress-nginx does.
  if (reading.read('enable-cors') !== true) return undefined;
  const written = {
    allowOrigins: reading.read('cors-allow-origin'),
    allowMethods: reading.read('cors-allow-methods'),
    allowHeaders: reading.read('cors-allow-headers'),
    exposeHeaders: reading.read('cors-expose-headers'),
    allowCredentials: reading.read('cors-allow-credentials'),
    maxAgeSeconds: reading.read('cors-max-age'),
  };
  // Defaults in place of a bad value could allow more than was written (ingress-nginx falls
  // back to origin * and credentials true): no CORS at all, browsers then refuse cross-origin reads.
  if (reading.failures(corsNames).length > 0) return undefined;
  return defined({
    allowOrigins: written.allowOrigins ?? [...corsDefaults.allowOrigins],
    allowMethods: written.allowMethods ?? [...corsDefaults.allowMethods],
    allowHeaders: written.allowHeaders ?? [...corsDefaults.allowHeaders],
    exposeHeaders: written.exposeHeaders,
    allowCredentials: written.allowCredentials ?? corsDefaults.allowCredentials,
    maxAgeSeconds: written.maxAgeSeconds ?? corsDefaults.maxAgeSeconds,
  });
}

function canary(reading: Reading): IngressCanary | undefined {
  // canary-* without canary: true are ignored, as ingress-nginx does.
  if (reading.read('canary') !== true) return undefined;
  const weightTotal = reading.read('canary-weight-total') ?? defaultWeightTotal;
  let weight = reading.read('canary-weight');
  if (weight !== undefined && weight > weightTotal) {
    reading.problem('canary-weight', `must be a whole number from 0 to canary-weight-total (${weightTotal})`);
    weight = undefined;
  }
  const header = reading.read('canary-by-header');
  // The value and pattern refine the header, and the value outranks the pattern.
  const headerValue = header === undefined ? undefined : reading.read('canary-by-header-value');
  const headerPattern = header === undefined || headerValue !== undefined ? undefined : reading.read('canary-by-header-pattern');
  return defined({ weight, weightTotal, header, headerValue, headerPattern, cookie: reading.read('canary-by-cookie') });
}

function authorization(reading: Reading): Guarded<IngressAuthorization> {
  // auth-method and auth-response-headers without auth-url are ignored.
  if (!reading.has('auth-url')) return {};
  const target = reading.read('auth-url');
  const method = reading.read('auth-method');
  const responseHeaders = reading.read('auth-response-headers');
  const denied = reading.failures(['auth-url', 'auth-method', 'auth-response-headers']);
  if (denied.length > 0 || !target) return { denied };
  return { setting: defined({ ...target, method, responseHeaders }) };
}

function redirect(reading: Reading): IngressRedirect | undefined {
  // permanent-redirect wins when both are set (so temporal-redirect is then not read at all),
  // even when its value is bad. ingress-nginx itself lets temporal-redirect win.
  if (reading.has('permanent-redirect')) {
    const url = reading.read('permanent-redirect');
    return url === undefined ? undefined : { url, status: reading.read('permanent-redirect-code') ?? defaultPermanentStatus };
  }
  const url = reading.read('temporal-redirect');
  return url === undefined ? undefined : { url, status: reading.read('temporal-redirect-code') ?? defaultTemporalStatus };
}

function rateLimit(reading: Reading): IngressRateLimit | undefined {
  const requestsPerSecond = reading.read('limit-rps');
  if (requestsPerSecond === undefined) return undefined;
  return { requestsPerSecond, burst: requestsPerSecond * (reading.read('limit-burst-multiplier') ?? defaultBurstMultiplier) };
}

export function readAnnotations(annotations: Record<string, string> | undefined): {
  settings: IngressAnnotations;
  problems: AnnotationProblem[];
  /** Full keys under either prefix Portico does not know, sorted. */
  unknown: string[];
} {
  const reading = new Reading(annotations ?? {});
  const ranges = sourceRanges(reading);
  const auth = authorization(reading);
  const denied = [...(ranges.denied ?? []), ...(auth.denied ?? [])];
  const settings = defined<IngressAnnotations>({
    sslRedirect: reading.read('ssl-redirect'),
    forceSslRedirect: reading.read('force-ssl-redirect'),
    backendProtocol: reading.read('backend-protocol'),
    rewriteTarget: reading.read('rewrite-target'),
    useRegex: reading.read('use-regex'),
    proxyReadTimeoutSeconds: reading.read('proxy-read-timeout'),
    proxySendTimeoutSeconds: reading.read('proxy-send-timeout'),
    proxyConnectTimeoutSeconds: reading.read('proxy-connect-timeout'),
    proxyBodySizeBytes: reading.read('proxy-body-size'),
    sourceRanges: ranges.setting,
    cors: cors(reading),
    canary: canary(reading),
    authorization: auth.setting,
    redirect: redirect(reading),
    rateLimit: rateLimit(reading),
    denied: denied.length > 0 ? denied : undefined,
  });
  return { settings, problems: reading.problems, unknown: reading.unknown };
}
