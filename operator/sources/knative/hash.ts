// Knative's probe hash of a KIngress: the K-Network-Hash value that knative.dev/networking's
// ingress.InsertProbe puts on every route, which Knative's prober then looks for to tell that a
// gateway serves this version of the Ingress. It is the hex SHA-256 of Go's
// json.Marshal(ing.Spec) followed by the namespace and the name.
//
// The JSON is written here by hand because the hash needs Go's bytes exactly, and no npm library
// reproduces encoding/json on these structs: fields in the Go declaration order (not the
// object's), omitempty zero values left out but zero values of the other fields written out
// (`"exact":""`, `"splits":null`), map keys sorted by their UTF-8 bytes, IntOrString as a number
// or a string, and <, >, &, U+2028 and U+2029 escaped. e2e/knative/hashref is the reference it is
// tested against.
import { createHash } from 'node:crypto';
import type { IngressSpec, KnativeIngress } from './types.ts';

/** The K-Network-Hash value Knative gives this Ingress: 64 lowercase hex digits. */
export function ingressHash(ingress: KnativeIngress): string {
  const metadata: GoObjectMeta | undefined = ingress.metadata;
  return createHash('sha256')
    .update(marshalSpec(ingress.spec), 'utf8')
    .update(str(metadata?.namespace), 'utf8')
    .update(str(metadata?.name), 'utf8')
    .digest('hex');
}

// The structs as encoding/json sees them. Every field may be missing or null, whatever types.ts
// promises: Go decodes either to the zero value, and the hash must match what Go makes of any
// object the apiserver stored.
type Maybe<T> = T | null | undefined;
type StringMap = Maybe<Readonly<Record<string, Maybe<string>>>>;
interface GoObjectMeta { namespace?: Maybe<string>; name?: Maybe<string> }
interface GoSpec { tls?: Maybe<readonly Maybe<GoTLS>[]>; rules?: Maybe<readonly Maybe<GoRule>[]>; httpOption?: Maybe<string> }
interface GoTLS { hosts?: Maybe<readonly Maybe<string>[]>; secretName?: Maybe<string>; secretNamespace?: Maybe<string> }
interface GoRule { hosts?: Maybe<readonly Maybe<string>[]>; visibility?: Maybe<string>; http?: Maybe<{ paths?: Maybe<readonly Maybe<GoPath>[]> }> }
interface GoPath {
  path?: Maybe<string>;
  rewriteHost?: Maybe<string>;
  headers?: Maybe<Readonly<Record<string, Maybe<{ exact?: Maybe<string> }>>>>;
  splits?: Maybe<readonly Maybe<GoSplit>[]>;
  appendHeaders?: StringMap;
}
interface GoSplit {
  serviceNamespace?: Maybe<string>;
  serviceName?: Maybe<string>;
  servicePort?: Maybe<number | string>;
  percent?: Maybe<number>;
  appendHeaders?: StringMap;
}

/** json.Marshal of a v1alpha1.IngressSpec, byte for byte (as a string; hashed as UTF-8). */
export function marshalSpec(spec: Maybe<IngressSpec>): string {
  const s: GoSpec = spec ?? {};
  return struct([
    ['tls', omitEmpty(s.tls, (tls) => list(tls, marshalTLS))],
    ['rules', omitEmpty(s.rules, (rules) => list(rules, marshalRule))],
    ['httpOption', omitEmptyString(s.httpOption)],
  ]);
}

function marshalTLS(tls: Maybe<GoTLS>): string {
  const t = tls ?? {};
  return struct([
    ['hosts', omitEmpty(t.hosts, strings)],
    ['secretName', omitEmptyString(t.secretName)],
    ['secretNamespace', omitEmptyString(t.secretNamespace)],
  ]);
}

function marshalRule(rule: Maybe<GoRule>): string {
  const r = rule ?? {};
  return struct([
    ['hosts', omitEmpty(r.hosts, strings)],
    ['visibility', omitEmptyString(r.visibility)],
    // A pointer: omitted only when nil, so `http: {}` is written as {"paths":null}.
    ['http', r.http == null ? undefined : struct([['paths', nullable(r.http.paths, (paths) => list(paths, marshalPath))]])],
  ]);
}

function marshalPath(path: Maybe<GoPath>): string {
  const p = path ?? {};
  return struct([
    ['path', omitEmptyString(p.path)],
    ['rewriteHost', omitEmptyString(p.rewriteHost)],
    ['headers', omitEmptyMap(p.headers, (match) => struct([['exact', string(str(match?.exact))]]))],
    ['splits', nullable(p.splits, (splits) => list(splits, marshalSplit))],
    ['appendHeaders', omitEmptyMap(p.appendHeaders, (value) => string(str(value)))],
  ]);
}

function marshalSplit(split: Maybe<GoSplit>): string {
  const s = split ?? {};
  const percent = s.percent == null ? 0 : integer(s.percent, 'percent', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return struct([
    // The embedded IngressBackend's fields come first, in its own order, none omitempty.
    ['serviceNamespace', string(str(s.serviceNamespace))],
    ['serviceName', string(str(s.serviceName))],
    ['servicePort', intOrString(s.servicePort)],
    ['percent', percent === 0 ? undefined : String(percent)],
    ['appendHeaders', omitEmptyMap(s.appendHeaders, (value) => string(str(value)))],
  ]);
}

/** intstr.IntOrString: a JSON string stays a string; anything else is an int32, 0 when absent. */
function intOrString(port: Maybe<number | string>): string {
  if (typeof port === 'string') return string(port);
  return String(port == null ? 0 : integer(port, 'servicePort', -(2 ** 31), 2 ** 31 - 1));
}

/** Go cannot decode a fraction or an out-of-range number into these ints: no hash exists. */
function integer(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} ${value} is not an integer Knative can decode`);
  }
  return value;
}

/** Fields in declaration order; undefined values are the omitted ones. */
function struct(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const members = fields.filter(([, value]) => value !== undefined).map(([name, value]) => `${string(name)}:${value ?? ''}`);
  return `{${members.join(',')}}`;
}

function list<T>(items: readonly T[], marshal: (item: T) => string): string {
  return `[${items.map(marshal).join(',')}]`;
}

function strings(items: readonly Maybe<string>[]): string {
  return list(items, (item) => string(str(item)));
}

/** A nil slice (missing or null) without omitempty is written as null; an empty one as []. */
function nullable<T>(items: Maybe<readonly T[]>, marshal: (items: readonly T[]) => string): string {
  return items == null ? 'null' : marshal(items);
}

/** omitempty on a slice leaves out nil and empty alike. */
function omitEmpty<T>(items: Maybe<readonly T[]>, marshal: (items: readonly T[]) => string): string | undefined {
  return items == null || items.length === 0 ? undefined : marshal(items);
}

function omitEmptyString(value: Maybe<string>): string | undefined {
  return value == null || value === '' ? undefined : string(value);
}

/** omitempty on a map leaves out nil and empty alike; keys are sorted as Go sorts strings. */
function omitEmptyMap<T>(map: Maybe<Readonly<Record<string, T>>>, marshal: (value: T) => string): string | undefined {
  if (map == null) return undefined;
  const entries = Object.entries(map);
  if (entries.length === 0) return undefined;
  // Go compares the UTF-8 bytes; JavaScript's default sort compares UTF-16 units, which
  // orders U+E000–U+FFFF after the astral planes.
  const sorted = entries.map(([key, value]) => ({ key, value, bytes: Buffer.from(key, 'utf8') })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return `{${sorted.map(({ key, value }) => `${string(key)}:${marshal(value)}`).join(',')}}`;
}

function str(value: Maybe<string>): string {
  return value ?? '';
}

const escapes: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A JSON string as encoding/json writes it with its default HTML escaping. */
function string(value: string): string {
  // Go's decoder has already turned a lone surrogate into U+FFFD, which Go writes as is.
  // eslint-disable-next-line no-control-regex -- Go escapes every control character.
  const escaped = value.toWellFormed().replace(/["\\\u0000-\u001f<>&\u2028\u2029]/g, (c) => escapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}
