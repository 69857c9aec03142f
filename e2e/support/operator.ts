import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, deleteNamespace, kubectlOk, serviceAccountKubeconfig } from './cluster.ts';
import { GiveUp, OutputTail, eventually, freePort, terminate } from './processes.ts';
import { hostAddress } from '../testbed/addresses.ts';
import { clusterRules, namespaceRules, type PolicyRule } from '../../deploy/render.ts';

const mainScript = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));

/** The operator, run as users run it (node operator/main.ts), with its probe server on a free port. */
export class OperatorProcess {
  readonly url: string;
  readonly output: OutputTail;
  private readonly child: ChildProcess;

  constructor(child: ChildProcess, url: string, output: OutputTail) {
    this.child = child;
    this.url = url;
    this.output = output;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** The operator's process id (for its memory, in benchmarks). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** GET a path of the probe server; returns the status and body. */
  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.url}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** Kills the process outright (SIGKILL), as a crash or a lost node would. */
  async crash(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => { resolve(); }));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => { resolve(code); });
    });
    await terminate(this.child, 15_000);
    return exited;
  }
}

export interface StartOperatorOptions {
  kubeconfig: string;
  /** The operator's namespace: its leader-election Lease lives there. */
  namespace: string;
  /** Its identity in leader election (POD_NAME in a pod). */
  identity?: string;
  /** The address of its probe server (loopback unless given). */
  httpHost?: string;
  args?: string[];
  env?: Record<string, string>;
}

/**
 * The port of an operator process's probe server, from its log line "serving /healthz…" (it
 * listens on port 0); fails at once if the process exits first.
 */
export async function probePort(child: ChildProcess, output: OutputTail, what: string, timeoutMs: number): Promise<number> {
  let port: number | undefined;
  output.onLine((line) => {
    try {
      const record = JSON.parse(line) as { msg?: string; port?: number };
      if (record.msg?.startsWith('serving /healthz') && record.port) port = record.port;
    } catch {
      // not a log record
    }
  });
  return eventually(`${what} to serve its probes`, () => {
    if (child.exitCode !== null) return Promise.reject(new GiveUp(`${what} exited with ${child.exitCode}:\n${output.text()}`));
    return Promise.resolve(port);
  }, timeoutMs, 50);
}

/**
 * The operator's flags that put its xDS server where Envoy pods reach it: the machine's address
 * towards pods, on a free port (several operators may run at once).
 */
export async function xdsOnTestBed(): Promise<string[]> {
  const port = await freePort();
  return ['--xds-listen', `${hostAddress}:${port}`, '--xds-address', `${hostAddress}:${port}`];
}

/** Starts the operator and waits until its probe server listens (not until it is ready). */
export async function startOperator(options: StartOperatorOptions): Promise<OperatorProcess> {
  // xDS where the installation's Envoy pods reach it (the machine's address towards pods), on a
  // free port, unless the test says otherwise: several operators may run at once.
  const xdsArgs = options.args?.some((arg) => arg.startsWith('--xds-listen')) ? [] : await xdsOnTestBed();
  const httpHost = options.httpHost ?? '127.0.0.1';
  const child = spawn(process.execPath, [mainScript, '--http-host', httpHost, '--http-port', '0', '--log-level', 'debug', ...xdsArgs, ...(options.args ?? [])], {
    env: {
      ...process.env,
      ...options.env,
      KUBECONFIG: options.kubeconfig,
      POD_NAMESPACE: options.namespace,
      ...(options.identity ? { POD_NAME: options.identity } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail(1000);
  output.attach(child);
  try {
    const bound = await probePort(child, output, 'the operator', 30_000);
    return new OperatorProcess(child, `http://${httpHost}:${bound}`, output);
  } catch (error) {
    await terminate(child);
    throw error;
  }
}

/**
 * What the operator reads and writes: the rules of its ClusterRole as the release installs it
 * (deploy/clusterrole.yaml), so that a permission the code needs and the role lacks fails a test.
 */
export const operatorRules: PolicyRule[] = clusterRules();

export interface OperatorIdentity {
  /** A kubeconfig with a token of the operator's ServiceAccount. */
  kubeconfig: string;
  /** Replaces the ClusterRole's rules (RBAC takes effect without a new token). */
  setRules(rules: PolicyRule[]): Promise<void>;
  /** Deletes the ClusterRole and its binding (the namespace goes with the test). */
  remove(): Promise<void>;
}

/**
 * A ServiceAccount `portico` in `namespace`, bound to a ClusterRole with `rules` and to the
 * release's leader-election Role in `namespace`, and a kubeconfig with its token: the operator
 * then runs with exactly those permissions.
 */
export async function operatorIdentity(namespace: string, kubeconfigFile: string, rules: PolicyRule[] = operatorRules): Promise<OperatorIdentity> {
  const role = `portico-test-${namespace}`;
  const setRules = async (next: PolicyRule[]) => {
    const clusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role }, rules: next };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(clusterRole));
  };
  await kubectlOk(['create', 'serviceaccount', 'portico', '-n', namespace]);
  await setRules(rules);
  await kubectlOk(['create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--serviceaccount=${namespace}:portico`]);
  const leaderElection = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'portico-leader-election', namespace }, rules: namespaceRules() };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(leaderElection));
  await kubectlOk(['create', 'rolebinding', 'portico-leader-election', '-n', namespace, '--role=portico-leader-election', `--serviceaccount=${namespace}:portico`]);
  return {
    kubeconfig: await serviceAccountKubeconfig(namespace, 'portico', kubeconfigFile),
    setRules,
    remove: async () => {
      await kubectlOk(['delete', 'clusterrolebinding,clusterrole', role, '--ignore-not-found']);
    },
  };
}

export interface RunningOperator {
  process: OperatorProcess;
  /** Stops the operator and removes its identity and namespace. */
  stop(): Promise<void>;
}

/**
 * The operator as it runs in a cluster: its own ServiceAccount with `rules`, started and
 * ready (every cache synced). The CRDs must be installed first.
 */
export async function runOperator(rules: PolicyRule[] = operatorRules, args: string[] = []): Promise<RunningOperator> {
  const namespace = await createNamespace('portico-operator');
  const dir = mkdtempSync(join(tmpdir(), 'portico-operator-'));
  const identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'), rules);
  const operator = await startOperator({ kubeconfig: identity.kubeconfig, namespace, args });
  const stop = async () => {
    await operator.stop();
    await identity.remove();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually('the operator to be ready', async () => ((await operator.get('/readyz')).status === 200 ? true : undefined), 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: operator, stop };
}
