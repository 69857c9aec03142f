// Kyverno's pattern language, as a condition anchor `(key): pattern` or a global anchor
// `<(key): pattern` tests the resource's value of key:
// - a scalar pattern is compared with a scalar value as text: `a | b` is either, `a & b` both,
//   then each part is `!p` (not), `>p`, `<p`, `>=p`, `<=p`, `lo-hi` (in range), `lo!-hi` (out of
//   range) or plain; the comparison is by duration (Go's `1m30s`) when both sides are one, else
//   by quantity (Kubernetes' `500m`, `1Gi`, `80`) when both are one, else by text with `*` and
//   `?` wildcards (only `!` and plain apply to text);
// - a map pattern needs a map whose keys each match (`"*"`: present and not null), a list
//   pattern a list whose items each match the pattern's first item (or, for a list of lists, the
//   item at the same index).

type JsonMap = Record<string, unknown>;

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the resource's value satisfies the anchor's pattern. */
export function satisfies(actual: unknown, pattern: unknown): boolean {
  if (isMap(pattern) || Array.isArray(pattern)) return matchElement(actual, pattern);
  // A scalar pattern is read as text (Kyverno reads it as a YAML scalar), and so is a scalar
  // value; a list's items must each match it.
  const text = String(pattern);
  if (Array.isArray(actual)) return actual.every((item) => matchScalar(item, text));
  if (isMap(actual) || actual === undefined) return false;
  return matchText(typeof actual === 'string' ? actual : JSON.stringify(actual), text);
}

function matchElement(actual: unknown, pattern: unknown): boolean {
  if (isMap(pattern)) {
    if (!isMap(actual)) return false;
    return Object.entries(pattern).every(([key, inner]) => (inner === '*' ? actual[key] !== undefined && actual[key] !== null : matchElement(actual[key], inner)));
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual) || pattern.length === 0) return false;
    const first: unknown = pattern[0];
    if (isMap(first) || !Array.isArray(first)) return actual.every((item) => matchElement(item, first));
    return actual.length >= pattern.length && pattern.every((inner, index) => matchElement(actual[index], inner));
  }
  if (Array.isArray(actual)) return actual.every((item) => matchScalar(item, pattern));
  return matchScalar(actual, pattern);
}

/** A scalar pattern against a typed value (inside a map or list pattern). */
function matchScalar(actual: unknown, pattern: unknown): boolean {
  if (typeof pattern === 'boolean') return actual === pattern;
  if (typeof pattern === 'number') {
    if (typeof actual === 'number') return actual === pattern;
    if (typeof actual === 'string') return actual.trim() !== '' && Number(actual) === pattern;
    return false;
  }
  if (pattern === null || pattern === undefined) return actual === null || actual === undefined || actual === 0 || actual === '' || actual === false;
  if (typeof pattern !== 'string' || isMap(actual) || Array.isArray(actual)) return false;
  if (actual === pattern) return true;
  return alternatives(pattern, (part) => matchPart(actual, part));
}

function matchText(actual: string, pattern: string): boolean {
  return actual === pattern || alternatives(pattern, (part) => matchPart(actual, part));
}

/** `a | b & c`: any of the `|` parts, each all of its `&` parts. */
function alternatives(pattern: string, test: (part: string) => boolean): boolean {
  return pattern.split('|').some((either) => either.trim().split('&').every((both) => test(both.trim())));
}

type Operator = '' | '>=' | '<=' | '>' | '<' | '!' | '-' | '!-';

const number = String.raw`[-|+]?\d+(?:\.\d+)?[A-Za-z]*`;
const inRange = new RegExp(`^(${number})-(${number})$`);
const notInRange = new RegExp(`^(${number})!-(${number})$`);

function operatorOf(pattern: string): Operator {
  if (pattern.length < 2) return '';
  for (const operator of ['>=', '<=', '>', '<', '!'] as const) if (pattern.startsWith(operator)) return operator;
  if (notInRange.test(pattern)) return '!-';
  if (inRange.test(pattern)) return '-';
  return '';
}

function matchPart(actual: unknown, pattern: string): boolean {
  const operator = operatorOf(pattern);
  if (operator === '-' || operator === '!-') {
    const [, low, high] = (operator === '-' ? inRange : notInRange).exec(pattern)!;
    return operator === '-'
      ? matchPart(actual, `>= ${low}`) && matchPart(actual, `<= ${high}`)
      : matchPart(actual, `< ${low}`) || matchPart(actual, `> ${high}`);
  }
  const operand = pattern.slice(operator.length).trim();
  const text = numberText(actual);
  for (const parse of [parseDuration, parseQuantity]) {
    const expected = parse(operand);
    const value = text === undefined ? undefined : parse(text);
    if (expected !== undefined && value !== undefined) return compare(value, expected, operator);
  }
  if (operator !== '' && operator !== '!') return false;
  const shown = displayText(actual);
  if (shown === undefined) return false;
  return wildcardMatch(operand, shown) === (operator === '');
}

/** The text a duration or a quantity is read from: nothing reads as 0, numbers with six decimals. */
function numberText(value: unknown): string | undefined {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return value.toFixed(6);
  return undefined;
}

/** The text a wildcard is matched against: numbers as Go prints a float (`8E+01`). */
function displayText(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return value.toExponential().toUpperCase().replace(/E([+-])(\d)$/, 'E$10$2');
  return undefined;
}

function compare(value: bigint | Fraction, expected: bigint | Fraction, operator: Operator): boolean {
  const order = typeof value === 'bigint' ? Math.sign(Number(value - (expected as bigint))) : compareFractions(value, expected as Fraction);
  switch (operator) {
    case '': return order === 0;
    case '!': return order !== 0;
    case '>': return order > 0;
    case '<': return order < 0;
    case '>=': return order >= 0;
    case '<=': return order <= 0;
    default: return false;
  }
}

export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'su').test(text);
}

const durationUnits: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const durationPart = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Go's time.ParseDuration, in nanoseconds (fractions of a nanosecond dropped, as Go does). */
export function parseDuration(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const part = durationPart.exec(rest);
    if (!part) return undefined;
    const [whole, integer = '', fraction = '', unit = ''] = part;
    if (integer === '' && fraction === '') return undefined;
    const scale = durationUnits[unit];
    if (scale === undefined) return undefined;
    total += BigInt(integer || '0') * scale + (BigInt(fraction || '0') * scale) / 10n ** BigInt(fraction.length);
    rest = rest.slice(whole.length);
  }
  if (total > 2n ** 63n - (negative ? 0n : 1n)) return undefined;
  return negative ? -total : total;
}

/** An exact rational number. */
export interface Fraction { numerator: bigint; denominator: bigint }

function compareFractions(a: Fraction, b: Fraction): number {
  const difference = a.numerator * b.denominator - b.numerator * a.denominator;
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const quantity = /^([+-]?)0*(\d*)(?:\.(\d*))?([eEinumkKMGTP]*(?:[+-]?\d+)?)$/;

/** Kubernetes' resource.ParseQuantity, exactly (rounded up to the nano, as it does). */
export function parseQuantity(text: string): Fraction | undefined {
  if (text === '') return undefined;
  const parts = quantity.exec(text);
  if (!parts) return undefined;
  const [, sign, integer = '', fraction = '', suffix = ''] = parts;
  let numerator = BigInt(`${integer}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);
  let binary = false;
  if (suffix in decimalSuffixes) {
    const exponent = decimalSuffixes[suffix]!;
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  } else if (suffix in binarySuffixes) {
    numerator *= 2n ** BigInt(binarySuffixes[suffix]!);
    binary = true;
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    const exponent = BigInt(suffix.slice(1));
    if (exponent >= 0n) numerator *= 10n ** exponent;
    else denominator *= 10n ** -exponent;
  } else {
    return undefined;
  }
  // Round up (away from zero) to whole nanos.
  const nanos = (numerator * 1_000_000_000n + denominator - 1n) / denominator;
  let value = { numerator: nanos, denominator: 1_000_000_000n };
  const max = { numerator: (2n ** 63n - 1n) * 1_000_000_000n, denominator: 1_000_000_000n };
  if (binary && compareFractions(value, max) > 0) value = max;
  return sign === '-' ? { numerator: -value.numerator, denominator: value.denominator } : value;
}
