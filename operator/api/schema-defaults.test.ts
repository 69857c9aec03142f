import { expect } from 'chai';
import { applyDefaults, withDefaults, type Schema } from './schema-defaults.ts';

describe('applyDefaults', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      replicas: { type: 'integer', default: 2 },
      nested: { type: 'object', default: {}, properties: { level: { type: 'string', default: 'info' } } },
      optional: { type: 'object', properties: { enabled: { type: 'boolean', default: false } } },
      list: { type: 'array', items: { type: 'object', properties: { weight: { type: 'integer', default: 1 } } } },
      map: { type: 'object', additionalProperties: { type: 'object', properties: { on: { type: 'boolean', default: true } } } },
    },
  };

  it('fills missing defaults, and defaults inside a defaulted object', () => {
    expect(applyDefaults({}, schema)).to.deep.equal({ replicas: 2, nested: { level: 'info' } });
  });

  it('keeps what is set, and leaves an absent object without a default absent', () => {
    expect(applyDefaults({ replicas: 0, nested: { level: 'debug' } }, schema)).to.deep.equal({ replicas: 0, nested: { level: 'debug' } });
  });

  it('defaults inside present objects, array items and map values', () => {
    const input = { optional: {}, list: [{}, { weight: 5 }], map: { a: {} } };
    expect(applyDefaults(input, schema)).to.deep.include({ optional: { enabled: false }, list: [{ weight: 1 }, { weight: 5 }], map: { a: { on: true } } });
  });

  it('does not change its input', () => {
    const input = { nested: {} };
    applyDefaults(input, schema);
    expect(input).to.deep.equal({ nested: {} });
  });
});

describe('withDefaults', () => {
  it('gives a minimal installation the documented defaults', () => {
    const installation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'kourier' }, spec: {} });
    expect(installation.spec.namespace).to.equal('kourier-system');
    expect(installation.spec.envoy).to.include({ replicas: 2, logLevel: 'info', drainSeconds: 15 });
    expect(installation.spec.service).to.include({ name: 'kourier', type: 'LoadBalancer' });
    expect(installation.spec.internalService.name).to.equal('kourier-internal');
    expect(installation.spec.knative.ingressClass).to.equal('kourier.ingress.networking.knative.dev');
    expect(installation.spec.listeners.ports).to.deep.equal({ externalHTTP: 8080, internalHTTP: 8081, externalHTTPS: 8443, internalHTTPS: 8444, probeHTTP: 8090, probeHTTPS: 9443, metrics: 9000 });
    expect(installation.spec.externalAuthorization).to.equal(undefined);
  });
});
