// Golden cases: each testdata/hash/<case>.yaml beside <case>.hash, the hash Knative's own code
// gives it (written by e2e/knative/hashref/regenerate.sh, never by this test: the expected value
// must come from Go). e2e/integration/knative-hash.test.ts compares random specs with Go as well.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ingressHash, marshalSpec } from './hash.ts';
import type { KnativeIngress } from './types.ts';

const testdata = new URL('testdata/hash/', import.meta.url);
const cases = readdirSync(testdata).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length)).sort();

function ingress(spec: unknown, name = 'n', namespace = 'ns'): KnativeIngress {
  return { metadata: { name, namespace }, spec } as KnativeIngress;
}

describe('ingressHash (golden hashes from Knative)', () => {
  it('has the cases', () => {
    expect(cases).to.include.members(['minimal', 'headers', 'splits', 'escaping', 'empty-optional', 'knative-unit-test']);
  });

  for (const name of cases) {
    it(name, () => {
      const input = parse(readFileSync(new URL(`${name}.yaml`, testdata), 'utf8')) as KnativeIngress;
      const expected = readFileSync(new URL(`${name}.hash`, testdata), 'utf8').trim();
      // The JSON in the message shows where a mismatch starts (compare with hashref -json).
      expect(ingressHash(input), marshalSpec(input.spec)).to.equal(expected);
    });
  }
});

describe('marshalSpec (Go encoding/json)', () => {
  it('writes fields in the Go declaration order, not the object order', () => {
    const spec = { httpOption: 'Redirected', rules: [{ http: { paths: [{ splits: [{ percent: 5, servicePort: 'p', serviceName: 's', serviceNamespace: 'n' }], path: '/' }] }, hosts: ['h'] }] };
    expect(marshalSpec(spec as KnativeIngress['spec'])).to.equal(
      '{"rules":[{"hosts":["h"],"http":{"paths":[{"path":"/","splits":[{"serviceNamespace":"n","serviceName":"s","servicePort":"p","percent":5}]}]}}],"httpOption":"Redirected"}',
    );
  });

  it('escapes as encoding/json does, and leaves other characters as they are', () => {
    const spec = { rules: [{ hosts: ['<>&"\\/\u2028\u2029\b\f\n\r\t\u0000\u001f\u007f é😀'] }] };
    expect(marshalSpec(spec)).to.equal('{"rules":[{"hosts":["\\u003c\\u003e\\u0026\\"\\\\/\\u2028\\u2029\\b\\f\\n\\r\\t\\u0000\\u001f\u007f é😀"]}]}');
  });

  it('writes a lone surrogate as U+FFFD, as Go decodes it', () => {
    expect(marshalSpec({ httpOption: 'a\ud800b' as 'Enabled' })).to.equal('{"httpOption":"a\ufffdb"}');
  });

  it('sorts map keys by their UTF-8 bytes', () => {
    const spec = { rules: [{ http: { paths: [{ splits: [], appendHeaders: { '😀': '1', 'ａ': '2', b: '3', B: '4', '': '5' } }] } }] };
    expect(marshalSpec(spec)).to.equal('{"rules":[{"http":{"paths":[{"splits":[],"appendHeaders":{"":"5","B":"4","b":"3","ａ":"2","😀":"1"}}]}}]}');
  });

  it('treats null as Go does: the zero value', () => {
    const spec = { tls: null, rules: [{ hosts: null, http: { paths: [{ headers: { a: null, b: { exact: null } }, splits: null }] } }] };
    expect(marshalSpec(spec as unknown as KnativeIngress['spec'])).to.equal('{"rules":[{"http":{"paths":[{"headers":{"a":{"exact":""},"b":{"exact":""}},"splits":null}]}}]}');
    expect(marshalSpec(undefined)).to.equal('{}');
  });

  it('refuses numbers Go cannot decode into the ints', () => {
    const split = (fields: object) => ingress({ rules: [{ http: { paths: [{ splits: [{ serviceName: 's', serviceNamespace: 'n', ...fields }] }] } }] });
    expect(() => ingressHash(split({ percent: 12.5 }))).to.throw(RangeError, /percent/);
    expect(() => ingressHash(split({ servicePort: 2 ** 31 }))).to.throw(RangeError, /servicePort/);
    expect(() => ingressHash(split({ servicePort: 80.5 }))).to.throw(RangeError, /servicePort/);
    expect(ingressHash(split({ servicePort: -(2 ** 31), percent: -1 }))).to.match(/^[0-9a-f]{64}$/);
  });
});

describe('ingressHash', () => {
  it('covers the namespace, then the name, appended without a separator (as Knative does)', () => {
    expect(ingressHash(ingress({}, 'b', 'a'))).to.not.equal(ingressHash(ingress({}, 'a', 'b')));
    expect(ingressHash(ingress({}, 'b', 'a'))).to.equal(ingressHash(ingress({}, '', 'ab')));
    expect(ingressHash({ spec: {} })).to.equal(ingressHash(ingress({}, '', '')));
  });

  it('ignores status and fields Knative does not know', () => {
    const base = ingress({ rules: [{ hosts: ['h'] }] });
    const extra = { ...base, status: { observedGeneration: 3 }, spec: { rules: [{ hosts: ['h'], unknown: 1 }] } } as unknown as KnativeIngress;
    expect(ingressHash(extra)).to.equal(ingressHash(base));
  });
});
