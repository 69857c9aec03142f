// Fuzz test of the KIngress translation against the real Envoy. Each round makes a random set
// of KIngresses with the Services, EndpointSlices and Secrets they name: valid ones as Knative
// writes them, and hostile ones that Knative's CRD still lets the apiserver store (odd header
// names and values, odd hosts and paths, out-of-range percents and ports, empty strings,
// hundreds of splits, bad certificates...). A round goes through the operator's own pipeline
// (translateIngress, the merge into a default installation's graph with the HTTPS listeners the
// TLS entries make, the xDS translation and its protobuf encoding) and `envoy --mode validate` must
// accept the result: what Envoy would reject (NACK), Portico must refuse itself, KIngress by
// KIngress. Nothing may throw, and a valid KIngress is never refused.
//
// Deterministic: round n depends on (seed, n) alone. PORTICO_FUZZ_SEED and PORTICO_FUZZ_ROUNDS
// override the seed and the number of rounds; PORTICO_FUZZ_ROUND=n replays round n alone.
import type { V1EndpointSlice, V1Secret, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Fragment } from '../../operator/graph/fragment.ts';
import { installationPart } from '../../operator/graph/installation.ts';
import { mergeFragments } from '../../operator/graph/merge.ts';
import { ingressHash } from '../../operator/sources/knative/hash.ts';
import { defaultInstallation, knativeOptions, listLookups } from '../../operator/sources/knative/testdata/translate-cases.ts';
import { ingressKey, translateIngress } from '../../operator/sources/knative/translate.ts';
import { apiVersion, disableHttp2Annotation, ingressClassAnnotation, kind, type KnativeIngress } from '../../operator/sources/knative/types.ts';
import { snapshotOf } from '../../xds/encoder.ts';
import { translate } from '../../xds/translate.ts';
import { selfSignedCertificate, tlsSecretManifest, type KeyPair } from '../support/certificates.ts';
import { envoyBinary, staticBootstrapOf, validateBootstrap } from '../support/envoy.ts';
import { fuzzSettings, sample } from '../support/fuzz.ts';
import type { Random } from '../support/random.ts';

const { rounds, onlyRound, seedText, roundRandom } = fuzzSettings(0x6b1e55ed, 200);
// Two Envoy validations at a time: the machine is small and shared.
const parallel = 2;

// The vocabulary. Hostile values are what the CRD lets through (strings where it says string,
// any integer where it says integer, int32 or string for servicePort), never what the
// apiserver could not store: no lone surrogates, no fractions, no nulls, no missing required fields.
const namespaces = ['default', 'team-a', 'serving-tests'];
const serviceNames = ['web', 'api', 'grpc', 'ext', 'legacy'];
const externalNames = ['example.org', 'backend.team-a.svc.cluster.local', 'api.example.com.', '198.19.1.2'];
const long = (length: number, c = 'a') => c.repeat(length);

const hostileHosts = [
  'foo.*.example.com', '*.*.example.com', 'foo*.example.com', '*foo.example.com', 'foo.example.*', '**', '*.', '.example.com',
  'example.com.', 'Example.COM', 'UPPER.example.com', 'Hello.Default.svc.cluster.local', `${long(64)}.example.com`,
  `${long(300, 'b')}.example.com`, `x.${long(64, 'c')}`, '198.19.0.1', '123', 'foo.123', '[::1]', '::1', 'host:8080', 'exa mple.com', '',
  'ünïcode.example', 'xn--bcher-kva.example', '-lead.example.com', 'trail-.example.com', 'a..b', 'a_b.example.com', '*.svc.cluster.local',
  '*.cluster.local', 'svc.cluster.local', 'cluster.local', 'shared.example.com', 'SHARED.example.com', '*', '*.example.com', '*.EXAMPLE.com',
  'tab\there.com', 'nul\0.com', 'crlf\r\n.example.com',
];
const hostileHeaderNames = [
  'bad name', 'a:b', ':authority', ':path', ':status', 'Host', 'host', 'HOST', 'connection', 'Connection', 'te', 'TE', 'transfer-encoding',
  'upgrade', 'keep-alive', 'proxy-connection', 'content-length', 'ünï', '', ' ', 'x\r\ny', 'x\0', 'x\n', '"quoted"', '(paren)', 'x/y',
  'x@y', 'x=y', 'K-Network-Hash', 'K-Network-Probe', 'x-envoy-original-path', 'x-envoy-retry-on', '__proto__', 'constructor',
  long(17_000, 'x'),
];
const hostileHeaderValues = [
  '\r', '\n', '\0', 'a\r\nInjected: 1', '', ' leading', 'trailing ', 'ünïcode', '😀', '\t', '\u007f', long(17_000, 'v'), long(70_000, 'w'),
  '%', '50%', '%%', '%DOWNSTREAM_REMOTE_ADDRESS%', '%REQ(host)%', '%UNKNOWN_COMMAND%', '%START_TIME(%s)%', '%REQ(',
];
const hostilePaths = [
  'api', 'relative/path', '*', '/with space', '/q?x=1', '/frag#x', '/ünï', '/😀', '/\0', '/\r\n', '/\t', '//', '/a/../b', '/%2F', ' /lead',
  '\\', '/.well-known/acme-challenge', `/${long(20_000)}`,
];
const hostileRewriteHosts = ['UPPER.example.com', 'bad host', 'a.*.b', '*.example.com', '*', 'host:80', 'h\r\n', 'ünï.example', long(70_000, 'r'), 'example.com.'];
const hostileVisibilities = ['', 'clusterlocal', 'CLUSTERLOCAL', 'Public', 'ExternalIP ', 'ClusterLocal\n'];
const hostileHttpOptions = ['', 'redirected', 'Bogus', 'Disabled'];
const hostilePercents = [0, -1, -100, 101, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)];
const hostilePorts = [0, -1, 65_536, 2 ** 31 - 1, -(2 ** 31), '', '80', 'nope', 'HTTP', ' http', 'ünï', long(1000, 'p')];
const hostileServiceRefs = ['', 'Missing', 'a/b', 'ünï', long(300, 's'), ' ', 'default/web', 'web.default'];

const appendNames = ['Knative-Serving-Namespace', 'Knative-Serving-Revision', 'K-Original-Host', 'x-request-tag', 'X-B3-Sampled'];
const appendValues = ['default', 'rev-00001', 'v2', 'a b c', '', 'true', 'ünïcode ok', '1,2,3'];
const matchNames = ['Knative-Serving-Tag', 'x-user', 'Cookie', 'x-canary', 'K-Network-Probe'];
const matchValues = ['v2', 'canary', '', '', 'a b', 'ünï'];
const validPaths = [undefined, '', '/', '/api', '/api/v1/', '/.well-known/acme-challenge/', '/.well-known/acme-challenge/token-1', '/static/img.png', '/%20encoded'];
const validRewriteHosts = ['rewritten.example.com', 'web.default.svc.cluster.local', 'app.team-a'];

interface SplitInput { serviceNamespace: string; serviceName: string; servicePort: number | string; percent?: number; appendHeaders?: Record<string, string> }
interface PathInput { path?: string; rewriteHost?: string; headers?: Record<string, { exact: string }>; splits: SplitInput[]; appendHeaders?: Record<string, string> }
interface RuleInput { hosts?: string[]; visibility?: string; http?: { paths: PathInput[] } }
interface TlsInput { hosts?: string[]; secretName?: string; secretNamespace?: string }

/** A Service port a valid split may name. */
interface Target { namespace: string; name: string; port: number | string }

interface Round {
  index: number;
  ingresses: KnativeIngress[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets: V1Secret[];
  /** Keys of the KIngresses generated valid: Portico must serve them (unless another claimed their hosts first). */
  valid: Set<string>;
}

interface World { services: V1Service[]; endpointSlices: V1EndpointSlice[]; secrets: V1Secret[]; targets: Target[]; hosts: string[] }

function servicePorts(r: Random, externalName: boolean): V1ServicePort[] {
  // A ClusterIP Service without ports is headless; the apiserver wants names once there are two.
  const numbers = sample(r, [80, 8080, 8012, 443, 9090, 1, 65_535, 81], r.int(externalName ? 3 : 4));
  const names = numbers.length === 1 ? [r.pick(['http', 'http2', 'h2c', 'grpc', undefined])] : sample(r, ['http', 'http2', 'h2c', 'grpc', 'metrics', 'admin'], numbers.length);
  return numbers.map((port, i) => ({
    port,
    protocol: 'TCP',
    targetPort: r.pick([8080, 8012, 9000]),
    ...(names[i] === undefined ? {} : { name: names[i] }),
    ...(r.chance(0.2) ? { appProtocol: r.pick(['kubernetes.io/h2c', 'http', 'kubernetes.io/ws']) } : {}),
  }));
}

function address(r: Random, type: string): string {
  if (type === 'IPv6') return r.pick([`2001:db8::${(1 + r.int(0xfffe)).toString(16)}`, `2001:db8:1::${r.int(0xffff).toString(16)}:1`, '2001:db8:10:244::1']);
  if (type === 'FQDN') return r.pick(['pod-1.example.com', 'backend.example.org']);
  // Test-range addresses only (198.19.0.0/16 is held by nothing and blackholed): Envoy validates, never connects.
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
    ports: ports.filter(() => r.chance(0.85)).map((port) => ({ ...(port.name || r.chance(0.5) ? { name: port.name ?? '' } : {}), port: r.pick([8080, 8012, 9000, 1, 65_535]), protocol: 'TCP' })),
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
  ];
  return all.filter(([name]) => name.startsWith('cert-') || r.chance(0.6)).map(([, secret]) => secret as V1Secret);
}

function world(r: Random): World {
  const w: World = { services: [], endpointSlices: [], secrets: [], targets: [], hosts: [] };
  for (const namespace of namespaces) {
    w.secrets.push(...secrets(r, namespace));
    for (const name of serviceNames) {
      if (!r.chance(0.5)) continue;
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
      else for (let i = r.int(4); i > 0; i--) w.endpointSlices.push(endpointSlice(r, namespace, name, ports, i));
    }
  }
  return w;
}

/** `hostility`: how likely each field is to take a hostile value instead of a valid one. */
type Hostility = number;

function headerMap(r: Random, h: Hostility, names: readonly string[], values: readonly string[], max: number): Record<string, string> {
  // Object.fromEntries, as JSON.parse in the informer: "__proto__" stays an own key.
  return Object.fromEntries(Array.from({ length: 1 + r.int(max) }, () => [
    r.chance(h) ? r.pick(hostileHeaderNames) : r.pick(names),
    r.chance(h) ? r.pick(hostileHeaderValues) : r.pick(values),
  ]));
}

function percents(r: Random, count: number): number[] {
  const result: number[] = [];
  let left = 100;
  for (let i = 1; i < count; i++) {
    const percent = r.chance(0.2) ? 0 : r.int(left + 1);
    result.push(percent);
    left -= percent;
  }
  return [...result, left];
}

function split(r: Random, h: Hostility, w: World, percent: number | undefined): SplitInput {
  const target = w.targets.length && r.chance(0.85) ? r.pick(w.targets) : { namespace: r.pick(namespaces), name: r.pick(['missing', 'hello-00001']), port: r.pick([80, 'http']) };
  const result: SplitInput = {
    serviceNamespace: r.chance(h) ? r.pick(hostileServiceRefs) : target.namespace,
    serviceName: r.chance(h) ? r.pick(hostileServiceRefs) : target.name,
    servicePort: r.chance(h) ? r.pick(hostilePorts) : target.port,
  };
  // Less often than other fields: a bad percent refuses the whole KIngress, hiding the rest.
  if (r.chance(h / 3)) result.percent = r.pick(hostilePercents);
  else if (percent !== undefined) result.percent = percent;
  if (r.chance(0.3)) result.appendHeaders = headerMap(r, h, appendNames, appendValues, 2);
  return result;
}

function splits(r: Random, h: Hostility, w: World): SplitInput[] {
  if (r.chance(h / 2)) {
    // None at all, or hundreds (each rarely hostile, so that most such paths get to Envoy).
    if (r.chance(0.5)) return [];
    return Array.from({ length: 50 + r.int(400) }, () => split(r, h / 50, w, r.int(3)));
  }
  const count = r.pick([1, 1, 1, 2, 2, 3]);
  const shares = count === 1 && r.chance(0.5) ? [undefined] : percents(r, count);
  return shares.map((percent) => split(r, h, w, percent));
}

function path(r: Random, h: Hostility, w: World): PathInput {
  const result: PathInput = { splits: splits(r, h, w) };
  const path = r.chance(h) ? r.pick(hostilePaths) : r.pick(validPaths);
  if (path !== undefined) result.path = path;
  if (r.chance(0.2)) result.rewriteHost = r.chance(h * 2) ? r.pick(hostileRewriteHosts) : r.pick(validRewriteHosts);
  if (r.chance(0.3)) {
    const headers = headerMap(r, h, matchNames, matchValues, 2);
    result.headers = Object.fromEntries(Object.entries(headers).map(([name, exact]) => [name, { exact }]));
  }
  if (r.chance(0.4)) result.appendHeaders = headerMap(r, h, appendNames, appendValues, 3);
  return result;
}

/** Hosts as Knative writes them: distinct per rule, cluster-local names on ClusterLocal rules. */
function validHosts(r: Random, namespace: string, name: string, rule: number, clusterLocal: boolean): string[] | undefined {
  if (rule === 0 && r.chance(0.05)) return r.pick([undefined, [], ['*']]);
  const base = rule === 0 ? name : `${name}-r${rule}`;
  if (clusterLocal) {
    const all = [`${base}.${namespace}`, `${base}.${namespace}.svc`, `${base}.${namespace}.svc.cluster.local`];
    return sample(r, all, 1 + r.int(all.length));
  }
  return r.pick([
    [`${base}.${namespace}.example.com`],
    [`${base}.${namespace}.example.com`, `${base}-${namespace}.apps.example.org`],
    [`*.${base}.example.com`],
    [`${base}.${namespace}.127.0.0.1.sslip.io`],
    [`${base}-${namespace}.xn--bcher-kva.example`],
  ]);
}

/** A hostile host: from the list, or one already used in the round, perhaps in other letters. */
function hostileHost(r: Random, w: World): string {
  if (w.hosts.length === 0 || r.chance(0.6)) return r.pick(hostileHosts);
  const host = r.pick(w.hosts);
  return r.pick([host, host.toUpperCase(), `${host[0]?.toUpperCase() ?? ''}${host.slice(1)}`, `${host}.`]);
}

function rule(r: Random, h: Hostility, w: World, namespace: string, name: string, index: number): RuleInput {
  const visibility = r.chance(h) ? r.pick(hostileVisibilities) : r.pick(['ExternalIP', 'ClusterLocal', undefined]);
  let hosts = validHosts(r, namespace, name, index, visibility === 'ClusterLocal');
  if (r.chance(h * 2)) hosts = [...(hosts ?? []).filter(() => r.chance(0.5)), ...Array.from({ length: 1 + r.int(2) }, () => hostileHost(r, w))];
  w.hosts.push(...(hosts ?? []));
  const result: RuleInput = {};
  if (hosts !== undefined) result.hosts = hosts;
  if (visibility !== undefined) result.visibility = visibility;
  // A rule without http, or with no paths at all.
  if (r.chance(h / 2)) return r.chance(0.5) ? result : { ...result, http: { paths: [] } };
  result.http = { paths: Array.from({ length: r.pick([1, 1, 2, 3]) }, () => path(r, h, w)) };
  return result;
}

/** TLS entries for some of the rules' hosts, as Knative writes them for its certificates; or odd ones. */
function tls(r: Random, h: Hostility, w: World, namespace: string, ruleHosts: readonly string[]): TlsInput[] {
  return Array.from({ length: 1 + r.int(2) }, () => {
    // Knative names no certificate for "*"; a hostile entry may.
    const hosts = sample(r, ruleHosts.filter((host) => host !== '*'), 1 + r.int(Math.max(ruleHosts.length, 1)));
    if (r.chance(h * 2)) hosts.push(...Array.from({ length: 1 + r.int(2) }, () => (ruleHosts.length && r.chance(0.5) ? r.pick(ruleHosts).toUpperCase() : hostileHost(r, w))));
    const entry: TlsInput = { secretName: r.chance(h * 2) ? r.pick(['', 'missing', 'wrong-key', 'garbage', 'empty']) : r.pick(['cert-a', 'cert-b']) };
    if (hosts.length || r.chance(0.5)) entry.hosts = hosts;
    // Left out, the Secret is in the KIngress's namespace.
    if (r.chance(0.5)) entry.secretNamespace = r.chance(h * 2) ? r.pick(['', 'other', ...namespaces]) : namespace;
    return entry;
  });
}

function ingress(r: Random, h: Hostility, w: World, index: number): KnativeIngress {
  const namespace = r.pick(namespaces);
  const name = `ing-${index}`;
  const annotations: Record<string, string> = { [ingressClassAnnotation]: 'kourier.ingress.networking.knative.dev' };
  if (r.chance(0.2)) annotations[disableHttp2Annotation] = r.chance(h * 3) ? r.pick(['True', 'yes', '']) : 'true';
  const rules = r.chance(h / 2) ? [] : Array.from({ length: r.pick([1, 2, 2, 3]) }, (_, i) => rule(r, h, w, namespace, name, i));
  const httpOption = r.chance(h) ? r.pick(hostileHttpOptions) : r.pick([undefined, 'Enabled', 'Redirected']);
  const entries = r.chance(0.4) ? tls(r, h, w, namespace, rules.flatMap((rule) => rule.hosts ?? [])) : undefined;
  // The CRD's schema, not types.ts, says what may be stored: visibility and httpOption are any string.
  const spec = { ...(entries ? { tls: entries } : {}), rules, ...(httpOption === undefined ? {} : { httpOption }) } as unknown as KnativeIngress['spec'];
  return {
    apiVersion,
    kind,
    // A string, as the informer hands it over (client-node's type says Date); ties are likely.
    metadata: { namespace, name, generation: 1, annotations, creationTimestamp: `2026-01-0${1 + r.int(3)}T00:00:00Z` as unknown as Date },
    spec,
  };
}

function makeRound(index: number): Round {
  const r = roundRandom(index);
  const w = world(r);
  const ingresses: KnativeIngress[] = [];
  const valid = new Set<string>();
  for (let i = r.int(8); i >= 0; i--) {
    const hostility = r.pick([0, 0, 0.02, 0.08, 0.25]);
    const generated = ingress(r, hostility, w, ingresses.length);
    if (hostility === 0) valid.add(ingressKey(generated));
    ingresses.push(generated);
  }
  return { index, ingresses, services: w.services, endpointSlices: w.endpointSlices, secrets: w.secrets, valid };
}

interface PipelineResult {
  /** What xDS would serve; undefined when a step threw. */
  resources?: Record<string, object[]>;
  /** Thrown exceptions and refused valid KIngresses. */
  failures: string[];
  served: string[];
  reasons: string[];
}

function described(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The operator's path for these KIngresses, as testdata/translate-cases.ts and the controller run it. */
function pipeline(round: Round, ingresses: readonly KnativeIngress[]): PipelineResult {
  const lookups = listLookups(round.services, round.endpointSlices, round.secrets);
  const failures: string[] = [];
  const fragments: Fragment[] = [];
  for (const ingress of ingresses) {
    const key = ingressKey(ingress);
    try {
      const fragment = translateIngress(ingress, ingressHash(ingress), lookups, knativeOptions);
      if (fragment.refusal && round.valid.has(key)) failures.push(`valid KIngress ${key} was refused: ${fragment.refusal.reason}: ${fragment.refusal.message}`);
      fragments.push({ ...fragment, reads: new Set() });
    } catch (error) {
      failures.push(`translating KIngress ${key} threw: ${described(error)}`);
    }
  }
  try {
    const { ir, outcomes } = mergeFragments(installationPart(defaultInstallation, lookups), fragments);
    const resources = translate(ir);
    snapshotOf(ir);
    const served = [...outcomes].filter(([, outcome]) => outcome.status === 'served').map(([key]) => key.slice(key.indexOf(':') + 1));
    const reasons = [...outcomes.values()].flatMap((outcome) => (outcome.status === 'served' ? [] : [outcome.reason]));
    return { resources, failures, served, reasons };
  } catch (error) {
    return { failures: [...failures, `assembling, translating or encoding threw: ${described(error)}`], served: [], reasons: [] };
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

/** The KIngresses Envoy rejects alone, else the first pair it rejects together. */
async function culprits(round: Round, served: readonly string[]): Promise<Array<{ keys: string[]; rejection: string }>> {
  const candidates = round.ingresses.filter((ingress) => served.includes(ingressKey(ingress)));
  const found: Array<{ keys: string[]; rejection: string }> = [];
  for (const ingress of candidates) {
    const { resources } = pipeline(round, [ingress]);
    const rejection = resources && (await envoyRejection(resources));
    if (rejection) found.push({ keys: [ingressKey(ingress)], rejection });
  }
  if (found.length) return found;
  for (const [i, first] of candidates.entries()) {
    for (const second of candidates.slice(i + 1)) {
      const { resources } = pipeline(round, [first, second]);
      const rejection = resources && (await envoyRejection(resources));
      if (rejection) return [{ keys: [first, second].map(ingressKey), rejection }];
    }
  }
  return [];
}

interface RoundReport { round: number; summary: string; detail: string }

interface Totals { ingresses: number; served: number; validations: number; reasons: Map<string, number> }

async function runRound(round: Round, totals: Totals): Promise<RoundReport | undefined> {
  const result = pipeline(round, round.ingresses);
  totals.ingresses += round.ingresses.length;
  totals.served += result.served.length;
  for (const reason of result.reasons) totals.reasons.set(reason, (totals.reasons.get(reason) ?? 0) + 1);
  const problems = [...result.failures];
  let suspects = round.ingresses;
  if (result.resources) {
    totals.validations++;
    const rejection = await envoyRejection(result.resources);
    if (rejection) {
      problems.push(`Envoy rejected the round's resources: ${rejection}`);
      const found = await culprits(round, result.served);
      for (const { keys, rejection: alone } of found) problems.push(`Envoy rejects ${keys.join(' with ')}${keys.length > 1 ? ' (neither alone)' : ' alone'}: ${alone}`);
      if (found.length) suspects = round.ingresses.filter((ingress) => found.some(({ keys }) => keys.includes(ingressKey(ingress))));
    }
  }
  if (problems.length === 0) return undefined;
  const thrown = result.failures.map((failure) => /KIngress (\S+)/.exec(failure)?.[1]).filter((key) => key !== undefined);
  if (thrown.length && suspects === round.ingresses) suspects = round.ingresses.filter((ingress) => thrown.includes(ingressKey(ingress)));
  const named = new Set(suspects.flatMap((ingress) => [
    ...(ingress.spec.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).flatMap((path) => path.splits.map((split) => `${split.serviceNamespace}/${split.serviceName}`))),
    ...(ingress.spec.tls ?? []).map((entry) => `${entry.secretNamespace || ingress.metadata?.namespace || ''}/${entry.secretName ?? ''}`),
  ]));
  const inputs = {
    ingresses: suspects,
    services: round.services.filter((service) => named.has(`${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`)),
    endpointSlices: round.endpointSlices.filter((slice) => named.has(`${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.['kubernetes.io/service-name'] ?? ''}`)),
    secrets: round.secrets.filter((secret) => named.has(`${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`)),
  };
  const replay = `PORTICO_FUZZ_SEED=${seedText} PORTICO_FUZZ_ROUND=${round.index}`;
  return {
    round: round.index,
    summary: `round ${round.index}: ${abbreviated(problems.at(-1) ?? '', 400)}`,
    detail: `round ${round.index} of seed ${seedText} (replay: ${replay} mocha e2e/integration/knative-fuzz.test.ts)\n${problems.map((problem) => `- ${problem}`).join('\n')}\n${stringify(printable(inputs), { lineWidth: 0, aliasDuplicateObjects: false })}`,
  };
}

describe(`KIngress fuzzing against the real Envoy (seed ${seedText})`, function () {
  const indices = onlyRound === undefined ? Array.from({ length: rounds }, (_, i) => i) : [onlyRound];
  this.timeout(Math.max(120_000, indices.length * 1_000));

  before(async function () {
    this.timeout(10 * 60_000); // a first run installs Envoy
    await envoyBinary();
    certificates = { first: await selfSignedCertificate(['first.example.com']), second: await selfSignedCertificate(['second.example.com']) };
  });

  it(`${onlyRound === undefined ? `${rounds} rounds` : `round ${onlyRound}`} of random KIngresses: nothing throws, no valid one is refused, Envoy accepts every translation`, async () => {
    const totals: Totals = { ingresses: 0, served: 0, validations: 0, reasons: new Map() };
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
    const reasons = [...totals.reasons].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, count]) => `${reason} ${count}`).join(', ');
    console.log(`      seed ${seedText}: ${indices.length} rounds, ${totals.ingresses} KIngresses (${totals.served} served; refused: ${reasons || 'none'}), ${totals.validations} Envoy validations, ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
