// A whole gateway on the test bed: the operator (its own ServiceAccount and RBAC, serving xDS on
// the machine's address towards pods, as startOperator does), a GatewayInstallation, and its own Envoy Deployment's
// pods, run for real by the test bed's pod runtime at their pod IPs, reached through the
// installation's LoadBalancer Service at the address the test bed's load balancer gave it.
import { withDefaults } from '../../operator/api/schema-defaults.ts';
import { kubectl, kubectlOk } from './cluster.ts';
import { sendRequest } from './http.ts';
import { installationManifest, type Installation } from './installations.ts';
import { runOperator, type RunningOperator } from './operator.ts';
import { eventually } from './processes.ts';

/** The listeners of an installation with the default ports. */
export type Listener = 'externalHTTP' | 'externalHTTPS' | 'internalHTTP' | 'internalHTTPS' | 'probeHTTP' | 'probeHTTPS' | 'metrics';

/** The container ports of the listeners: the CRD's defaults, which startGateway keeps. */
const podPorts: Record<Listener, number> = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'defaults' }, spec: {} }).spec.listeners.ports;

/** Envoy's stats matching the regular expression `filter`, read from a pod's stats listener as a Prometheus scrape would. */
export async function envoyStats(podIP: string, filter: string): Promise<Record<string, number>> {
  const text = (await sendRequest(`http://${podIP}:${podPorts.metrics}/stats?filter=${encodeURIComponent(filter)}`)).body;
  return Object.fromEntries(text.trim().split('\n').filter(Boolean).map((line) => {
    const [key = '', value] = line.split(': ');
    return [key, Number(value)];
  }));
}

export interface Gateway {
  name: string;
  namespace: string;
  operator: RunningOperator;
  /** The external Service's load-balancer address (status.loadBalancer.ingress, as `kubectl get gwi` shows it). */
  address: string;
  /**
   * Where a client reaches a listener, as `host:port`: the external ones through the load balancer
   * (ports 80 and 443), the others at an Envoy pod's IP (the test bed routes no cluster IPs).
   */
  endpoint(listener: Listener): string;
  /** The IPs of the installation's ready Envoy pods. */
  podIPs(): Promise<string[]>;
  /** Deletes the installation (its pods drain and go) and stops the operator. */
  stop(): Promise<void>;
}

/** The IPs of the ready pods of a Deployment's selector in `namespace`. */
export async function readyPodIPs(namespace: string, selector: string): Promise<string[]> {
  const pods = JSON.parse(await kubectlOk(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'])) as {
    items: Array<{ metadata: { deletionTimestamp?: string }; status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }>;
  };
  return pods.items
    .filter((pod) => !pod.metadata.deletionTimestamp && pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'))
    .map((pod) => pod.status?.podIP ?? '')
    .filter(Boolean)
    .sort();
}

/**
 * Installs gateway `name` with `spec` in namespace gw-<name> and waits until it is Ready and
 * its Envoys have taken their configuration (ConfigSynced). Its Envoys drain for 1 s unless
 * `spec.envoy` says otherwise, so that tests do not wait out Envoy's 15 s default.
 */
export async function startGateway(name: string, spec: Record<string, unknown>, options: { operatorArgs?: string[] } = {}): Promise<Gateway> {
  const namespace = `gw-${name}`;
  const operator = await runOperator(undefined, options.operatorArgs ?? []);
  const stop = async () => {
    await kubectl(['delete', 'gwi', name, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await operator.stop();
  };
  try {
    const envoy = { drainSeconds: 1, ...(spec.envoy as Record<string, unknown> | undefined) };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(name, { namespace, ...spec, envoy })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${name}`, '--timeout=120s']);
    await kubectlOk(['wait', '--for=condition=ConfigSynced', `gwi/${name}`, '--timeout=120s']);
    const address = await eventually(`gwi/${name} to show its load-balancer address`, async () => {
      const installation = JSON.parse(await kubectlOk(['get', 'gwi', name, '-o', 'json'])) as Installation;
      return installation.status?.addresses?.find((entry) => entry.type === 'IPAddress')?.value;
    }, 60_000, 200);
    const selector = `portico.dev/installation=${name},app.kubernetes.io/component=gateway`;
    const podIPs = () => readyPodIPs(namespace, selector);
    const firstPod = (await podIPs())[0];
    if (!firstPod) throw new Error(`gwi/${name} is ConfigSynced but none of its Envoy pods is ready`);
    const endpoint = (listener: Listener) => {
      if (listener === 'externalHTTP') return `${address}:80`;
      if (listener === 'externalHTTPS') return `${address}:443`;
      return `${firstPod}:${podPorts[listener]}`;
    };
    return { name, namespace, operator, address, endpoint, podIPs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
