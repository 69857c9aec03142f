// The real Envoy of the test bed: the pinned binary, its config validation, and the helper
// that runs it.
import { expect } from 'chai';
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
