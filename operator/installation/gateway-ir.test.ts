import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { withDefaults } from '../api/schema-defaults.ts';
import { installationIR } from './gateway-ir.ts';

const installation = (spec: object) => withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'kourier' }, spec });

describe('installationIR', () => {
  it('gives a default installation the IR of the translator\'s baseline golden case', () => {
    const baseline = parseYaml(readFileSync(new URL('../../xds/testdata/translate/baseline/ir.yaml', import.meta.url), 'utf8')) as unknown;
    expect(installationIR(installation({}))).to.deep.equal(baseline);
  });

  it('listens on every address, with the address\'s position in the names when there are several', () => {
    const ir = installationIR(installation({ listeners: { addresses: ['0.0.0.0', '::'] } }));
    expect(ir.listeners.map((listener) => `${listener.name} ${listener.address}:${listener.port} -> ${listener.routeConfigName}`)).to.deep.equal([
      'listener_8080_0 0.0.0.0:8080 -> external_services',
      'listener_8081_0 0.0.0.0:8081 -> internal_services',
      'listener_8090_0 0.0.0.0:8090 -> external_services',
      'listener_8080_1 :::8080 -> external_services',
      'listener_8081_1 :::8081 -> internal_services',
      'listener_8090_1 :::8090 -> external_services',
    ]);
  });

  it('carries the installation\'s network settings, and PROXY protocol on the external listener only', () => {
    const ir = installationIR(installation({
      proxyProtocol: { enabled: true },
      timeouts: { streamIdle: '5m', idle: '90s' },
      network: { trustedHops: 2, disableServerHeader: true },
      accessLog: { enabled: false },
    }));
    expect(ir.listeners.filter((listener) => listener.proxyProtocol).map((listener) => listener.name)).to.deep.equal(['listener_8080']);
    expect(ir.listeners[1]!.http).to.deep.equal({ streamIdleTimeoutSeconds: 300, idleTimeoutSeconds: 90, trustedHops: 2, useRemoteAddress: true, serverHeaderPassThrough: true });
  });

  it('checks requests with the authorization service: gRPC over h2c, or HTTP(S) under a prefix', () => {
    const grpc = installationIR(installation({ externalAuthorization: { host: 'authz.auth:9000' } }));
    expect(grpc.clusters).to.deep.equal([{ name: 'extAuthz', connectTimeoutSeconds: 5, http2: true, endpoints: [], dns: { hostname: 'authz.auth', port: 9000 } }]);
    expect(grpc.listeners[0]!.http?.externalAuthorization).to.deep.include({ cluster: 'extAuthz', protocol: 'grpc', failureModeAllow: false, timeoutSeconds: 2, maxRequestBytes: 8192 });
    const https = installationIR(installation({ externalAuthorization: { host: 'authz.auth:8443', protocol: 'https', pathPrefix: '/check', allowedHeaders: ['cookie'] } }));
    expect(https.clusters[0]).to.deep.include({ tls: { serverName: 'authz.auth' } });
    expect(https.listeners[0]!.http?.externalAuthorization).to.deep.include({ protocol: 'http', uri: 'https://authz.auth:8443', pathPrefix: '/check', allowedHeaders: ['cookie'] });
  });
});
