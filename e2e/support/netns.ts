import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { numberToIpv4, parseCidr, testHostRange } from '../testbed/addresses.ts';
import { GiveUp, OutputTail, eventually, runOrThrow, terminate } from './processes.ts';

/**
 * Test hosts: network namespaces that the test creates, each joined to this machine's
 * namespace by a veth pair, with addresses from 198.18.0.0/15 (RFC 2544's range for
 * network tests; their part of it, 198.18.0.0/17, is in e2e/testbed/addresses.ts). Backends
 * listen there because the apiserver refuses loopback addresses in EndpointSlices: a
 * selector-less Service's EndpointSlice points at a test host's address, and Envoy, on this
 * machine or in a pod (through the machine, which forwards), reaches it over the veth.
 */

const backendScript = fileURLToPath(new URL('./backend.ts', import.meta.url));
const authzScript = fileURLToPath(new URL('./authz-server.ts', import.meta.url));
const namePrefix = 'portico-';
let created = 0;
const live = new Set<TestHost>();
const testHostBlocks = parseCidr(testHostRange.cidr);

export interface Backend {
  name: string;
  address: string;
  port: number;
  output: OutputTail;
  stop(): Promise<void>;
}

export interface BackendOptions {
  /** http1 (the default), h2c (HTTP/2 with prior knowledge, and HTTP/1.1, on one port) or grpc (echo.proto). */
  protocol?: 'http1' | 'h2c' | 'grpc';
  /** Serve over TLS with these PEM files (paths): HTTPS, h2 by ALPN, or gRPC over TLS. */
  tls?: { cert: string; key: string };
}

export class TestHost {
  /** The namespace's name, for `ip netns exec`. */
  readonly namespace: string;
  /** The address processes inside the namespace listen on. */
  readonly address: string;
  /** This machine's end of the veth pair. */
  readonly gateway: string;
  private readonly processes = new Set<ChildProcess>();

  constructor(namespace: string, address: string, gateway: string) {
    this.namespace = namespace;
    this.address = address;
    this.gateway = gateway;
  }

  /** Starts `command` inside the namespace. */
  spawn(command: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** Starts the echo backend (e2e/support/backend.ts) on `port` and waits until it listens. */
  async startBackend(name: string, port = 8080, options: BackendOptions = {}): Promise<Backend> {
    const args = ['--name', name];
    if (options.protocol) args.push('--protocol', options.protocol);
    if (options.tls) args.push('--tls-cert', options.tls.cert, '--tls-key', options.tls.key);
    return this.startServer(name, backendScript, port, args);
  }

  /** Starts the test authorization service (e2e/support/authz-server.ts), gRPC or HTTP, over TLS with `tls`. */
  async startAuthorizationServer(protocol: 'grpc' | 'http', port = 9000, tls?: { cert: string; key: string }): Promise<Backend> {
    const args = ['--protocol', protocol];
    if (tls) args.push('--tls-cert', tls.cert, '--tls-key', tls.key);
    return this.startServer(`authz-${protocol}`, authzScript, port, args);
  }

  /** Runs a server script in the namespace on this host's address and waits for its `listening` line. */
  private async startServer(name: string, script: string, port: number, args: string[]): Promise<Backend> {
    const child = this.spawn(process.execPath, [script, '--port', String(port), '--host', this.address, ...args]);
    const output = new OutputTail();
    output.attach(child);
    await new Promise<void>((resolve, reject) => {
      output.onLine((line) => {
        if (line.startsWith('listening ')) resolve();
      });
      child.once('exit', (code) => {
        reject(new GiveUp(`backend ${name} exited with ${code}:\n${output.text()}`));
      });
    });
    return { name, address: this.address, port, output, stop: () => terminate(child) };
  }

  /** Stops every process started in the namespace and deletes it (and with it the veth pair). */
  async destroy(): Promise<void> {
    await Promise.all([...this.processes].map((child) => terminate(child)));
    await runOrThrow('ip', ['netns', 'delete', this.namespace]);
    live.delete(this);
  }
}

/** Creates a test host; the caller destroys it (or calls destroyTestHosts). */
export async function createTestHost(): Promise<TestHost> {
  if (process.getuid?.() !== 0) {
    throw new Error('test hosts need root (CAP_NET_ADMIN) to create network namespaces with `ip netns`');
  }
  // Spread hosts of concurrent test processes over the 8,192 /30 blocks of the test-host range.
  const block = (process.pid * 64 + created++) % (testHostBlocks.size / 4);
  const id = `${process.pid}-${created}`;
  const namespace = `${namePrefix}${id}`;
  const base = testHostBlocks.base + block * 4;
  const gateway = numberToIpv4(base + 1);
  const address = numberToIpv4(base + 2);
  const hostSide = `ph${block.toString(16)}`;
  const namespaceSide = `pn${block.toString(16)}`;
  await runOrThrow('ip', ['netns', 'add', namespace]);
  const host = new TestHost(namespace, address, gateway);
  live.add(host);
  try {
    const steps: string[][] = [
      ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', namespaceSide],
      ['link', 'set', namespaceSide, 'netns', namespace],
      ['addr', 'add', `${gateway}/30`, 'dev', hostSide],
      ['link', 'set', hostSide, 'up'],
      ['-n', namespace, 'addr', 'add', `${address}/30`, 'dev', namespaceSide],
      ['-n', namespace, 'link', 'set', namespaceSide, 'up'],
      ['-n', namespace, 'link', 'set', 'lo', 'up'],
      ['-n', namespace, 'route', 'add', 'default', 'via', gateway],
    ];
    for (const step of steps) await runOrThrow('ip', step);
    // The veth pair takes a moment to come up; wait until the namespace answers.
    await eventually(`test host ${address} to be reachable`, async () => {
      const link = await runOrThrow('ip', ['-o', 'link', 'show', hostSide]);
      return link.includes('state UP') || link.includes('LOWER_UP') ? true : undefined;
    }, 5_000, 20);
  } catch (error) {
    await host.destroy();
    throw error;
  }
  return host;
}

/** Destroys every test host this process created and has not destroyed yet. */
export async function destroyTestHosts(): Promise<void> {
  await Promise.all([...live].map((host) => host.destroy()));
}

/** Deletes namespaces left by test processes that are gone (crashed or killed runs). */
export async function removeStaleTestHosts(): Promise<void> {
  const listing = await runOrThrow('ip', ['netns', 'list']);
  for (const line of listing.split('\n')) {
    const match = /^portico-(\d+)-\d+/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isAlive(pid)) await runOrThrow('ip', ['netns', 'delete', match[0]]);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

