import { expect } from 'chai';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    expect(loadConfig([], { POD_NAME: 'portico-abc' })).to.deep.equal({
      leaderElection: { namespace: 'portico-system', name: 'portico-leader', identity: 'portico-abc' },
      peersService: 'portico-xds',
      clusterDomain: 'cluster.local',
      namespace: 'portico-system',
      xdsTlsDirectory: '/etc/envoy/xds-tls',
      httpHost: '0.0.0.0',
      httpPort: 8080,
      logLevel: 'info',
      resyncPeriodMs: 300_000,
      xds: { host: 'portico-xds.portico-system.svc.cluster.local', port: 18000, protocol: 'delta' },
      xdsListen: '0.0.0.0:18000',
      envoyAdminPort: 9901,
    });
  });

  it('prefers flags over PORTICO_* variables', () => {
    const config = loadConfig(['--http-port', '9090', '--log-level=debug'], { PORTICO_HTTP_PORT: '7070', PORTICO_LOG_LEVEL: 'warn', PORTICO_RESYNC_PERIOD: '60' });
    expect(config).to.include({ httpPort: 9090, logLevel: 'debug', resyncPeriodMs: 60_000 });
  });

  it('names the flag and what is allowed when a value is bad', () => {
    expect(() => loadConfig(['--http-port', '70000'], {})).to.throw('--http-port: "70000" is not a whole number from 0 to 65535');
    expect(() => loadConfig(['--log-level', 'loud'], {})).to.throw(/--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent/);
    expect(() => loadConfig(['--resync-period', '0'], {})).to.throw(/--resync-period/);
    expect(() => loadConfig(['--xds-address', 'no-port'], {})).to.throw('--xds-address: "no-port" is not host:port');
    expect(() => loadConfig(['--xds-protocol', 'rest'], {})).to.throw('--xds-protocol: "rest" is not delta or sotw');
    expect(() => loadConfig(['--xds-tls', 'yes'], {})).to.throw('--xds-tls: "yes" is not true or false');
    expect(loadConfig(['--xds-tls=false'], {}).xdsTlsDirectory).to.equal(undefined);
    expect(() => loadConfig(['--peers-service', 'Portico_XDS'], {})).to.throw('--peers-service: "Portico_XDS" is not a Service name (a DNS-1035 label)');
    expect(() => loadConfig(['--cluster-domain', 'Cluster Local'], {})).to.throw('--cluster-domain: "Cluster Local" is not a DNS domain');
  });

  it('switches leader election off, or moves its lease', () => {
    expect(loadConfig(['--leader-election=false'], {}).leaderElection).to.equal(undefined);
    // Envoys reach the portico-xds Service of whatever namespace the operator runs in.
    expect(loadConfig([], { POD_NAMESPACE: 'operators' }).xds.host).to.equal('portico-xds.operators.svc.cluster.local');
    expect(loadConfig(['--leader-election-namespace', 'ops'], {}).leaderElection?.namespace).to.equal('ops');
    expect(() => loadConfig(['--leader-election', 'maybe'], {})).to.throw('--leader-election: "maybe" is not true or false');
  });

  it('rejects an unknown flag', () => {
    expect(() => loadConfig(['--verbose'], {})).to.throw(/verbose/);
  });
});
