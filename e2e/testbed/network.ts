// The machine's side of the test bed's network, and each pod's network namespace.
//   - the loopback interface holds, under the label `lo:portico`, the machine's address towards
//     pods (198.18.240.1) and every load-balancer address, so that they answer on the machine and
//     to every pod (the kernel answers ARP for a local address on any interface);
//   - a blackhole route for all of 198.18.0.0/15: an address nobody holds fails at once and
//     never leaves the machine (the more specific routes of pods, test hosts and the
//     machine's own addresses win over it);
//   - a pod: its own network namespace holding its IP on `eth0`, one end of a veth pair whose
//     other end stays here with a /32 route to the pod. Inside, the only route beyond the pod
//     is 198.18.0.0/15 via the machine: a pod cannot send to any other address.
// Forwarding is on, so that pods reach each other and the test hosts through the machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { hostAddress, testRange } from './addresses.ts';
import { run, runOrThrow } from '../support/processes.ts';

const addressLabel = 'lo:portico';
const netnsPrefix = 'portico-pod-';

async function ip(...args: string[]): Promise<string> {
  return runOrThrow('ip', args);
}

/** Sets up the machine's side; idempotent. */
export async function setUpHostNetwork(): Promise<void> {
  await addHostAddress(hostAddress);
  await ip('route', 'replace', 'blackhole', testRange.cidr);
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
}

/** Removes the machine's side and every pod namespace left behind. */
export async function tearDownHostNetwork(): Promise<void> {
  await removePodNamespaces();
  await run('ip', ['addr', 'flush', 'dev', 'lo', 'label', addressLabel]);
  await run('ip', ['route', 'delete', 'blackhole', testRange.cidr]);
}

/** Adds or removes an address of the machine (a load balancer's). */
export async function addHostAddress(address: string): Promise<void> {
  const result = await run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo', 'label', addressLabel]);
  // A daemon started again finds the addresses it left: older kernels say "File exists", newer ones "already assigned".
  if (result.code !== 0 && !/File exists|already assigned/.test(result.stderr)) throw new Error(`ip addr add ${address}: ${result.stderr.trim()}`);
}

export async function removeHostAddress(address: string): Promise<void> {
  await run('ip', ['addr', 'delete', `${address}/32`, 'dev', 'lo']);
}

/** Deletes every pod network namespace (and with each its veth pair). */
export async function removePodNamespaces(): Promise<void> {
  const listing = await ip('netns', 'list');
  for (const namespace of listing.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(netnsPrefix))) {
    await run('ip', ['netns', 'delete', namespace]);
  }
}

/** A pod's network namespace and veth pair, named from its UID. */
export class PodNetwork {
  readonly namespace: string;
  readonly address: string;
  private readonly hostSide: string;

  constructor(uid: string, address: string) {
    const id = uid.replaceAll('-', '').slice(0, 12);
    this.namespace = `${netnsPrefix}${id}`;
    this.hostSide = `pv${id}`;
    this.address = address;
  }

  /** The path `nsenter --net=` takes. */
  get path(): string {
    return `/run/netns/${this.namespace}`;
  }

  async create(): Promise<void> {
    await this.destroy();
    await ip('netns', 'add', this.namespace);
    await ip('link', 'add', this.hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.namespace);
    await ip('link', 'set', this.hostSide, 'up');
    await ip('-n', this.namespace, 'link', 'set', 'lo', 'up');
    await ip('-n', this.namespace, 'addr', 'add', `${this.address}/32`, 'dev', 'eth0');
    await ip('-n', this.namespace, 'link', 'set', 'eth0', 'up');
    await ip('-n', this.namespace, 'route', 'add', hostAddress, 'dev', 'eth0', 'scope', 'link');
    await ip('-n', this.namespace, 'route', 'add', testRange.cidr, 'via', hostAddress, 'dev', 'eth0', 'src', this.address);
    await ip('route', 'replace', `${this.address}/32`, 'dev', this.hostSide, 'src', hostAddress);
  }

  /** Deletes the namespace (its end of the veth pair takes the other with it) and the route. */
  async destroy(): Promise<void> {
    await run('ip', ['netns', 'delete', this.namespace]);
    await run('ip', ['link', 'delete', this.hostSide]);
  }
}
