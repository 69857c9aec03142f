import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

/** The last lines a process wrote, kept for error messages when it misbehaves. */
export class OutputTail {
  private readonly lines: string[] = [];
  private readonly limit: number;
  private partial = '';
  private readonly listeners: Array<(line: string) => void> = [];

  constructor(limit = 200) {
    this.limit = limit;
  }

  attach(child: ChildProcess): void {
    child.stdout?.on('data', (chunk: Buffer) => { this.write(chunk.toString()); });
    child.stderr?.on('data', (chunk: Buffer) => { this.write(chunk.toString()); });
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  text(): string {
    return [...this.lines, this.partial].join('\n').trim();
  }

  private write(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
      for (const listener of this.listeners) listener(line);
    }
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output; never throws on a non-zero exit. */
export function run(command: string, args: string[], options: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdio = options.stdio ?? [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
    const child = spawn(command, args, { ...options, stdio });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) {
      // A command that exits without reading its input must not crash the test with EPIPE.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input);
    }
  });
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export async function runOrThrow(command: string, args: string[], options: SpawnOptions & { input?: string } = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

/** Sends SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Thrown from an `eventually` check to stop waiting at once: the awaited state can no longer come. */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns a value, or fails after `timeoutMs` with `what` in the message.
 * A check that throws is tried again, unless it throws GiveUp.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
