// The whole test bed at once: the local control plane, the operator running with its own
// RBAC, backends on test hosts behind a Service, and a real Envoy carrying traffic to them.
// Later issues replace the static Envoy config here with the operator's xDS.
import { expect } from 'chai';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { gauge } from '../support/installations.ts';
import { asList, endpointsOfService, serviceWithEndpoints } from '../support/endpoints.ts';
import { proxyBootstrap, startEnvoy, type EnvoyProcess } from '../support/envoy.ts';
import { createTestHost, type Backend, type TestHost } from '../support/netns.ts';
import { runOperator, type OperatorProcess, type RunningOperator } from '../support/operator.ts';
import { sendRequest } from '../support/http.ts';
import { eventually, freePort } from '../support/processes.ts';

describe('the test bed: control plane, operator and a real Envoy', function () {
  this.timeout(120_000);
  let namespace: string;
  let running: RunningOperator | undefined;
  let operator: OperatorProcess | undefined;
  let host: TestHost | undefined;
  let backend: Backend;
  let envoy: EnvoyProcess | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    namespace = await createNamespace('testbed');
    host = await createTestHost();
    backend = await host.startBackend('testbed-echo');
  });

  after(async () => {
    await envoy?.stop();
    await running?.stop();
    await host?.destroy();
    await deleteNamespace(namespace);
  });

  it('runs the operator with its own ServiceAccount until it is ready', async () => {
    running = await runOperator();
    operator = running.process;
    expect((await operator.get('/readyz')).status).to.equal(200);
  });

  it('sees a Service\'s endpoints arrive in the operator\'s cache', async () => {
    const series = 'portico_informer_objects{informer="endpointslices.discovery.k8s.io/v1"}';
    const before = gauge((await operator!.get('/metrics')).body, series);
    expect(before).to.be.a('number');
    await kubectlOk(['apply', '-f', '-'], asList(serviceWithEndpoints(namespace, 'echo', 80, [backend])));
    await eventually('the operator to cache the new EndpointSlice', async () => {
      const now = gauge((await operator!.get('/metrics')).body, series);
      return now === before! + 1 ? true : undefined;
    });
  });

  it('carries a request through a real Envoy to the Service\'s backend', async () => {
    const listenPort = await freePort();
    envoy = await startEnvoy(proxyBootstrap(listenPort, await endpointsOfService(namespace, 'echo')));
    const response = await sendRequest(`http://127.0.0.1:${listenPort}/hello`, { headers: { host: 'echo.example.com' } });
    expect(response.status).to.equal(200);
    const body = JSON.parse(response.body) as { backend: string; headers: Record<string, string> };
    expect(body.backend).to.equal('testbed-echo');
    expect(body.headers.host).to.equal('echo.example.com');
  });
});
