// Backends for real traffic: processes in network namespaces the test creates, reached by
// a real Envoy through addresses that a Service's EndpointSlice carries.
import { expect } from 'chai';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { asList, endpointsOfService, serviceWithEndpoints } from '../support/endpoints.ts';
import { proxyBootstrap, startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { freePort } from '../support/processes.ts';

describe('test hosts in network namespaces', function () {
  let namespace: string;
  let hosts: TestHost[] = [];
  let backends: Backend[] = [];
  let envoy: EnvoyProcess | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    namespace = await createNamespace('test-hosts');
    hosts = [await createTestHost(), await createTestHost()];
    backends = await Promise.all(hosts.map((host, index) => host.startBackend(`echo-${index}`, 8080)));
  });

  after(async () => {
    await envoy?.stop();
    await Promise.all(hosts.map((host) => host.destroy()));
    await deleteNamespace(namespace);
  });

  it('gives each host its own address, where its backend answers', async () => {
    expect(hosts[0]!.address).to.not.equal(hosts[1]!.address);
    for (const backend of backends) {
      const response = await fetch(`http://${backend.address}:${backend.port}/direct`);
      expect(((await response.json()) as { backend: string }).backend).to.equal(backend.name);
    }
  });

  it('are addresses the apiserver accepts in an EndpointSlice, where loopback is refused', async () => {
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, 'echo', 80, backends)));
    const loopback = serviceWithEndpoints(namespace, 'loopback', 80, [{ ...backends[0]!, address: '127.0.0.1' }])[1]!;
    const refused = await kubectl(['apply', '-f', '-'], JSON.stringify(loopback));
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/loopback/i);
  });

  it('carry real traffic from Envoy to the endpoints the EndpointSlice names', async function () {
    this.timeout(60_000);
    const endpoints = await endpointsOfService(namespace, 'echo');
    expect(endpoints.map((endpoint) => endpoint.address).sort()).to.deep.equal(backends.map((backend) => backend.address).sort());

    const listenPort = await freePort();
    envoy = await startEnvoy(proxyBootstrap(listenPort, endpoints));
    const answeredBy = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const response = await fetch(`http://127.0.0.1:${listenPort}/through-envoy?n=${i}`);
      expect(response.status).to.equal(200);
      const body = (await response.json()) as { backend: string; path: string; headers: Record<string, string> };
      expect(body.path).to.equal(`/through-envoy?n=${i}`);
      expect(body.headers['x-request-id'], 'Envoy adds x-request-id').to.be.a('string');
      answeredBy.add(body.backend);
    }
    expect([...answeredBy].sort()).to.deep.equal(['echo-0', 'echo-1']);
  });
});
