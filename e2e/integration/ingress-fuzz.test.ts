// Fuzz test of the Kubernetes Ingress translation against the real Envoy. Each round makes a
// random set of Ingresses (networking.k8s.io/v1) with the Services, EndpointSlices and Secrets
// they name (some missing, some certificates bad): only what the apiserver's validation lets
// through (DNS hosts, a leading "*." label at most; Exact and Prefix paths absolute and free of
// //, /./, /../ and %2f; ImplementationSpecific paths anything from a /; Service backends named
// as Services are, ports 1-65535 or IANA names), with ingress-nginx's and Portico's
// annotations, valid and hostile: use-regex and rewrite-target with odd regular expressions
// (counts over 1000, escapes RE2 lacks, lookarounds, backreferences, named groups, huge
// patterns), odd CORS origins, CIDRs, URLs, sizes, timeouts, canary weights and header
// patterns; canary Ingresses on their primaries' paths, shared and wildcard hosts. A round
// goes through the operator's own pipeline (the source's translation with canaries folded in,
// the merge into a default installation's graph, the xDS translation and its protobuf
// encoding) and `envoy --mode validate` must accept the result: what Envoy would reject (NACK),
// Portico must refuse itself. Nothing may throw, and a valid Ingress is served: not refused,
// and none of its paths, hosts or annotations refused.
//
// Deterministic: round n depends on (seed, n) alone. PORTICO_FUZZ_SEED and PORTICO_FUZZ_ROUNDS
// override the seed and the number of rounds; PORTICO_FUZZ_ROUND=n replays round n alone.
import type { V1EndpointSlice, V1HTTPIngressPath, V1Ingress, V1IngressBackend, V1IngressRule, V1IngressTLS, V1Secret, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Fragment } from '../../operator/graph/fragment.ts';
import { installationPart } from '../../operator/graph/installation.ts';
import { mergeFragments } from '../../operator/graph/merge.ts';
import { nginxPrefix, porticoPrefix } from '../../operator/sources/ingress/annotations.ts';
import { assignCanaries, canaryFragment, isCanary, translateAnnotated } from '../../operator/sources/ingress/source.ts';
import { ingressKey } from '../../operator/sources/ingress/translate.ts';
import { defaultInstallation, listLookups } from '../../operator/sources/knative/testdata/translate-cases.ts';
import { snapshotOf } from '../../xds/encoder.ts';
import { translate } from '../../xds/translate.ts';
import { selfSignedCertificate, tlsSecretManifest, type KeyPair } from '../support/certificates.ts';
import { envoyBinary, staticBootstrapOf, validateBootstrap } from '../support/envoy.ts';
import { fuzzSettings, sample } from '../support/fuzz.ts';
import type { Random } from '../support/random.ts';

const { rounds, onlyRound, seedText, roundRandom } = fuzzSettings(0x1a9e55ed, 150);
// Two Envoy validations at a time: the machine is small and shared.
const parallel = 2;
const clusterDomain = 'cluster.local';

const long = (length: number, c = 'a') => c.repeat(length);

// What the apiserver lets through (k8s.io/kubernetes pkg/apis/networking/validation), so that
// hostile values stay storable.
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const looksLikeIp = /^(\d+\.){3}\d+$|:/;

function apiHost(host: string): boolean {
  if (host.length > 253 || looksLikeIp.test(host)) return false;
  return dnsSubdomain.test(host.startsWith('*.') ? host.slice(2) : host);
}

function apiPath(pathType: string, path: string): boolean {
  if (pathType === 'ImplementationSpecific') return path === '' || path.startsWith('/');
  return path.startsWith('/') && !['//', '/./', '/../', '%2f', '%2F'].some((sequence) => path.includes(sequence)) && !path.endsWith('/..') && !path.endsWith('/.');
}

// The vocabulary.
const namespaces = ['default', 'team-a', 'shop'];
const serviceNames = ['web', 'api', 'grpc', 'ext', 'auth'];
const externalNames = ['example.org', 'backend.team-a.svc.cluster.local', 'api.example.com.', '198.19.1.2'];

/** A DNS label; now and then one longer than DNS allows (the apiserver checks only the whole name). */
function label(r: Random): string {
  if (r.chance(0.03)) return long(64 + r.int(40), r.pick(['x', 'y']));
  return r.pick(['www', 'api', 'shop', 'a', 'b1', 'x-y', '123', 'blue-green', 'xn--bcher-kva', 'v2', 'eu', 'zz9']);
}

function dnsName(r: Random, labels: number): string {
  const name = Array.from({ length: labels }, () => label(r)).join('.');
  return name.length > 250 ? name.slice(0, 250).replace(/[-.]+$/, '') : name;
}

/** The round's hosts: Ingresses share them. */
function hostPool(r: Random): string[] {
  const hosts = ['shared.example.com', 'app.example.com', '*.example.com', '*.apps.example.org', 'foo.bar.example.com', 'x.example.com'];
  for (let i = 0; i < 4; i++) hosts.push(r.chance(0.3) ? `*.${dnsName(r, 1 + r.int(3))}.example.net` : `${dnsName(r, 1 + r.int(4))}.example.net`);
  // Deep and long names, still DNS names to the apiserver.
  if (r.chance(0.3)) hosts.push(`*.${Array.from({ length: 30 + r.int(60) }, () => r.pick(['a', 'b', 'c1'])).join('.')}`.slice(0, 253).replace(/[-.]+$/, ''));
  if (r.chance(0.3)) hosts.push(`*.${long(63, 'l')}.${long(63, 'm')}.${long(63, 'n')}.example.com`);
  if (r.chance(0.2)) hosts.push(`${long(120, 'q')}.${long(120, 'r')}.io`);
  return hosts.filter(apiHost);
}

// Paths valid everywhere (plain, and as RE2 expressions should use-regex make them so).
const validPlainPaths = ['/', '/api', '/api/v1/', '/.well-known/acme-challenge/token-1', '/static/img.png', '/%20encoded', '/ünïcode', '/a-b_c~d', '/shop/cart', `/${long(60, 'p')}`];
// Regular expressions RE2 takes, small enough for Envoy, with how many groups each has.
const validRegexPaths: Array<[string, number]> = [
  ['/api/(.*)', 1], ['/something(/|$)(.*)', 2], ['/v[0-9]+/users/([^/]+)', 1], ['/(?P<id>[0-9]+)', 1], ['/(?<id>[0-9]+)/edit', 1], ['/static/.*\\.(css|js)', 1],
  ['/\\pL+', 0], ['/(?i)Admin', 0], ['/[[:alpha:]]+', 0], ['/\\Q.well-known\\E/.*', 0], ['/.*', 0], ['/a{2,5}', 0], ['/(foo|bar|baz)/?(.*)', 2], ['/x\\.y', 0],
  ['/[^/]+/(?:edit|view)', 0], ['/\\d{4}-\\d{2}', 0], ['/(?s:.)', 0], ['/caf\\x{e9}', 0], ['/[é-ê]', 0], ['/(a|b)(c|d)(e|f)', 3], ['/\\C', 0],
];
// Odd regular expressions: what RE2 refuses, what JavaScript reads otherwise, what is too large for Envoy.
const hostileRegexPaths = [
  '/a{1001}', '/(a{100}){11}', '/a{1000}', '/[a-z]{1,200}', '/(?:[0-9a-f]{8}-){20}', '/\\u0041', '/\\cA', '/\\Z', '/\\e', '/\\G', '/(?P<name>x)(?P<name>y)',
  '/(?<name>x)', '/(?i)(?-i:a)(?s:.)(?U)b*', '/(?i:(?s:(?m:^a$)))', '/(?=x)', '/(?<=x)y', '/(?!x)', '/(?<!x)', '/(a)\\1', '/(?<n>a)\\k<n>', '/\\p{Greek}+', '/\\pL',
  '/\\p{Script=Greek}', '/\\p{Foo}', '/[[:alpha:]]', '/[[:foo:]]', '/\\x{100}', '/\\x{ff}', '/é+', '/😀+', '/\\Q(\\E', '/\\Qunterminated', '/a)|(b', '/(',
  '/)', '/[', '/]', '/{', '/}', '/a**', '/*', '/a|*', '/\\', '/a\\', '/\\8', '/[\\1]', '/[\\12]', '/\\0', '/\\400', `/${long(2000)}`, `/${long(1020)}`,
  `/(?:${Array.from({ length: 60 }, (_, i) => `p${i}`).join('|')})`, '/(?i)', '/(?x)a', '/(?#comment)', '/\\b\\B', '/$', '/^', '/.*$', '/a{,5}', '/a{2,1}',
  '/(?P=n)', '/[z-a]', '/[]', '/[^]', '/(?i:', '/\\E', '/(?P<>x)', '/(?P<é>x)', '/(?i-)', '/(?)', '/\\z\\A', '/[\\b]', '/[a-\\d]', '/\\x4', '/\\x{}',
  `/${long(95, 'b')}`, '/(((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))', '/(?:(?:(?:a{10}){10}){10})', '/(a{2,}){501}', '/\\pN{0,1000}',
];
// Pieces of random expressions, mostly what RE2 takes, sized to land near Envoy's limit.
const expressionAtoms = ['a', 'b', 'Z', '-', '_', '/', 'é', '😀', '.', '\\.', '\\d', '\\w', '\\W', '\\s', '\\pL', '\\PN', '\\p{Greek}', '[a-z]', '[^/]', '[[:alpha:]]', '[0-9a-f]', '[A-Za-z0-9_-]', '[]a]', '\\x41', '\\x{e9}', '\\Qx.y\\E', '\\C', '\\b', '\\B', '^', '$', '\\A', '\\z', '(?i)', '(?s)', '(?-i)', '(?U)', '(?m)', 'api', 'v1'];
const expressionHazards = ['\\u0041', '\\1', '\\Z', '(?=', '[', ')', '{1001}', '**', '\\', '(?P<', '\\p{Foo}', '[z-a]', '(?x)'];
const expressionGroups = ['(', '(?:', '(?i:', '(?P<g>', '(?<h>', '(?s-i:'];
const expressionRepeats = ['*', '+', '?', '*?', '+?', '??', '{2}', '{0,3}', '{3,}', '{1,1}', '{0}', '{5}', '{2,8}', '{0,20}', '{12}'];

/** A random expression: mostly RE2's, now and then not, of any size up to several times Envoy's limit. */
function expression(r: Random, depth = 0): string {
  let out = '';
  for (let i = 1 + r.int(depth ? 4 : 12); i > 0; i--) {
    const roll = r.int(20);
    if (roll === 0) out += r.pick(expressionHazards);
    else if (roll < 4 && depth < 3) out += `${r.pick(expressionGroups)}${expression(r, depth + 1)}${r.chance(0.5) ? `|${expression(r, depth + 1)}` : ''})`;
    else if (roll < 5) out += '|';
    else out += r.chance(0.2) ? r.pick(expressionAtoms).repeat(2 + r.int(30)) : r.pick(expressionAtoms);
    if (r.chance(0.25)) out += r.pick(expressionRepeats);
  }
  return out;
}

// Storable, and odd as paths: spaces, queries, fragments, controls.
const hostilePlainPaths = ['/with space', '/q?x=1', '/frag#x', '/\t', '/a\r\nb', '/\0', '/😀', `/${long(5000)}`, '/%00', '/a*b', '/[', '/\\', '/a.', '/ ', '/a%2'];
const hostileImplementationPaths = ['', '//double', '/./', '/../', '/a/%2f', '/a/..', '/.'];

interface RegexPath { path: string; groups: number }

/** A path of `pathType` the apiserver takes; `regex` when use-regex or rewrite-target make it an expression. */
function pathValue(r: Random, h: number, pathType: string, regex: boolean): RegexPath {
  for (;;) {
    let candidate: RegexPath;
    if (r.chance(h)) {
      const pool = regex && pathType !== 'Exact' && r.chance(0.7) ? hostileRegexPaths : r.chance(0.2) && pathType === 'ImplementationSpecific' ? hostileImplementationPaths : hostilePlainPaths;
      candidate = { path: regex && r.chance(0.4) ? `/${expression(r)}` : r.pick(pool), groups: 0 };
    } else if (regex && pathType !== 'Exact' && r.chance(0.7)) {
      const [path, groups] = r.pick(validRegexPaths);
      candidate = { path, groups };
    } else {
      candidate = { path: r.pick(validPlainPaths), groups: 0 };
    }
    // Fewer Ingresses meeting on one path, where the older takes it and the other is not served at all.
    if (r.chance(0.5)) candidate.path += `-${r.int(100)}`;
    if (apiPath(pathType, candidate.path)) return candidate;
  }
}

/** What each annotation may hold: values ingress-nginx takes, and hostile ones. */
const annotationValues: Record<string, { valid: string[]; hostile: string[] }> = {
  'ssl-redirect': { valid: ['true', 'false', 'True', '0'], hostile: ['yes', 'on', ' ', 'TRUE!'] },
  'force-ssl-redirect': { valid: ['true', 'false', 't', 'F'], hostile: ['no', '2'] },
  'backend-protocol': { valid: ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'grpcs', 'https'], hostile: ['AUTO_HTTP', 'FCGI', 'AJP', 'h2c', 'HTTP/2'] },
  'rewrite-target': { valid: ['/', '/new', '/$1', '/api/$2', '/$1/$2', '$1', '/a/$3'], hostile: ['/$9', '$0', '/${1}', '/a b', 'http://x/', '/ü', '/$1$2$3$4$5$6$7$8$9', `/${long(5000, 'w')}`, 'rel', '/$host', '/\\1'] },
  'use-regex': { valid: ['true', 'false', '1'], hostile: ['yes', 'regex'] },
  'proxy-read-timeout': { valid: ['5', '60', '1m', '24h', '86400', '3600s'], hostile: ['0', '-1', '86401', '1.5', '10ms', '1d', '9999999999999999', 'soon', '5 s', '25h'] },
  'proxy-send-timeout': { valid: ['1', '30', '2m'], hostile: ['0', 'never', '1e3', '100000'] },
  'proxy-connect-timeout': { valid: ['5', '1', '10s'], hostile: ['0', '0.5', '-3', '999999'] },
  'proxy-body-size': { valid: ['1m', '0', '10k', '8m', '4294967295', '1G', '512'], hostile: ['4294967296', '8G', '1.5m', '-1', '10x', '10MB', '0x10', '99999999999999999999'] },
  'allowlist-source-range': { valid: ['198.18.0.0/15', '127.0.0.1', 'fd00::/8', '198.18.0.0/16, 127.0.0.0/8', '198.19.4.0/24,fd00:1::/32', '::ffff:198.18.0.1/128'], hostile: ['198.18.0.1/15', '198.18.0.0/33', 'fd00::1%eth0', '198.18.0', '198.18.0.256/32', 'fd00::/129', ',', ' , ', 'fd00::g', '198.018.0.0/16', '198.18.0.0/-1', '198.18.0.0/15/1'] },
  'whitelist-source-range': { valid: ['198.18.0.0/15', '127.0.0.0/8'], hostile: ['198.18.0.0/99', 'localhost'] },
  'enable-cors': { valid: ['true', 'true', 'false'], hostile: ['enabled'] },
  'cors-allow-origin': {
    valid: ['https://example.com', 'https://*.example.com', 'http://localhost:8080', '*', 'null', 'https://a.example.com, https://b.example.com', 'HTTPS://EXAMPLE.COM'],
    hostile: [`https://*.${long(120, 'o')}.com`, `https://*.${Array.from({ length: 40 }, () => 'ab').join('.')}`, 'example.com', 'https://exa mple.com', 'https://*.*.example.com', 'https://example.com:0', 'https://example.com:99999', 'https://example.com/path', 'javascript:alert(1)', 'https://ünï.example', '*,https://x', ',', 'https://ex*ample.com'],
  },
  'cors-allow-methods': { valid: ['GET, POST', 'get', 'PUT,DELETE', 'PATCH'], hostile: ['GET POST', 'G(E)T', ',,'] },
  'cors-allow-headers': { valid: ['X-Custom, Content-Type', 'Authorization'], hostile: ['X Custom', 'a:b', 'ünï', '*', long(5000, 'c')] },
  'cors-expose-headers': { valid: ['X-Total-Count', 'X-A,X-B'], hostile: ['X A', '"q"'] },
  'cors-allow-credentials': { valid: ['true', 'false'], hostile: ['yes'] },
  'cors-max-age': { valid: ['600', '0', '2147483647'], hostile: ['2147483648', '-1', '1e3', '10m'] },
  canary: { valid: ['true'], hostile: ['yes', 'True!'] },
  'canary-weight': { valid: ['0', '10', '50', '100'], hostile: ['101', '-5', '50.5', '1000001', 'half'] },
  'canary-weight-total': { valid: ['100', '1000', '1000000'], hostile: ['0', '1000001', '-100', 'all'] },
  'canary-by-header': { valid: ['X-Canary', 'x-beta', 'Canary'], hostile: ['x canary', 'X-Canary:', ':path', 'ünï', 'host', 'Cookie', 'te', 'content-length', 'transfer-encoding', 'x-envoy-original-path', '*', long(300, 'H')] },
  'canary-by-header-value': { valid: ['always', 'yes', 'v2', 'a b c'], hostile: ['blü', 'a\r\nb', '\t'] },
  'canary-by-header-pattern': {
    valid: ['^v2$', 'beta|gamma', '(?i)canary', '[0-9]+', '(?P<v>v[0-9])', '\\pL+', 'x\\Qa.b\\E'],
    hostile: ['(?=x)', '\\u0041', 'a{1001}', '(a{100}){11}', long(120, 'h'), '[a-z]{300}', '(?<!x)y', '\\Qopen', '(', 'a)|(b', '\\Z', '\\cA', '(?x)a', '\\p{Greek', '.{1000}', `(${long(200, 'g')})`],
  },
  'canary-by-cookie': { valid: ['canary', 'beta_users', 'c.c-c'], hostile: ['a=b', 'a b', long(200, 'k'), long(80, 'k'), 'ünï', 'a;b', 'a|b+c*d$e^f'] },
  'auth-url': {
    valid: ['http://auth.default.svc.cluster.local/verify', 'https://auth.example.com/check?x=1', 'http://198.18.0.10:9000/', 'http://[fd00::10]:8080/auth', 'http://auth.team-a/', 'https://auth.shop.svc/ok'],
    hostile: ['ftp://x', 'http://$host/auth', 'http://user:pass@auth/', 'not a url', 'http://', 'http://a b/', 'http://*.example.com/', 'http://exa_mple.com/', 'http://ünïcode.example/', 'http://example.com:0/', 'http://example.com:65536/', `http://${long(300, 'd')}.com/`, 'http://[fd00::1/', 'https://example.com/%zz'],
  },
  'auth-method': { valid: ['GET', 'POST'], hostile: ['get', 'BREW'] },
  'auth-response-headers': { valid: ['X-User, X-Email', 'X-Auth'], hostile: ['X User', 'a:b', 'Host, content-length', 'transfer-encoding', '*', ':status'] },
  'permanent-redirect': { valid: ['https://example.com/new', 'http://[fd00::1]:8443/x?y=1', 'https://ünï.example/ä', 'https://example.com'], hostile: ['/relative', 'https://example.com/$request_uri', 'ftp://x', 'https://exa mple.com', 'https://example.com:99999/', 'https://example.com/a b', `https://example.com/${long(10000, 'z')}`] },
  'permanent-redirect-code': { valid: ['301', '308', '302'], hostile: ['300', '200', '399', 'moved'] },
  'temporal-redirect': { valid: ['https://example.com/later', 'http://198.18.0.1/'], hostile: ['https://', 'mailto:a@b'] },
  'temporal-redirect-code': { valid: ['302', '307', '301'], hostile: ['308', '304'] },
  'limit-rps': { valid: ['10', '1', '1000000'], hostile: ['0', '1000001', '-1', '1.5'] },
  'limit-burst-multiplier': { valid: ['5', '1', '1000'], hostile: ['1001', '0', 'x'] },
};
// ingress-nginx's, and made up: Portico tells them as unknown.
const unknownAnnotations = ['configuration-snippet', 'server-snippet', 'affinity', 'upstream-hash-by', 'x-forwarded-prefix', 'proxy-buffer-size', 'ssl-passthrough', 'bogus', '__proto__', 'constructor'];

interface Target { namespace: string; name: string; port: number | string }

interface World { services: V1Service[]; endpointSlices: V1EndpointSlice[]; secrets: V1Secret[]; targets: Target[]; hosts: string[] }

function servicePorts(r: Random, externalName: boolean): V1ServicePort[] {
  // A ClusterIP Service without ports is headless; the apiserver wants names once there are two.
  const numbers = sample(r, [80, 8080, 443, 9090, 1, 65_535, 81], r.int(externalName ? 3 : 4));
  const names = numbers.length === 1 ? [r.pick(['http', 'https', 'grpc', undefined])] : sample(r, ['http', 'https', 'grpc', 'metrics', 'admin', 'h2c'], numbers.length);
  return numbers.map((port, i) => ({
    port,
    protocol: 'TCP',
    targetPort: r.pick([8080, 8443, 9000]),
    ...(names[i] === undefined ? {} : { name: names[i] }),
    ...(r.chance(0.2) ? { appProtocol: r.pick(['kubernetes.io/h2c', 'http', 'https', 'kubernetes.io/ws']) } : {}),
  }));
}

function address(r: Random, type: string): string {
  // Test-range addresses only: Envoy validates, never connects.
  if (type === 'IPv6') return r.pick([`fd00::${(1 + r.int(0xfffe)).toString(16)}`, `fd00:1::${r.int(0xffff).toString(16)}:1`, 'fd00:10:244::1']);
  if (type === 'FQDN') return r.pick(['pod-1.example.com', 'backend.example.org']);
  return `198.19.${r.int(256)}.${1 + r.int(254)}`;
}

function endpointSlice(r: Random, namespace: string, service: string, ports: V1ServicePort[], index: number): V1EndpointSlice {
  const addressType = r.pick(['IPv4', 'IPv4', 'IPv6', 'FQDN']);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-${index}`, labels: { 'kubernetes.io/service-name': service } },
    addressType,
    // The EndpointSlice controller writes "" for an unnamed port; other writers may leave it out.
    ports: ports.filter(() => r.chance(0.85)).map((port) => ({ ...(port.name || r.chance(0.5) ? { name: port.name ?? '' } : {}), port: r.pick([8080, 8443, 9000, 1, 65_535]), protocol: 'TCP' })),
    endpoints: Array.from({ length: r.int(5) }, () => ({
      addresses: [address(r, addressType)],
      ...(r.chance(0.2) ? {} : { conditions: { ready: r.pick([true, true, false]) } }),
    })),
  };
}

/** Two certificates, made once (openssl) before the rounds. */
let certificates: { first: KeyPair; second: KeyPair } | undefined;

/** Every namespace has the good certificates; the bad ones come and go. */
function secrets(r: Random, namespace: string): V1Secret[] {
  if (!certificates) throw new Error('the certificates are made before the rounds');
  const { first, second } = certificates;
  const all: Array<[string, object]> = [
    ['cert-a', tlsSecretManifest(namespace, 'cert-a', first)],
    ['cert-b', tlsSecretManifest(namespace, 'cert-b', second)],
    ['wrong-key', tlsSecretManifest(namespace, 'wrong-key', { cert: first.cert, key: second.key })],
    ['garbage', tlsSecretManifest(namespace, 'garbage', { cert: 'not a certificate', key: '' })],
    ['empty', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { namespace, name: 'empty' } }],
    ['opaque', { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { namespace, name: 'opaque' }, data: { 'tls.crt': Buffer.from(first.cert).toString('base64') } }],
  ];
  return all.filter(([name]) => name.startsWith('cert-') || r.chance(0.6)).map(([, secret]) => secret as V1Secret);
}

function world(r: Random): World {
  const w: World = { services: [], endpointSlices: [], secrets: [], targets: [], hosts: hostPool(r) };
  for (const namespace of namespaces) {
    w.secrets.push(...secrets(r, namespace));
    for (const name of serviceNames) {
      if (!r.chance(0.6)) continue;
      const externalName = r.chance(name === 'ext' ? 0.8 : 0.1);
      const ports = servicePorts(r, externalName);
      w.services.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace, name },
        spec: externalName ? { type: 'ExternalName', externalName: r.pick(externalNames), ports } : { type: 'ClusterIP', clusterIP: ports.length ? '198.18.192.10' : 'None', ports },
      });
      for (const port of ports) {
        w.targets.push({ namespace, name, port: port.port });
        if (port.name) w.targets.push({ namespace, name, port: port.name });
      }
      // An ExternalName Service may be reached on any port, declared or not.
      if (externalName) w.targets.push({ namespace, name, port: r.pick([80, 8080, 443]) });
      else for (let i = r.int(3); i > 0; i--) w.endpointSlices.push(endpointSlice(r, namespace, name, ports, i));
    }
  }
  return w;
}

/** A backend the apiserver takes: a Service by name and port number or name (mostly one that exists), or a resource. */
function backend(r: Random, h: number, w: World, namespace: string): V1IngressBackend {
  if (r.chance(h / 3)) return { resource: { apiGroup: r.pick(['k8s.example.com', undefined]), kind: r.pick(['StorageBucket', 'Service']), name: r.pick(['assets', 'a.b', 'web']) } };
  const targets = w.targets.filter((target) => target.namespace === namespace);
  const target = targets.length && r.chance(0.85) ? r.pick(targets) : { name: r.pick(['missing', 'web', 'api']), port: r.pick<number | string>([80, 'http', 8080, 65_535, 'grpc', 'nope']) };
  const port = r.chance(h) ? r.pick<number | string>([1, 65_535, 'x', 'a-b', 'metrics']) : target.port;
  return { service: { name: target.name, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

interface Made { ingress: V1Ingress; valid: boolean }

/** Annotations: each a valid value, or with chance `h` a hostile one; under either prefix. */
function annotations(r: Random, h: number, regex: boolean, groups: number): Record<string, string> {
  const result: Record<string, string> = {};
  const names = sample(r, Object.keys(annotationValues).filter((name) => !name.startsWith('canary')), r.pick([0, 1, 2, 3, 5, 8]));
  if (regex) names.push(r.chance(0.5) ? 'use-regex' : 'rewrite-target');
  if (names.includes('enable-cors') || r.chance(0.2)) names.push('enable-cors', ...sample(r, ['cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age'], 1 + r.int(4)));
  for (const name of new Set(names)) {
    const { valid, hostile } = annotationValues[name]!;
    let value = r.chance(h) ? r.pick(hostile) : r.pick(valid);
    if (name === 'use-regex' && regex && !r.chance(h)) value = 'true';
    // A valid rewrite uses no group its paths lack.
    if (name === 'rewrite-target' && !hostile.includes(value)) value = r.pick(valid.filter((target) => Math.max(0, ...[...target.matchAll(/\$(\d)/g)].map((m) => Number(m[1]))) <= groups));
    result[`${r.chance(0.2) ? porticoPrefix : nginxPrefix}${name}`] = r.chance(0.05) ? ` ${value} ` : value;
  }
  if (r.chance(0.15)) result[`${r.pick([nginxPrefix, porticoPrefix])}${r.pick(unknownAnnotations)}`] = r.pick(['x', '', 'more_set_headers "X: y";']);
  // An empty value counts as not set.
  if (!regex && r.chance(0.05)) result[`${nginxPrefix}use-regex`] = '';
  return result;
}

function tlsEntries(r: Random, h: number, w: World, ruleHosts: readonly string[]): V1IngressTLS[] {
  return Array.from({ length: 1 + r.int(2) }, () => {
    const hosts = sample(r, ruleHosts.filter((host) => host !== ''), 1 + r.int(Math.max(ruleHosts.length, 1)));
    if (r.chance(h * 2)) hosts.push(...sample(r, w.hosts, 1 + r.int(2)));
    // The apiserver checks TLS hosts as DNS names only: an address passes.
    if (r.chance(h)) hosts.push(r.pick(['198.18.0.1', '127.0.0.1', '*.198.18', '1.2.3', 'localhost']));
    const entry: V1IngressTLS = {};
    if (hosts.length || r.chance(0.5)) entry.hosts = [...new Set(hosts)];
    const secretName = r.chance(h * 2) ? r.pick(['', 'missing', 'wrong-key', 'garbage', 'empty', 'opaque']) : r.pick(['cert-a', 'cert-b', undefined]);
    if (secretName !== undefined) entry.secretName = secretName;
    return entry;
  });
}

function ingress(r: Random, w: World, index: number): Made {
  const h = r.pick([0, 0, 0, 0.05, 0.15, 0.4]);
  const namespace = r.pick(namespaces);
  const regex = r.chance(0.35);
  const rules: V1IngressRule[] = [];
  let groups = 3;
  for (let i = r.pick([0, 1, 1, 2, 3]); i > 0; i--) {
    const rule: V1IngressRule = {};
    if (r.chance(0.9)) rule.host = r.chance(h) ? r.pick(w.hosts) : r.pick(w.hosts.filter((host) => host.length < 100 && host.split('.').length < 8));
    if (r.chance(0.95)) {
      const paths: V1HTTPIngressPath[] = Array.from({ length: r.pick([1, 1, 2, 3, 4]) }, () => {
        const pathType = r.pick(['Prefix', 'Exact', 'ImplementationSpecific', 'ImplementationSpecific']);
        const value = pathValue(r, h, pathType, regex);
        // An Exact path is no expression: a rewrite of it has no groups.
        groups = Math.min(groups, pathType === 'Exact' ? 0 : value.groups);
        return { pathType, path: value.path, backend: backend(r, h, w, namespace) };
      });
      rule.http = { paths };
    }
    rules.push(rule);
  }
  const spec: V1Ingress['spec'] = {};
  if (rules.length) spec.rules = rules;
  // The apiserver wants rules or a defaultBackend.
  if (!rules.length || r.chance(0.1)) spec.defaultBackend = backend(r, h, w, namespace);
  if (r.chance(0.35)) spec.tls = tlsEntries(r, h, w, rules.map((rule) => rule.host ?? ''));
  if (r.chance(0.3)) spec.ingressClassName = r.pick(['portico', 'nginx']);
  const made: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    // A string, as the informer hands it over (client-node's type says Date); ties are likely.
    metadata: { namespace, name: `ing-${index}`, generation: 1 + r.int(3), annotations: annotations(r, h, regex, groups), creationTimestamp: `2026-01-0${1 + r.int(3)}T00:00:00Z` as unknown as Date },
    spec,
  };
  return { ingress: made, valid: h === 0 };
}

/** A canary of some primary's host and path (or of nothing), with the canary annotations. */
function canary(r: Random, w: World, primaries: readonly V1Ingress[], index: number): Made {
  const h = r.pick([0, 0, 0.1, 0.3]);
  const paths = primaries.flatMap((primary) => (primary.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((path) => ({ primary, rule, path }))));
  const chosen = paths.length && r.chance(0.85) ? sample(r, paths, 1 + r.int(2)) : [];
  const namespace = chosen[0]?.primary.metadata?.namespace ?? r.pick(namespaces);
  const rules: V1IngressRule[] = chosen.map(({ rule, path }) => ({
    ...(rule.host === undefined ? {} : { host: rule.host }),
    http: { paths: [{ pathType: path.pathType, path: path.path, backend: backend(r, h, w, namespace) }] },
  }));
  if (!rules.length) rules.push({ host: r.pick(w.hosts), http: { paths: [{ pathType: 'Prefix', path: '/nowhere', backend: backend(r, h, w, namespace) }] } });
  const result: Record<string, string> = { [`${nginxPrefix}canary`]: 'true' };
  for (const name of sample(r, ['canary-weight', 'canary-weight-total', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie'], 1 + r.int(4))) {
    const { valid, hostile } = annotationValues[name]!;
    const hostileValue = name === 'canary-by-header-pattern' && r.chance(0.5) ? expression(r) : r.pick(hostile);
    result[`${r.chance(0.2) ? porticoPrefix : nginxPrefix}${name}`] = r.chance(h) ? hostileValue : r.pick(valid);
  }
  // A canary-by-header-pattern only counts with its header.
  if (Object.keys(result).some((key) => key.endsWith('canary-by-header-pattern')) && r.chance(0.8)) result[`${nginxPrefix}canary-by-header`] = 'X-Canary';
  return {
    ingress: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace, name: `canary-${index}`, generation: 1, annotations: result, creationTimestamp: `2026-01-0${1 + r.int(4)}T00:00:00Z` as unknown as Date },
      spec: { rules },
    },
    valid: h === 0,
  };
}

interface Round {
  index: number;
  ingresses: V1Ingress[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets: V1Secret[];
  /** Keys of the Ingresses generated valid: Portico must serve them. */
  valid: Set<string>;
}

function makeRound(index: number): Round {
  const r = roundRandom(index);
  const w = world(r);
  const made: Made[] = [];
  for (let i = r.int(7); i >= 0; i--) made.push(ingress(r, w, made.length));
  const primaries = made.map(({ ingress }) => ingress);
  for (let i = r.pick([0, 0, 1, 2]); i > 0; i--) made.push(canary(r, w, primaries, made.length));
  return {
    index,
    ingresses: made.map(({ ingress }) => ingress),
    services: w.services,
    endpointSlices: w.endpointSlices,
    secrets: w.secrets,
    valid: new Set(made.filter(({ valid }) => valid).map(({ ingress }) => ingressKey(ingress))),
  };
}

interface PipelineResult {
  /** What xDS would serve; undefined when a step threw. */
  resources?: Record<string, object[]>;
  /** Thrown exceptions, and valid Ingresses refused or cut. */
  failures: string[];
  served: string[];
  reasons: string[];
  /** The reasons of what was not served of served Ingresses. */
  notes: string[];
}

function described(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

// What of a valid Ingress may not be refused: its hosts, paths and annotations are good.
const refusedParts = new Set(['InvalidPath', 'InvalidHost', 'InvalidAnnotation', 'InvalidIngress']);

/** The operator's path for these Ingresses, as the source and testdata/translate-cases.ts run it. */
function pipeline(round: Round, ingresses: readonly V1Ingress[]): PipelineResult {
  const lookups = listLookups(round.services, round.endpointSlices, round.secrets);
  const failures: string[] = [];
  const fragments: Fragment[] = [];
  let primaries: V1Ingress[];
  let canaries: V1Ingress[];
  let assigned: ReturnType<typeof assignCanaries>;
  try {
    primaries = ingresses.filter((ingress) => !isCanary(ingress));
    canaries = ingresses.filter(isCanary);
    assigned = assignCanaries(primaries, canaries);
  } catch (error) {
    return { failures: [`telling or assigning canaries threw: ${described(error)}`], served: [], reasons: [], notes: [] };
  }
  const each = (ingress: V1Ingress, make: () => Omit<Fragment, 'reads'>) => {
    const key = ingressKey(ingress);
    try {
      const fragment = make();
      if (round.valid.has(key)) {
        if (fragment.refusal) failures.push(`valid Ingress ${key} was refused: ${fragment.refusal.reason}: ${fragment.refusal.message}`);
        for (const note of fragment.notes ?? []) if (refusedParts.has(note.reason)) failures.push(`valid Ingress ${key} had part refused: ${note.reason}: ${note.message}`);
      }
      fragments.push({ ...fragment, reads: new Set() });
    } catch (error) {
      failures.push(`translating Ingress ${key} threw: ${described(error)}`);
    }
  };
  for (const ingress of primaries) each(ingress, () => translateAnnotated(ingress, lookups, assigned.byPrimary.get(ingressKey(ingress)) ?? [], clusterDomain));
  for (const ingress of canaries) each(ingress, () => canaryFragment(ingress, assigned.canaryNotes.get(ingressKey(ingress)) ?? []));
  try {
    const { ir, outcomes } = mergeFragments(installationPart(defaultInstallation, lookups), fragments);
    const resources = translate(ir);
    snapshotOf(ir);
    const served = [...outcomes].filter(([, outcome]) => outcome.status === 'served').map(([key]) => key.slice(key.indexOf(':') + 1));
    const reasons = [...outcomes.values()].flatMap((outcome) => (outcome.status === 'served' ? [] : [outcome.reason]));
    const notes = fragments.flatMap((fragment) => (fragment.notes ?? []).map((note) => note.reason));
    return { resources, failures, served, reasons, notes };
  } catch (error) {
    return { failures: [...failures, `assembling, translating or encoding threw: ${described(error)}`], served: [], reasons: [], notes: [] };
  }
}

/** Envoy's complaint, without its log prefix and the temporary file's name; undefined when Envoy accepts. */
async function envoyRejection(resources: Record<string, object[]>): Promise<string | undefined> {
  const result = await validateBootstrap(staticBootstrapOf(resources));
  if (result.valid) return undefined;
  const marker = /error initializing configuration '[^']*': /;
  const start = result.output.search(marker);
  let text = start < 0 ? result.output : result.output.slice(start).replace(marker, '');
  text = text.split(/\n(?=\[\d{4}-)/)[0] ?? text;
  // A constraint violation comes after a dump of the whole message; a JSON error before the whole JSON.
  const constraint = text.indexOf('Proto constraint validation failed');
  if (constraint >= 0) text = text.slice(constraint).replaceAll(': embedded message failed validation | caused by ', ' → ');
  text = /^Unable to parse JSON as proto \(.*?\): \{/s.exec(text)?.[0].slice(0, -3) ?? text;
  // Envoy pads its messages with random spaces, so that nobody parses them.
  return abbreviated(text.replace(/\s+/g, ' ').trim(), 1000);
}

/** Cut in the middle: Envoy's messages end with what went wrong. */
function abbreviated(text: string, max = 160): string {
  if (text.length <= max) return text;
  const keep = Math.floor((max - 30) / 2);
  return `${text.slice(0, keep)}…(${text.length} characters)…${text.slice(-keep)}`;
}

/** For printing: long strings cut short (replay by seed and round for the real thing). */
function printable(value: unknown): unknown {
  if (typeof value === 'string') return abbreviated(value);
  if (Array.isArray(value)) return value.map(printable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [abbreviated(key), printable(item)]));
  return value;
}

/** The primaries Envoy rejects alone (with every canary, which claim nothing), else the first pair it rejects together. */
async function culprits(round: Round, served: readonly string[]): Promise<Array<{ keys: string[]; rejection: string }>> {
  const canaries = round.ingresses.filter(isCanary);
  const candidates = round.ingresses.filter((ingress) => !isCanary(ingress) && served.includes(ingressKey(ingress)));
  const found: Array<{ keys: string[]; rejection: string }> = [];
  for (const ingress of candidates) {
    const { resources } = pipeline(round, [ingress, ...canaries]);
    const rejection = resources && (await envoyRejection(resources));
    if (rejection) found.push({ keys: [ingressKey(ingress)], rejection });
  }
  if (found.length) return found;
  for (const [i, first] of candidates.entries()) {
    for (const second of candidates.slice(i + 1)) {
      const { resources } = pipeline(round, [first, second, ...canaries]);
      const rejection = resources && (await envoyRejection(resources));
      if (rejection) return [{ keys: [first, second].map(ingressKey), rejection }];
    }
  }
  return [];
}

interface RoundReport { round: number; summary: string; detail: string }

interface Totals { ingresses: number; served: number; validations: number; reasons: Map<string, number>; notes: Map<string, number> }

function backendsOf(ingress: V1Ingress): string[] {
  const namespace = ingress.metadata?.namespace ?? '';
  const backends = [ingress.spec?.defaultBackend, ...(ingress.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((path) => path.backend))];
  return backends.flatMap((item) => (item?.service ? [`${namespace}/${item.service.name}`] : []));
}

async function runRound(round: Round, totals: Totals): Promise<RoundReport | undefined> {
  const result = pipeline(round, round.ingresses);
  totals.ingresses += round.ingresses.length;
  totals.served += result.served.length;
  for (const reason of result.reasons) totals.reasons.set(reason, (totals.reasons.get(reason) ?? 0) + 1);
  for (const reason of result.notes) totals.notes.set(reason, (totals.notes.get(reason) ?? 0) + 1);
  const problems = [...result.failures];
  let suspects = round.ingresses;
  if (result.resources) {
    totals.validations++;
    const rejection = await envoyRejection(result.resources);
    if (rejection) {
      problems.push(`Envoy rejected the round's resources: ${rejection}`);
      const found = await culprits(round, result.served);
      for (const { keys, rejection: alone } of found) problems.push(`Envoy rejects ${keys.join(' with ')}${keys.length > 1 ? ' (neither alone)' : ' alone'}: ${alone}`);
      if (found.length) suspects = round.ingresses.filter((ingress) => isCanary(ingress) || found.some(({ keys }) => keys.includes(ingressKey(ingress))));
    }
  }
  if (problems.length === 0) return undefined;
  const named = result.failures.map((failure) => /Ingress (\S+)/.exec(failure)?.[1]).filter((key) => key !== undefined);
  if (named.length && suspects === round.ingresses) suspects = round.ingresses.filter((ingress) => named.includes(ingressKey(ingress)));
  const services = new Set(suspects.flatMap(backendsOf));
  const secretNames = new Set(suspects.flatMap((ingress) => (ingress.spec?.tls ?? []).map((entry) => `${ingress.metadata?.namespace ?? ''}/${entry.secretName ?? ''}`)));
  const inputs = {
    ingresses: suspects,
    services: round.services.filter((service) => services.has(`${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`)),
    endpointSlices: round.endpointSlices.filter((slice) => services.has(`${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.['kubernetes.io/service-name'] ?? ''}`)),
    secrets: round.secrets.filter((secret) => secretNames.has(`${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`)).map((secret) => ({ metadata: secret.metadata, type: secret.type, data: '…' })),
  };
  const replay = `PORTICO_FUZZ_SEED=${seedText} PORTICO_FUZZ_ROUND=${round.index}`;
  return {
    round: round.index,
    summary: `round ${round.index}: ${abbreviated(problems.at(-1) ?? '', 400)}`,
    detail: `round ${round.index} of seed ${seedText} (replay: ${replay} mocha e2e/integration/ingress-fuzz.test.ts)\n${problems.map((problem) => `- ${abbreviated(problem, 1500)}`).join('\n')}\n${stringify(printable(inputs), { lineWidth: 0, aliasDuplicateObjects: false })}`,
  };
}

describe(`Ingress fuzzing against the real Envoy (seed ${seedText})`, function () {
  const indices = onlyRound === undefined ? Array.from({ length: rounds }, (_, i) => i) : [onlyRound];
  this.timeout(Math.max(120_000, indices.length * 1_000));

  before(async function () {
    this.timeout(10 * 60_000); // a first run installs Envoy
    await envoyBinary();
    certificates = { first: await selfSignedCertificate(['first.example.com', '*.example.com']), second: await selfSignedCertificate(['second.example.com']) };
  });

  it(`${onlyRound === undefined ? `${rounds} rounds` : `round ${onlyRound}`} of random Ingresses: nothing throws, no valid one is refused, Envoy accepts every translation`, async () => {
    const totals: Totals = { ingresses: 0, served: 0, validations: 0, reasons: new Map(), notes: new Map() };
    const reports: RoundReport[] = [];
    const started = Date.now();
    const queue = [...indices];
    const worker = async (): Promise<void> => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        const report = await runRound(makeRound(index), totals);
        if (report) reports.push(report);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const tally = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none';
    console.log(`      seed ${seedText}: ${indices.length} rounds, ${totals.ingresses} Ingresses (${totals.served} served; not: ${tally(totals.reasons)}; parts not served: ${tally(totals.notes)}), ${totals.validations} Envoy validations, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (reports.length === 0) return;
    reports.sort((a, b) => a.round - b.round);
    const shown = 5;
    throw new Error([
      `${reports.length} of ${indices.length} rounds failed (seed ${seedText}).`,
      ...reports.slice(0, shown).map((report) => report.detail),
      ...(reports.length > shown ? ['Other failing rounds:', ...reports.slice(shown).map((report) => report.summary)] : []),
    ].join('\n\n'));
  });
});
