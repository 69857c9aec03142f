import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventually, run, runOrThrow, type RunResult } from './processes.ts';

/** The local control plane the integration and e2e layers run against (e2e/cluster/). */
export interface Cluster {
  kubeconfig: string;
  /** The kubectl built with the apiserver. */
  kubectlPath: string;
  kubeConfig: KubeConfig;
  /** The apiserver's audit log (e2e/cluster/audit-policy.yaml says what it records). */
  auditLog: string;
}

const upScript = fileURLToPath(new URL('../cluster/up.sh', import.meta.url));
const downScript = fileURLToPath(new URL('../cluster/down.sh', import.meta.url));
let cluster: Promise<Cluster> | undefined;
let startedHere = false;

/** Settings printed by up.sh: `export NAME=value` lines. */
function parseSettings(text: string): Cluster {
  const kubeconfig = /^export KUBECONFIG=(.+)$/m.exec(text)?.[1];
  const bin = /^export PATH=(.+):"\$PATH"$/m.exec(text)?.[1];
  const auditLog = /^export PORTICO_AUDIT_LOG=(.+)$/m.exec(text)?.[1];
  if (!kubeconfig || !bin || !auditLog) throw new Error(`e2e/cluster/up.sh printed no settings:\n${text}`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  return { kubeconfig, kubectlPath: `${bin}/kubectl`, kubeConfig, auditLog };
}

/** The running local cluster; started on first use (building its binaries if need be). */
export function localCluster(): Promise<Cluster> {
  cluster ??= (async () => {
    const check = await run('bash', [upScript, '--check']);
    if (check.code === 0) return parseSettings(check.stdout);
    startedHere = true;
    return parseSettings(await runOrThrow('bash', [upScript], { stdio: ['ignore', 'pipe', 'inherit'] }));
  })();
  return cluster;
}

/** Stops the cluster if this process started it, unless PORTICO_KEEP_CLUSTER is set. */
export async function stopClusterIfStartedHere(): Promise<void> {
  if (!startedHere || process.env.PORTICO_KEEP_CLUSTER) return;
  await runOrThrow('bash', [downScript]);
}

/** Runs the real kubectl against the local cluster; resolves with its output whatever the exit code. */
export async function kubectl(args: string[], input?: string): Promise<RunResult> {
  const { kubectlPath, kubeconfig } = await localCluster();
  return run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], input === undefined ? {} : { input });
}

/** Runs the real kubectl and returns its stdout; throws with its stderr on failure. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Creates a namespace with a unique name for one test suite; delete it with deleteNamespace. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectlOk(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}

/** Waits until namespace `name` is gone (its finalizers done), for a test that reuses the name next. */
export async function namespaceGone(name: string, timeoutMs = 120_000): Promise<void> {
  await eventually(`namespace ${name} to be deleted`, async () => ((await kubectl(['get', 'namespace', name])).code !== 0 ? true : undefined), timeoutMs, 500);
}

/**
 * Writes a kubeconfig that authenticates as a ServiceAccount, with a token from the
 * TokenRequest API (`kubectl create token`), so that a process runs with exactly that
 * account's RBAC permissions.
 */
export async function serviceAccountKubeconfig(namespace: string, serviceAccount: string, file: string): Promise<string> {
  const { kubeConfig } = await localCluster();
  const server = kubeConfig.getCurrentCluster();
  if (!server) throw new Error('the local kubeconfig names no cluster');
  const token = (await kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration', '2h'])).trim();
  const ca = server.caData ?? (server.caFile ? readFileSync(server.caFile).toString('base64') : undefined);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: server.server, ...(ca ? { 'certificate-authority-data': ca } : { 'insecure-skip-tls-verify': true }) } }],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: serviceAccount, context: { cluster: 'local', user: serviceAccount, namespace } }],
    'current-context': serviceAccount,
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

const crdDirectory = fileURLToPath(new URL('../../crds/', import.meta.url));

/** Applies Portico's CRDs (crds/) with kubectl and waits until the apiserver serves them. */
export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', crdDirectory]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/gatewayinstallations.portico.dev']);
}
