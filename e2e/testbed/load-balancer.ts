// The test bed's load balancer, in the spirit of a cloud's: every Service of type LoadBalancer
// (without a loadBalancerClass, or with the test bed's) gets an address of the load-balancer range
// in status.loadBalancer.ingress (ipMode VIP), held by this machine, and each of its TCP ports
// forwards connections to the ready endpoints of its target port, in turn. The address a Service
// asks for (spec.loadBalancerIP) is honoured when it lies in the range; loadBalancerSourceRanges
// are enforced; a cloud's PROXY protocol annotation makes it open each connection with a PROXY
// v1 or v2 header carrying the client's address, as that cloud's load balancer would.
import type { V1Service } from '@kubernetes/client-node';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { inCidr, loadBalancerRange, numberToIpv4, parseCidr } from './addresses.ts';
import { encodeProxyHeader } from '../support/proxy-protocol.ts';

export const testBedLoadBalancerClass = 'portico.dev/testbed';

export interface EndpointSliceLike {
  metadata?: { labels?: Record<string, string>; namespace?: string };
  addressType?: string;
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

/** The PROXY protocol version a Service's annotations ask its load balancer for, on `port`. */
export function proxyProtocolVersion(service: V1Service, port: number): 1 | 2 | undefined {
  const annotations = service.metadata?.annotations ?? {};
  const applies = (value: string | undefined) => value !== undefined && (value === '*' || value === 'true' || value.split(',').map((part) => part.trim()).includes(String(port)));
  if (applies(annotations['service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2'])) return 2;
  if (applies(annotations['service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v1'])) return 1;
  if (applies(annotations['service.beta.kubernetes.io/aws-load-balancer-proxy-protocol'])) {
    // An NLB speaks version 2; a classic ELB version 1.
    return ['nlb', 'external'].includes(annotations['service.beta.kubernetes.io/aws-load-balancer-type'] ?? '') || service.spec?.loadBalancerClass === 'service.k8s.aws/nlb' ? 2 : 1;
  }
  if (annotations['service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol'] === 'true') return 1;
  const own = annotations['portico.dev/testbed-proxy-protocol'];
  if (own === 'v1') return 1;
  if (own === 'v2') return 2;
  return undefined;
}

/** Whether the test bed's load balancer serves this Service. */
export function servedHere(service: V1Service): boolean {
  return service.spec?.type === 'LoadBalancer' && (!service.spec.loadBalancerClass || service.spec.loadBalancerClass === testBedLoadBalancerClass);
}

/** Whether a client address may connect, by spec.loadBalancerSourceRanges (all when none). */
export function sourceAllowed(service: V1Service, client: string): boolean {
  const ranges = service.spec?.loadBalancerSourceRanges ?? [];
  if (ranges.length === 0) return true;
  const address = client.replace(/^::ffff:/, '');
  return ranges.some((range) => {
    try {
      return inCidr(address, range.trim());
    } catch {
      return false;
    }
  });
}

/** The ready endpoints of a Service port, from the Service's EndpointSlices. */
export function readyEndpoints(service: V1Service, portName: string | undefined, slices: readonly EndpointSliceLike[]): Array<{ address: string; port: number }> {
  const endpoints: Array<{ address: string; port: number }> = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' || slice.metadata?.labels?.['kubernetes.io/service-name'] !== service.metadata?.name) continue;
    const port = slice.ports?.find((candidate) => (candidate.name ?? '') === (portName ?? ''))?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) endpoints.push({ address, port });
    }
  }
  return endpoints.sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`));
}

/** Hands out load-balancer addresses: the one asked for when it is free and in range, else the first free one. */
export class AddressPool {
  private readonly owners = new Map<string, string>();

  /** The address of Service `key`, or an error naming why the one asked for cannot be had. */
  assign(key: string, requested: string | undefined, current: string | undefined): { address: string } | { error: string } {
    const held = [...this.owners].find(([, owner]) => owner === key)?.[0];
    if (requested) {
      if (!inCidr(requested, loadBalancerRange.cidr)) return { error: `spec.loadBalancerIP ${requested} is outside the test bed's load-balancer range ${loadBalancerRange.cidr}` };
      const owner = this.owners.get(requested);
      if (owner && owner !== key) return { error: `spec.loadBalancerIP ${requested} is already held by Service ${owner}` };
      if (held && held !== requested) this.owners.delete(held);
      this.owners.set(requested, key);
      return { address: requested };
    }
    if (held) return { address: held };
    if (current && inCidr(current, loadBalancerRange.cidr) && !this.owners.has(current)) {
      this.owners.set(current, key);
      return { address: current };
    }
    const { base, size } = parseCidr(loadBalancerRange.cidr);
    for (let offset = 1; offset < size - 1; offset++) {
      const address = numberToIpv4(base + offset);
      if (!this.owners.has(address)) {
        this.owners.set(address, key);
        return { address };
      }
    }
    return { error: `the load-balancer range ${loadBalancerRange.cidr} is exhausted` };
  }

  release(key: string): string | undefined {
    const held = [...this.owners].find(([, owner]) => owner === key)?.[0];
    if (held) this.owners.delete(held);
    return held;
  }
}

/** One listening port of a load balancer, forwarding each connection to the next ready endpoint. */
export class PortForwarder {
  private readonly server: Server;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  service: V1Service;
  endpoints: Array<{ address: string; port: number }> = [];

  readonly address: string;
  readonly port: number;
  private readonly log: Logger;

  constructor(address: string, port: number, service: V1Service, log: Logger) {
    this.address = address;
    this.port = port;
    this.log = log;
    this.service = service;
    // Half-open connections stay open: each direction ends on its own, as TCP allows.
    this.server = createServer({ allowHalfOpen: true }, (client) => { this.forward(client); });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => { resolve(); }));
  }

  private forward(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => {});
    const remote = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (!sourceAllowed(this.service, remote)) {
      this.log.debug({ client: remote, service: this.service.metadata?.name }, 'refused by loadBalancerSourceRanges');
      client.destroy();
      return;
    }
    const endpoints = this.endpoints;
    if (endpoints.length === 0) {
      client.destroy();
      return;
    }
    const target = endpoints[this.next++ % endpoints.length]!;
    client.pause();
    const upstream = createConnection({ host: target.address, port: target.port, allowHalfOpen: true });
    this.sockets.add(upstream);
    upstream.once('close', () => { this.sockets.delete(upstream); if (!client.writableEnded) client.destroy(); });
    client.once('close', () => { upstream.destroy(); });
    upstream.on('error', () => { client.destroy(); });
    upstream.once('connect', () => {
      const version = proxyProtocolVersion(this.service, this.port);
      if (version) upstream.write(encodeProxyHeader({ version, source: { address: remote, port: client.remotePort ?? 0 }, destination: { address: this.address, port: this.port } }));
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
