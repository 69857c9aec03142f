// The benchmark's gateway: the operator (its own ServiceAccount and RBAC), a GatewayInstallation
// whose listeners are on free loopback ports, and one real Envoy started on this machine from the
// bootstrap the operator rendered, with the xDS client certificate it issued mounted as a pod
// would mount it: the benchmark reads that Envoy's admin interface (memory, stats) directly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, kubectlOk } from '../../e2e/support/cluster.ts';
import { startEnvoy, type EnvoyProcess } from '../../e2e/support/envoy.ts';
import { installationManifest } from '../../e2e/support/installations.ts';
import { runOperator, type RunningOperator } from '../../e2e/support/operator.ts';
import { freePort } from '../../e2e/support/processes.ts';
import { mountSecret } from '../../e2e/support/secret-volume.ts';

export type ListenerPorts = Record<'externalHTTP' | 'internalHTTP' | 'externalHTTPS' | 'internalHTTPS' | 'probeHTTP' | 'probeHTTPS' | 'metrics', number>;

export interface Gateway {
  name: string;
  operator: RunningOperator;
  envoy: EnvoyProcess;
  ports: ListenerPorts;
  /** Deletes the installation and stops Envoy and the operator. */
  stop(): Promise<void>;
}

/** Installs gateway `name` with `spec` (listeners are set here) and waits for its Envoy to be ConfigSynced. */
export async function startGateway(name: string, spec: Record<string, unknown>): Promise<Gateway> {
  const xdsPort = await freePort();
  const tlsDirectory = mkdtempSync(join(tmpdir(), 'portico-gateway-'));
  const operator = await runOperator(undefined, [
    '--xds-listen', `127.0.0.1:${xdsPort}`,
    '--xds-address', `127.0.0.1:${xdsPort}`,
    '--envoy-admin-port', String(await freePort()),
    '--envoy-xds-tls-dir', tlsDirectory,
  ]);
  let envoy: EnvoyProcess | undefined;
  const stop = async () => {
    await envoy?.stop();
    await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await operator.stop();
    rmSync(tlsDirectory, { recursive: true, force: true });
  };
  try {
    const ports: ListenerPorts = {
      externalHTTP: await freePort(), internalHTTP: await freePort(), externalHTTPS: await freePort(), internalHTTPS: await freePort(),
      probeHTTP: await freePort(), probeHTTPS: await freePort(), metrics: await freePort(),
    };
    // Fake pods: the one Envoy is the benchmark's own, on this machine (a pod could not reach xDS on loopback).
    const envoySpec = { ...(spec.envoy as Record<string, unknown> | undefined), podAnnotations: { 'portico.dev/testbed': 'fake' } };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, { namespace: `gw-${name}`, ...spec, envoy: envoySpec, listeners: { addresses: ['127.0.0.1'], ports } })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=60s']);
    const bootstrap = await kubectlOk(['get', 'configmap', `${name}-bootstrap`, '-n', `gw-${name}`, '-o', 'jsonpath={.data.envoy-bootstrap\\.yaml}']);
    const secret = JSON.parse(await kubectlOk(['get', 'secret', `${name}-xds-client`, '-n', `gw-${name}`, '-o', 'json'])) as { data: Record<string, string> };
    mountSecret(tlsDirectory, secret.data);
    envoy = await startEnvoy(bootstrap, { args: ['--service-node', `${name}-gateway-0`, '--service-cluster', name] });
    await kubectlOk(['wait', '--for=condition=ConfigSynced', `gwi/${name}`, '--timeout=60s']);
    return { name, operator, envoy, ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
