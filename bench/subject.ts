// A controller under test, started from its command (bench/README.md gives the protocol): the
// process gets KUBECONFIG and BENCH_INGRESS_CLASS, prints `BENCH-READY {json}` once its Envoy
// runs, and stops what it started on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { OutputTail, terminate } from '../e2e/support/processes.ts';

export interface SubjectInfo {
  /** The name the report shows. */
  name: string;
  /** Envoy's plain HTTP listener for external hosts, on 127.0.0.1. */
  httpPort: number;
  /** Envoy's admin interface, e.g. http://127.0.0.1:9901. */
  adminUrl: string;
  /** The controller's process, for its resident memory. */
  controllerPid?: number;
  /** The cluster Envoy's xDS connection belongs to, for the bytes it received. */
  xdsCluster: string;
}

export class RunningSubject {
  readonly info: SubjectInfo;
  readonly output: OutputTail;
  private readonly child: ChildProcess;

  constructor(child: ChildProcess, info: SubjectInfo, output: OutputTail) {
    this.child = child;
    this.info = info;
    this.output = output;
  }

  /** SIGTERM, SIGKILL after `graceMs`; then whatever it started and left behind (its process group). */
  async stop(graceMs = 60_000): Promise<void> {
    await terminate(this.child, graceMs);
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // The group is empty: the subject stopped everything itself.
    }
  }
}

export function startSubject(command: string, env: Record<string, string>, timeoutMs = 600_000): Promise<RunningSubject> {
  const child = spawn('bash', ['-c', `exec ${command}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output = new OutputTail();
  output.attach(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`subject "${command}" printed no BENCH-READY line within ${timeoutMs} ms:\n${output.text()}`));
    }, timeoutMs);
    output.onLine((line) => {
      const ready = /^BENCH-READY (.+)$/.exec(line)?.[1];
      if (ready === undefined) return;
      clearTimeout(timer);
      resolve(new RunningSubject(child, JSON.parse(ready) as SubjectInfo, output));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`subject "${command}" exited (${code ?? signal}) before it was ready:\n${output.text()}`));
    });
  });
}
