// Keeps the test bed's load balancers: for each Service it serves (load-balancer.ts), an address
// on this machine, a forwarder per TCP port, and the address in the Service's status; a Service
// whose address cannot be had is told why in an Event, as a cloud's controller tells it.
import type { KubeConfig, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeClient, referenceOf } from '../../operator/kube/client.ts';
import { ResourceInformer } from '../../operator/runtime/informer.ts';
import { Controller, objectKey, watching } from '../../operator/runtime/controller.ts';
import { AddressPool, PortForwarder, readyEndpoints, servedHere, type EndpointSliceLike } from './load-balancer.ts';
import { addHostAddress, removeHostAddress } from './network.ts';

interface Balancer {
  address: string;
  forwarders: Map<number, PortForwarder>;
}

export class LoadBalancerController {
  private readonly services: ResourceInformer<V1Service>;
  private readonly slices: ResourceInformer<EndpointSliceLike & { metadata?: { name?: string } }>;
  private readonly client: KubeClient;
  private readonly pool = new AddressPool();
  private readonly balancers = new Map<string, Balancer>();
  private readonly controller: Controller;
  private readonly lastEvents = new Map<string, string>();

  private readonly log: Logger;

  constructor(kubeConfig: KubeConfig, log: Logger) {
    this.log = log;
    this.client = new KubeClient(kubeConfig, 'portico-testbed');
    this.services = new ResourceInformer<V1Service>(kubeConfig, { apiVersion: 'v1', kind: 'Service', plural: 'services' }, log);
    this.slices = new ResourceInformer(kubeConfig, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' }, log);
    this.controller = new Controller({
      name: 'testbed-load-balancer',
      watches: [
        watching(this.services, (service) => [objectKey(service)]),
        watching(this.slices, (slice) => {
          const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
          return name ? [`${slice.metadata?.namespace}/${name}`] : [];
        }),
      ],
      reconcile: (key) => this.reconcile(key),
      listKeys: () => [...new Set([...this.services.list().map(objectKey), ...this.balancers.keys()])],
    }, log);
  }

  async start(): Promise<void> {
    this.services.start();
    this.slices.start();
    await this.controller.run();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([this.services.stop(), this.slices.stop()]);
    for (const key of [...this.balancers.keys()]) await this.release(key);
  }

  private async reconcile(key: string): Promise<undefined> {
    const [namespace = '', name = ''] = key.split('/');
    const service = this.services.get(name, namespace);
    if (!service || !servedHere(service) || service.metadata?.deletionTimestamp) {
      await this.release(key);
      return undefined;
    }
    const current = service.status?.loadBalancer?.ingress?.[0]?.ip;
    const assigned = this.pool.assign(key, service.spec?.loadBalancerIP, current);
    if ('error' in assigned) {
      await this.release(key);
      await this.event(service, 'SyncLoadBalancerFailed', assigned.error);
      return undefined;
    }
    this.lastEvents.delete(key);
    let balancer = this.balancers.get(key);
    if (balancer && balancer.address !== assigned.address) {
      await this.closeForwarders(balancer);
      await removeHostAddress(balancer.address);
      balancer = undefined;
    }
    if (!balancer) {
      await addHostAddress(assigned.address);
      balancer = { address: assigned.address, forwarders: new Map() };
      this.balancers.set(key, balancer);
      this.log.info({ service: key, address: assigned.address }, 'load balancer address assigned');
    }
    const slices = this.slices.list(namespace);
    const ports = (service.spec?.ports ?? []).filter((port) => (port.protocol ?? 'TCP') === 'TCP');
    for (const [port, forwarder] of balancer.forwarders) {
      if (!ports.some((candidate) => candidate.port === port)) {
        await forwarder.close();
        balancer.forwarders.delete(port);
      }
    }
    for (const port of ports) {
      let forwarder = balancer.forwarders.get(port.port);
      if (!forwarder) {
        forwarder = new PortForwarder(balancer.address, port.port, service, this.log);
        await forwarder.listen();
        balancer.forwarders.set(port.port, forwarder);
      }
      forwarder.service = service;
      forwarder.endpoints = readyEndpoints(service, port.name, slices);
    }
    if (current !== balancer.address || service.status?.loadBalancer?.ingress?.length !== 1 || service.status.loadBalancer.ingress[0]?.ipMode !== 'VIP') {
      await this.client.mergePatch(referenceOf({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }), { status: { loadBalancer: { ingress: [{ ip: balancer.address, ipMode: 'VIP' }] } } }, 'status');
    }
    return undefined;
  }

  private async closeForwarders(balancer: Balancer): Promise<void> {
    await Promise.all([...balancer.forwarders.values()].map((forwarder) => forwarder.close()));
    balancer.forwarders.clear();
  }

  private async release(key: string): Promise<void> {
    const balancer = this.balancers.get(key);
    this.pool.release(key);
    if (!balancer) return;
    this.balancers.delete(key);
    await this.closeForwarders(balancer);
    await removeHostAddress(balancer.address);
    const [namespace = '', name = ''] = key.split('/');
    const service = this.services.get(name, namespace);
    // A Service that stays but is no longer ours (its type changed) loses the address in its status.
    if (service?.status?.loadBalancer?.ingress?.some((ingress) => ingress.ip === balancer.address)) {
      await this.client.mergePatch(referenceOf({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }), { status: { loadBalancer: { ingress: null } } }, 'status');
    }
    this.log.info({ service: key, address: balancer.address }, 'load balancer released');
  }

  private async event(service: V1Service, reason: string, message: string): Promise<void> {
    // Once per distinct failure: the controller looks again on every endpoint change.
    const key = objectKey(service);
    if (this.lastEvents.get(key) === message) return;
    this.lastEvents.set(key, message);
    this.log.warn({ service: objectKey(service), reason }, message);
    const now = new Date().toISOString();
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${service.metadata?.name}.${Date.now().toString(16)}`, namespace: service.metadata?.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Service', name: service.metadata?.name, namespace: service.metadata?.namespace, uid: service.metadata?.uid },
      reason,
      message,
      type: 'Warning',
      source: { component: 'testbed-load-balancer' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } as never).catch((error: unknown) => { this.log.warn({ err: error }, 'event not written'); });
  }
}
