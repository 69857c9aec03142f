// One container process of a pod the test bed runs: started in the pod's network namespace with
// a root, hostname and mounts of its own (container-launch.sh), its output kept in the CRI log
// format the kubelet writes (and kwok's log server reads, for `kubectl logs`), and commands run
// inside it for exec probes and preStop hooks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../support/processes.ts';

const launchScript = fileURLToPath(new URL('./container-launch.sh', import.meta.url));
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface LaunchOptions {
  /** The container's own directory: its overlay's upper layer and its root live here. */
  directory: string;
  netnsPath: string;
  hostname: string;
  uid: number;
  gid: number;
  workingDir: string;
  argv: string[];
  env: ReadonlyMap<string, string>;
  mounts: Mount[];
  logFile: string;
}

/** Appends a process's output to a file in the CRI log format: `<RFC 3339 time> <stream> <F|P> <text>`. */
class CriLog {
  private readonly file: WriteStream;
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path, { flags: 'a' });
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const lines = (this.partial[stream] + chunk.toString()).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.file.write(`${timestamp()} ${stream} F ${line}\n`);
  }

  close(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.file.write(`${timestamp()} ${stream} F ${this.partial[stream]}\n`);
      this.partial[stream] = '';
    }
    return new Promise((resolve) => this.file.end(resolve));
  }
}

function timestamp(): string {
  // Nanoseconds, as the CRI writes them.
  return new Date().toISOString().replace('Z', '000000Z');
}

export interface ExitStatus {
  exitCode: number;
  signal?: NodeJS.Signals;
  finishedAt: Date;
}

export class RunningContainer {
  readonly startedAt = new Date();
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private readonly options: LaunchOptions;

  constructor(options: LaunchOptions) {
    this.options = options;
    mkdirSync(options.directory, { recursive: true });
    const mountsFile = join(options.directory, 'mounts.tsv');
    // Parents before what is mounted inside them.
    const mounts = [...options.mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
    writeFileSync(mountsFile, mounts.map((mount) => `${mount.source}\t${mount.target}\t${mount.readOnly ? 'ro' : 'rw'}\n`).join(''));
    const log = new CriLog(options.logFile);
    this.child = spawn(
      'nsenter',
      [`--net=${options.netnsPath}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'bash', launchScript,
        options.directory, options.hostname, String(options.uid), String(options.gid), options.workingDir, mountsFile, '--', ...options.argv],
      { env: this.environment(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => { log.write('stdout', chunk); });
    this.child.stderr?.on('data', (chunk: Buffer) => { log.write('stderr', chunk); });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        log.write('stderr', Buffer.from(`${error.message}\n`));
      });
      // The status is the process's; its log closes once its output has all arrived.
      this.child.once('exit', (code, signal) => {
        resolve({ exitCode: code ?? (signal ? 128 + constants.signals[signal] : 1), ...(signal ? { signal } : {}), finishedAt: new Date() });
      });
      this.child.once('close', () => { void log.close(); });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Runs a command inside the container (its namespaces, root, user and environment), with a deadline. */
  async exec(command: string[], timeoutMs: number): Promise<RunResult & { timedOut: boolean }> {
    const pid = this.pid;
    if (pid === undefined || !this.running) return { code: 1, stdout: '', stderr: 'the container is not running', timedOut: false };
    const root = join(this.options.directory, 'root');
    const controller = new AbortController();
    const timer = setTimeout(() => { controller.abort(); }, timeoutMs);
    try {
      const result = await run('nsenter', [`--target=${pid}`, '--mount', '--uts', '--net', '--', 'chroot', `--userspec=${this.options.uid}:${this.options.gid}`, root, '/usr/bin/env', '-C', this.options.workingDir, '--', ...command], { env: this.environment(), signal: controller.signal });
      return { ...result, timedOut: false };
    } catch (error) {
      if (controller.signal.aborted) return { code: null, stdout: '', stderr: `timed out after ${timeoutMs} ms`, timedOut: true };
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private environment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: defaultPath, HOSTNAME: this.options.hostname };
    for (const [name, value] of this.options.env) env[name] = value;
    return env;
  }
}

