// The leader's Ingress status writer. An Ingress has no conditions: what its installation's
// graph made of it goes to status.loadBalancer (the installation's addresses while it is served,
// none while it is not) and to Events on the Ingress (why it is not served, what of it is not:
// a missing Service or Secret, a bad or unknown annotation), each told once per generation and
// logged. Written only when it differs from the stored status.
import type { V1Ingress, V1IngressLoadBalancerIngress } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Graphs } from '../../graph/graphs.ts';
import { originKey } from '../../graph/origin.ts';
import { referenceOf, type KubeClient } from '../../kube/client.ts';
import { EventRecorder } from '../../kube/events.ts';
import { Controller, watching } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import type { Manager } from '../../runtime/manager.ts';
import { ingressController } from './classes.ts';
import { ingressKey, ingressKind, ingressSourceName } from './translate.ts';

export interface IngressStatusController {
  controller: Controller;
  enqueue(key: string): void;
}

/** The installation's addresses as an Ingress's load balancer entries. */
export function loadBalancerOf(installation: GatewayInstallation | undefined): V1IngressLoadBalancerIngress[] {
  return (installation?.status?.addresses ?? []).map((address) => (address.type === 'Hostname' ? { hostname: address.value } : { ip: address.value }));
}

export function registerIngressStatusController(
  manager: Manager,
  client: KubeClient,
  ingresses: ResourceInformer<V1Ingress>,
  graphs: Graphs,
  installations: ResourceInformer<GatewayInstallation>,
  replica: string,
  log: Logger,
): IngressStatusController {
  const statusLog = log.child({ controller: 'ingress-status' });
  const events = new EventRecorder(client, ingressController, replica, statusLog);
  const reconcile = async (key: string) => {
    const [namespace = '', name = ''] = key.split('/');
    const ingress = ingresses.get(name, namespace);
    const state = graphs.stateOf(originKey(ingressKind, namespace, name));
    if (!ingress) return undefined;
    if (!state) {
      // Served by no installation (its class went, or another controller's): an address of ours
      // it still shows was written here and is taken back; another controller's is left alone.
      // Until every installation's graph is built (after a restart), not being in one says nothing.
      const built = new Set(graphs.installations());
      if (!installations.list().every((installation) => built.has(installation.metadata?.name ?? ''))) return undefined;
      const stored = ingress.status?.loadBalancer?.ingress ?? [];
      const ours = new Set(installations.list().flatMap((installation) => loadBalancerOf(installation).map((entry) => entry.ip ?? entry.hostname)));
      if (!stored.some((entry) => ours.has(entry.ip ?? entry.hostname))) return undefined;
      await client.mergePatch({ ...referenceOf(ingress), apiVersion: 'networking.k8s.io/v1', kind: ingressKind }, { status: { loadBalancer: { ingress: [] } } }, 'status');
      statusLog.info({ ingress: key }, 'Ingress no longer served; its address removed');
      return undefined;
    }
    // Not built at this generation yet: the build enqueues it.
    if (state.generation !== (ingress.metadata?.generation ?? 0)) return undefined;
    const { outcome } = state;
    const regarding = { apiVersion: 'networking.k8s.io/v1', kind: ingressKind, namespace, name, uid: ingress.metadata?.uid ?? '' };
    const generation = state.generation;
    if (outcome.status !== 'served') {
      await events.record(regarding, generation, { type: 'Warning', reason: outcome.reason, action: 'Serve', note: outcome.message });
    }
    for (const note of state.notes) await events.record(regarding, generation, { type: 'Warning', reason: note.reason, action: 'Translate', note: note.message });
    const loadBalancer = outcome.status === 'served' ? loadBalancerOf(installations.get(state.installation)) : [];
    const stored = ingress.status?.loadBalancer?.ingress ?? [];
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(loadBalancer)), stored)) return undefined;
    await client.mergePatch({ ...referenceOf(ingress), apiVersion: 'networking.k8s.io/v1', kind: ingressKind }, { status: { loadBalancer: { ingress: loadBalancer } } }, 'status');
    statusLog.info({ ingress: key, served: outcome.status === 'served', addresses: loadBalancer.length }, 'Ingress status updated');
    return undefined;
  };
  const controller = manager.addController(
    new Controller(
      {
        name: 'ingress-status',
        watches: [
          watching(ingresses, (ingress) => [ingressKey(ingress)]),
          // The installation's addresses are its Ingresses' load balancer.
          watching(installations, (installation) => graphs.membersOf(installation.metadata?.name ?? '', ingressSourceName).map((origin) => `${origin.namespace}/${origin.name}`)),
        ],
        listKeys: () => ingresses.list().map(ingressKey),
        reconcile,
        // Each write waits on the apiserver: several at once.
        workers: 8,
      },
      statusLog,
    ),
    { leaderOnly: true },
  );
  return {
    controller,
    enqueue: (key) => { controller.enqueue(key); },
  };
}
