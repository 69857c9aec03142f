// Golden files: testdata/translate/<case>/input.yaml (Gateways, HTTPRoutes, Services,
// EndpointSlices, Secrets, Namespaces, ReferenceGrants) beside expected.yaml (each Gateway's
// graph resources and status, each route's status.parents). PORTICO_UPDATE_GOLDEN=1 rewrites the
// expected files; review the diff. The IRs' Envoy resources are checked by the real Envoy in
// e2e/integration/translations.test.ts.
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { decodeAny, encodeAny, nestedTypes } from '../../../xds/protos.ts';
import { translate } from '../../../xds/translate.ts';
import { intersectHostname } from './attach.ts';
import { gatewayApiCase, gatewayApiCases } from './testdata/translate-cases.ts';

describe('Gateway API translation (golden files)', () => {
  for (const name of gatewayApiCases) {
    it(name, () => {
      const actual = stringify(gatewayApiCase(name), { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = new URL(`./testdata/translate/${name}/expected.yaml`, import.meta.url);
      if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).to.equal(readFileSync(expectedFile, 'utf8'));
    });
  }
});

describe('Gateway API translation encodes for Envoy', () => {
  for (const name of gatewayApiCases) {
    it(`${name}: every nested typed config keeps its type through the wire encoding`, () => {
      for (const { ir } of Object.values(gatewayApiCase(name).gateways)) {
        for (const [typeUrl, resources] of Object.entries(translate(ir))) {
          for (const resource of resources) expect(nestedTypes(decodeAny(encodeAny(typeUrl, resource)))).to.deep.equal(nestedTypes(resource));
        }
      }
    });
  }
});

describe('Gateway API hostname intersection', () => {
  it('a wildcard listener takes the names under it, at any depth, and not its own domain', () => {
    expect(intersectHostname('foo.example.com', '*.example.com')).to.equal('foo.example.com');
    expect(intersectHostname('a.b.example.com', '*.example.com')).to.equal('a.b.example.com');
    expect(intersectHostname('example.com', '*.example.com')).to.equal(undefined);
  });

  it('a wildcard route takes the listener\'s name under it; two names that differ share nothing', () => {
    expect(intersectHostname('*.example.com', 'foo.example.com')).to.equal('foo.example.com');
    expect(intersectHostname('*.example.com', '*.foo.example.com')).to.equal('*.foo.example.com');
    expect(intersectHostname('foo.example.com', 'bar.example.com')).to.equal(undefined);
    expect(intersectHostname('foo.example.com', undefined)).to.equal('foo.example.com');
  });
});
