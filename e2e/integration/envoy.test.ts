// The real Envoy of the test bed: the pinned binary, its config validation, and the helper
// that runs it.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { selfSignedCertificate } from '../support/certificates.ts';
import { envoyBinary, startEnvoy, validateBootstrap } from '../support/envoy.ts';
import { run } from '../support/processes.ts';
import { defaultEnvoyImage } from '../../operator/defaults.ts';

const goodBootstrap = `
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  clusters:
  - name: backend
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: backend
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 9}}}}]}]
`;

describe('the real Envoy', function () {
  this.timeout(120_000);

  it('is the version of the operator\'s default image', async () => {
    const version = await run(await envoyBinary(), ['--version']);
    const tag = /:v(\d+\.\d+\.\d+)$/.exec(defaultEnvoyImage)?.[1];
    expect(version.stdout).to.include(`/${tag}/`);
  });

  it('accepts a valid bootstrap in --mode validate', async () => {
    const result = await validateBootstrap(goodBootstrap);
    expect(result.valid, result.output).to.equal(true);
  });

  it('rejects a bootstrap with an unknown field, naming it', async () => {
    const result = await validateBootstrap(goodBootstrap.replace('connect_timeout: 1s', 'connect_timeout: 1s\n    no_such_field: 1'));
    expect(result.valid).to.equal(false);
    expect(result.output).to.include('no_such_field');
  });

  it('takes every cipher suite the GatewayInstallation CRD admits, and refuses a name it does not know', async () => {
    interface Schema { properties?: Record<string, Schema>; items?: Schema; 'x-kubernetes-validations'?: Array<{ rule: string }> }
    const crd = parse(readFileSync(new URL('../../crds/gatewayinstallations.portico.dev.yaml', import.meta.url), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
    const rule = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec?.properties?.tls?.properties?.cipherSuites?.items?.['x-kubernetes-validations']?.[0]?.rule ?? '';
    const admitted = [...rule.matchAll(/"([A-Z0-9-]+)"/g)].map((match) => match[1]!);
    expect(admitted.length).to.be.greaterThan(10);
    const { cert: certificate, key } = await selfSignedCertificate(['ciphers.example.com']);
    const withCiphers = (cipherSuites: string[]) => JSON.stringify({
      static_resources: {
        listeners: [{
          name: 'tls',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [{
            filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tls', cluster: 'backend' } }],
            transport_socket: {
              name: 'envoy.transport_sockets.tls',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                common_tls_context: { tls_params: { cipher_suites: cipherSuites }, tls_certificates: [{ certificate_chain: { inline_string: certificate }, private_key: { inline_string: key } }] },
              },
            },
          }],
        }],
        clusters: [{ name: 'backend', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'backend', endpoints: [] } }],
      },
    });
    // One name at a time, so that a name Envoy refuses is the one the failure names.
    for (const name of admitted) {
      const result = await validateBootstrap(withCiphers([name]));
      expect(result.valid, `${name}: ${result.output}`).to.equal(true);
    }
    expect((await validateBootstrap(withCiphers(['NOT-A-CIPHER']))).valid).to.equal(false);
  });

  it('rejects a route to a cluster that does not exist', async () => {
    const listener = `
  listeners:
  - name: http
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: http
          route_config:
            virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: missing}}]}]
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
`;
    const result = await validateBootstrap(goodBootstrap.replace('static_resources:\n', `static_resources:\n${listener}`));
    expect(result.valid).to.equal(false);
    expect(result.output).to.include('missing');
  });

  it('starts with a bootstrap, answers LIVE on its admin /ready, and stops', async () => {
    const envoy = await startEnvoy(goodBootstrap);
    try {
      expect((await envoy.admin('/ready')).trim()).to.equal('LIVE');
      expect(await envoy.admin('/clusters')).to.include('backend::');
    } finally {
      await envoy.stop();
    }
    const refused = await fetch(`${envoy.adminUrl}/ready`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).to.equal('refused');
  });

  it('reports a bootstrap it cannot run, with Envoy\'s own error', async () => {
    let failure: unknown;
    try {
      await startEnvoy('admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}\nnot_a_bootstrap_field: true\n');
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.include('not_a_bootstrap_field');
  });
});
