import type { V1EndpointSlice } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ProbeServer } from '../http/probes.ts';
import type { ProxyState } from '../../xds/server.ts';
import { LocalProxyReports, reportsEndpoint, reportsPath } from './local-reports.ts';
import { combineReports, parsePage, PeerReports, peersOf } from './peer-reports.ts';

const log = pino({ level: 'silent' });

function slice(name: string, namespace: string, service: string, port: number | undefined, endpoints: Array<[string, string?]>): V1EndpointSlice {
  return {
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: port === undefined ? [{ name: 'xds', port: 18000 }] : [{ name: 'xds', port: 18000 }, { name: 'http', port }],
    endpoints: endpoints.map(([address, pod]) => ({ addresses: [address], ...(pod ? { targetRef: { kind: 'Pod', name: pod, namespace } } : {}) })),
  };
}

describe('peersOf', () => {
  it('lists the other replicas behind the Service at its http port, named by their pods', () => {
    const slices = [
      slice('portico-xds-1', 'portico-system', 'portico-xds', 8080, [['198.18.128.1', 'portico-a'], ['198.18.128.2', 'portico-b'], ['198.18.128.3']]),
      slice('other-1', 'portico-system', 'other', 8080, [['198.18.128.9', 'other-a']]),
      slice('portico-xds-1', 'elsewhere', 'portico-xds', 8080, [['198.18.129.1', 'stranger']]),
    ];
    expect(peersOf(slices, 'portico-system', 'portico-xds', 'portico-a')).to.deep.equal([
      { replica: '198.18.128.3', url: 'http://198.18.128.3:8080' },
      { replica: 'portico-b', url: 'http://198.18.128.2:8080' },
    ]);
  });

  it('finds no peer behind a Service without a port named http', () => {
    expect(peersOf([slice('s', 'portico-system', 'portico-xds', undefined, [['198.18.128.2', 'portico-b']])], 'portico-system', 'portico-xds', 'portico-a')).to.deep.equal([]);
  });

  it('brackets IPv6 addresses', () => {
    const v6 = slice('s', 'ns', 'svc', 8080, [['fd00::2', 'b']]);
    v6.addressType = 'IPv6';
    expect(peersOf([v6], 'ns', 'svc', 'a')).to.deep.equal([{ replica: 'b', url: 'http://[fd00::2]:8080' }]);
  });
});

describe('combineReports', () => {
  it('counts an Envoy reported by two replicas once, as the first list has it', () => {
    const local = [{ installation: 'gw', nodeId: 'envoy-1', replica: 'a', syncedVersion: 'v2' }];
    const peers = [{ installation: 'gw', nodeId: 'envoy-1', replica: 'b', syncedVersion: 'v1' }, { installation: 'gw', nodeId: 'envoy-2', replica: 'b' }];
    expect(combineReports(local, peers)).to.deep.equal([local[0], peers[1]]);
  });
});

describe('parsePage', () => {
  it('keeps well-formed proxies and drops malformed ones', () => {
    const page = parsePage({
      replica: 'b',
      revision: 'x-1',
      proxies: [
        { installation: 'gw', nodeId: 'envoy-1', syncedVersion: 'v1', lastNack: { typeUrl: 't', version: 'v2', message: 'bad' } },
        { installation: 'gw' },
        'nonsense',
        { installation: 'gw', nodeId: 'envoy-2', syncedVersion: 3, lastNack: { typeUrl: 't' } },
      ],
    });
    expect(page.proxies).to.deep.equal([
      { installation: 'gw', nodeId: 'envoy-1', replica: 'b', syncedVersion: 'v1', lastNack: { typeUrl: 't', version: 'v2', message: 'bad' } },
      { installation: 'gw', nodeId: 'envoy-2', replica: 'b' },
    ]);
  });

  it('rejects what is not a report', () => {
    expect(() => parsePage({ proxies: [] })).to.throw('not a proxy report');
    expect(() => parsePage([])).to.throw('not a proxy report');
  });
});

describe('PeerReports, reading a real replica endpoint over HTTP', () => {
  const proxies: ProxyState[] = [];
  let local: LocalProxyReports;
  let server: ProbeServer;
  let reports: PeerReports;
  const changes: Array<Set<string>> = [];
  let waiting: (() => void) | undefined;
  let peers: Array<{ replica: string; url: string }>;

  /** The next set of installations the reader says changed. */
  const nextChange = async (): Promise<string[]> => {
    while (changes.length === 0) await new Promise<void>((resolve) => { waiting = resolve; });
    return [...changes.shift()!].sort();
  };

  beforeEach(async () => {
    proxies.length = 0;
    changes.length = 0;
    local = new LocalProxyReports('replica-b', () => proxies);
    server = new ProbeServer({ notReady: () => [], metrics: new Registry(), routes: { [reportsPath]: reportsEndpoint(local) } }, log);
    const port = await server.listen(0, '127.0.0.1');
    peers = [{ replica: 'replica-b', url: `http://127.0.0.1:${port}` }];
    // Held requests last longer than any test: a change must wake them, not a timeout.
    reports = new PeerReports({
      peers: () => peers,
      onChange: (installations) => {
        changes.push(installations);
        waiting?.();
      },
      log,
      waitSeconds: 30,
      staleAfterMs: 200,
      retryMs: 20,
    });
  });

  afterEach(async () => {
    reports.stop();
    local.releaseAll();
    await server.close();
  });

  it('reads a peer\'s proxies and hears of each change while its request is held', async () => {
    proxies.push({ installation: 'gw-a', nodeId: 'envoy-1', connected: true, acked: {} });
    reports.refresh();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    expect(reports.proxiesOf('gw-a')).to.deep.equal([{ installation: 'gw-a', nodeId: 'envoy-1', replica: 'replica-b' }]);

    proxies[0]!.syncedVersion = 'v1';
    local.changed();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    expect(reports.proxiesOf('gw-a')[0]?.syncedVersion).to.equal('v1');

    proxies.push({ installation: 'gw-b', nodeId: 'envoy-2', connected: true, acked: {}, lastNack: { typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener', version: 'v2', message: 'duplicate listener', at: new Date() } });
    local.changed();
    expect(await nextChange()).to.deep.equal(['gw-b']);
    expect(reports.proxiesOf('gw-b')[0]?.lastNack?.message).to.equal('duplicate listener');
    expect(reports.proxiesOf('gw-a')).to.have.length(1);
  });

  it('drops a peer\'s proxies once it stops answering', async () => {
    proxies.push({ installation: 'gw-a', nodeId: 'envoy-1', connected: true, acked: {} });
    reports.refresh();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    local.releaseAll();
    await server.close();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    expect(reports.proxiesOf('gw-a')).to.deep.equal([]);
  });

  it('drops a peer\'s proxies at once when it leaves the Service', async () => {
    proxies.push({ installation: 'gw-a', nodeId: 'envoy-1', connected: true, acked: {} });
    reports.refresh();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    peers = [];
    reports.refresh();
    expect(await nextChange()).to.deep.equal(['gw-a']);
    expect(reports.proxiesOf('gw-a')).to.deep.equal([]);
  });
});
