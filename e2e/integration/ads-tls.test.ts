// Mutual TLS on the xDS connection: an Envoy with its installation's client certificate is
// served; a client with another installation's certificate, or none, gets nothing; a renewed
// server certificate is used for new connections without dropping the streams already open.
import { credentials, makeGenericClientConstructor, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { withDefaults } from '../../operator/api/schema-defaults.ts';
import type { GatewayInstallation } from '../../operator/api/gatewayinstallation.ts';
import { renderInstallation, type RenderSettings } from '../../operator/installation/render.ts';
import { SnapshotCache } from '../../xds/cache.ts';
import { createAuthority, installationIdentity, issue, type KeyPair } from '../../xds/certificates.ts';
import { aggregatedDiscoveryService, typeUrls } from '../../xds/protos.ts';
import { AdsServer, type ProxyState } from '../../xds/server.ts';
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/sotw-stream.ts';
import { RotatingServerCredentials } from '../../xds/tls.ts';
import { snapshotOf } from '../../xds/encoder.ts';
import { startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { sendRequest } from '../support/http.ts';
import { eventually, freePort } from '../support/processes.ts';
import { mountSecret, secretData } from '../support/secret-volume.ts';

const serverName = 'portico-xds.portico-system.svc';
const installation = 'tls-test';

/** One SotW request as an independent gRPC client with `identity`; resolves with the first answer or the error. */
async function ask(port: number, authority: KeyPair, identity: KeyPair | undefined, cluster: string): Promise<DiscoveryResponse | ServiceError> {
  const Client = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');
  const channel = credentials.createSsl(Buffer.from(authority.cert), identity ? Buffer.from(identity.key) : null, identity ? Buffer.from(identity.cert) : null);
  const client = new Client(`127.0.0.1:${port}`, channel, { 'grpc.ssl_target_name_override': serverName }) as unknown as {
    StreamAggregatedResources(): ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
    close(): void;
  };
  const call = client.StreamAggregatedResources();
  try {
    return await new Promise<DiscoveryResponse | ServiceError>((resolve) => {
      call.once('data', resolve);
      call.once('error', resolve);
      call.write({ node: { id: 'probe', cluster }, type_url: typeUrls.listener });
    });
  } finally {
    call.cancel();
    client.close();
  }
}

/** The serial number of the certificate the server presents to a new connection. */
function presentedSerial(port: number, authority: KeyPair, identity: KeyPair): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: serverName, ca: authority.cert, cert: identity.cert, key: identity.key, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('mutual TLS on the xDS connection', function () {
  this.timeout(60_000);
  const cache = new SnapshotCache();
  const proxies = new Map<string, ProxyState>();
  let authority: KeyPair;
  let tls: RotatingServerCredentials;
  let server: AdsServer;
  let port: number;
  let dir: string;
  let envoy: EnvoyProcess | undefined;
  let listenPort: number;
  let ownIdentity: KeyPair;
  let settings: RenderSettings;
  let installationSpec: GatewayInstallation;

  before(async () => {
    authority = await createAuthority('portico-xds-ca', 365);
    tls = new RotatingServerCredentials(authority.cert, await issue(authority, { commonName: 'portico-xds', dnsNames: [serverName], usage: 'server', validDays: 30 }));
    server = new AdsServer(cache, pino({ level: 'silent' }), { requireInstallationIdentity: true, onProxyChange: (proxy) => proxies.set(proxy.nodeId, proxy) });
    port = await server.listen('127.0.0.1:0', tls.credentials());
    dir = mkdtempSync(join(tmpdir(), 'portico-xds-tls-'));
    ownIdentity = await issue(authority, { commonName: installation, uris: [installationIdentity(installation)], usage: 'client', validDays: 30 });
    listenPort = await freePort();
  });

  after(async () => {
    await envoy?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves an Envoy that presents its installation\'s certificate', async () => {
    const spec = withDefaults({
      apiVersion: 'portico.dev/v1alpha1',
      kind: 'GatewayInstallation',
      metadata: { name: installation },
      spec: { listeners: { addresses: ['127.0.0.1'], ports: { externalHTTP: listenPort, internalHTTP: await freePort(), probeHTTP: await freePort(), metrics: await freePort() } } },
    });
    cache.set(installation, snapshotOf({ listeners: [{ name: 'http', address: '127.0.0.1', port: listenPort, routeConfigName: 'routes', statPrefix: 'http' }], routeConfigs: [{ name: 'routes', virtualHosts: [] }], clusters: [] }));
    // Envoy dials 127.0.0.1 but checks the server's name, as in a cluster it would dial the Service.
    settings = { xds: { host: serverName, port, tlsDirectory: dir }, adminPort: await freePort() };
    installationSpec = spec;
    const rendered = renderInstallation(spec, settings, { ...ownIdentity, ca: authority.cert });
    // The client certificate Secret, mounted as the kubelet would.
    mountSecret(dir, secretData(rendered.objects));
    const bootstrap = (rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data['envoy-bootstrap.yaml']!;
    const dialed = bootstrap.replace(`address: "${serverName}", port_value`, 'address: "127.0.0.1", port_value');
    expect(dialed).to.not.equal(bootstrap);
    envoy = await startEnvoy(dialed, { args: ['--service-node', 'envoy-0', '--service-cluster', installation] });
    await eventually('Envoy to take its config over mutual TLS', () => Promise.resolve(proxies.get('envoy-0')?.syncedVersion === cache.get(installation)?.version ? true : undefined));
    const response = await eventually('the listener to answer', () => sendRequest(`http://127.0.0.1:${listenPort}/`).catch(() => undefined));
    expect(response.status).to.equal(404);
  });

  it('refuses a client whose certificate is for another installation', async () => {
    const other = await issue(authority, { commonName: 'other', uris: [installationIdentity('other')], usage: 'client', validDays: 30 });
    const answer = await ask(port, authority, other, installation);
    expect(answer).to.have.property('details', 'the client certificate is for installation "other", not "tls-test"');
  });

  it('refuses a client without a certificate, or with one from another authority', async () => {
    const none = await ask(port, authority, undefined, installation);
    expect(none).to.have.property('code').that.is.a('number').and.not.equal(0);
    const stranger = await createAuthority('stranger', 30);
    const foreign = await issue(stranger, { commonName: installation, uris: [installationIdentity(installation)], usage: 'client', validDays: 30 });
    const refused = await ask(port, authority, foreign, installation);
    expect(refused).to.have.property('code').that.is.a('number').and.not.equal(0);
  });

  it('uses a renewed server certificate for new connections and keeps the open stream', async () => {
    const before = await presentedSerial(port, authority, ownIdentity);
    const renewed = await issue(authority, { commonName: 'portico-xds', dnsNames: [serverName], usage: 'server', validDays: 30 });
    tls.update(authority.cert, renewed);
    const after = await presentedSerial(port, authority, ownIdentity);
    expect(after).to.not.equal(before);
    // The Envoy connected before the renewal still receives new config on its stream.
    expect(proxies.get('envoy-0')?.connected).to.equal(true);
    cache.set(installation, snapshotOf({ listeners: [{ name: 'http', address: '127.0.0.1', port: listenPort, routeConfigName: 'routes', statPrefix: 'renewed' }], routeConfigs: [{ name: 'routes', virtualHosts: [] }], clusters: [] }));
    await eventually('Envoy to take the next config on the same stream', () => Promise.resolve(proxies.get('envoy-0')?.syncedVersion === cache.get(installation)?.version ? true : undefined));
    expect(proxies.get('envoy-0')?.connected).to.equal(true);
  });

  it('loads a renewed client certificate from the swapped Secret files, keeping its stream', async () => {
    const proxyBefore = proxies.get('envoy-0');
    const renewed = await issue(authority, { commonName: installation, uris: [installationIdentity(installation)], usage: 'client', validDays: 30 });
    mountSecret(dir, secretData(renderInstallation(installationSpec, settings, { ...renewed, ca: authority.cert }).objects));
    const serial = new X509Certificate(renewed.cert).serialNumber.toLowerCase();
    await eventually('Envoy to load the renewed client certificate', async () => {
      const certs = JSON.parse(await envoy!.admin('/certs')) as { certificates: Array<{ cert_chain?: Array<{ serial_number: string }> }> };
      return certs.certificates.some((entry) => entry.cert_chain?.some((cert) => cert.serial_number.toLowerCase() === serial)) ? true : undefined;
    });
    // The same stream, still connected: a reconnection would have made a new proxy entry.
    expect(proxies.get('envoy-0')).to.equal(proxyBefore);
    expect(proxyBefore?.connected).to.equal(true);
  });
});
