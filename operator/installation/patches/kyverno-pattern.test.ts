import { expect } from 'chai';
import { parseDuration, parseQuantity, satisfies } from './kyverno-pattern.ts';

describe("Kyverno's patterns in conditions", () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['plain text', 'LoadBalancer', 'LoadBalancer', true],
    ['plain text, another value', 'ClusterIP', 'LoadBalancer', false],
    ['either of two', 'NodePort', 'LoadBalancer | NodePort', true],
    ['neither of two', 'ClusterIP', 'LoadBalancer | NodePort', false],
    ['not', 'LoadBalancer', '!ClusterIP', true],
    ['not, the value itself', 'ClusterIP', '!ClusterIP', false],
    ['not, with a wildcard', 'https', '!http*', false],
    ['both of two', 'http2', 'http* & !http', true],
    ['the * wildcard', 'http2', 'http*', true],
    ['the ? wildcard', 'http2', 'http?', true],
    ['the ? wildcard needs one character', 'http', 'http?', false],
    ['* matches the empty text', '', '*', true],
    ['a number as text', 80, '80', true],
    ['a number pattern against text', '80', 80, true],
    ['a boolean', true, 'true', true],
    ['greater than', 443, '>100', true],
    ['greater than, not', 80, '>100', false],
    ['at least', 100, '>=100', true],
    ['less than', 80, '<100', true],
    ['at most', 101, '<=100', false],
    ['in a range', 8080, '8000-8999', true],
    ['outside a range', 80, '8000-8999', false],
    ['not in a range', 80, '8000!-8999', true],
    ['not in a range, inside', 8443, '8000!-8999', false],
    ['quantities', '1Gi', '>512Mi', true],
    ['quantities with milli', '500m', '<1', true],
    ['equal quantities written differently', '1000m', '1', true],
    ['durations', '90s', '>1m', true],
    ['durations, compound', '1h30m', '<=90m', true],
    ['a comparison of text is false', 'b', '>a', false],
    ['a map value against a scalar pattern', { a: 1 }, '*', false],
    ['every item of a list', ['service.kubernetes.io/load-balancer-cleanup'], 'service.kubernetes.io/*', true],
    ['every item of a list, one not', ['a', 'b'], 'a', false],
    ['a map pattern', { exposure: 'public', team: 'edge' }, { exposure: 'pub*' }, true],
    ['a map pattern, a key missing', { team: 'edge' }, { exposure: '*' }, false],
    ['a map pattern, a key with operators', { port: 80 }, { port: '>=80' }, true],
    ['a list pattern, each item', [{ port: 80 }, { port: 443 }], [{ port: '>0' }], true],
    ['a list pattern, one item not', [{ port: 80 }, { port: 443 }], [{ port: '<100' }], false],
    ['a map pattern against text', 'text', { a: 'b' }, false],
  ];
  for (const [what, actual, pattern, expected] of cases) {
    it(`${what}: ${JSON.stringify(actual)} against ${JSON.stringify(pattern)} is ${expected}`, () => {
      expect(satisfies(actual, pattern)).to.equal(expected);
    });
  }

  it('reads durations as Go does', () => {
    expect(parseDuration('1h30m')).to.equal(5_400_000_000_000n);
    expect(parseDuration('1.5s')).to.equal(1_500_000_000n);
    expect(parseDuration('-2ms')).to.equal(-2_000_000n);
    expect(parseDuration('0')).to.equal(0n);
    expect(parseDuration('80')).to.equal(undefined);
    expect(parseDuration('1x')).to.equal(undefined);
    expect(parseDuration('.s')).to.equal(undefined);
  });

  it('reads quantities as Kubernetes does', () => {
    const value = (text: string) => {
      const parsed = parseQuantity(text);
      return parsed && Number(parsed.numerator) / Number(parsed.denominator);
    };
    expect(value('1Ki')).to.equal(1024);
    expect(value('1.5k')).to.equal(1500);
    expect(value('250m')).to.equal(0.25);
    expect(value('1e3')).to.equal(1000);
    expect(value('-2')).to.equal(-2);
    expect(value('0.1n')).to.equal(1e-9); // rounded up to the nano
    expect(value('LoadBalancer')).to.equal(undefined);
    expect(value('1e')).to.equal(undefined);
    expect(value('')).to.equal(undefined);
  });
});
