// Every Gateway of a class of Portico's gets an Envoy fleet of its own in its namespace: a
// Deployment, a Service with the Gateway's ports, the bootstrap ConfigMap, a ServiceAccount
// (and its xDS client Secret), rendered from the installation its class names, with the
// installation's Service patches applied and the Gateway's spec.infrastructure labels and
// annotations carried. The Gateway owns them: deleting it deletes them (the garbage collector),
// and a Gateway no longer of Portico's has them deleted here. Level-triggered, like the
// installation reconciler.
import { createHash } from 'node:crypto';
import type { KubeConfig, KubernetesObject, V1Deployment, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { referenceOf, type KubeClient } from '../kube/client.ts';
import { Controller, watching, type ReconcileResult } from '../runtime/controller.ts';
import { ResourceInformer } from '../runtime/informer.ts';
import type { Manager } from '../runtime/manager.ts';
import { gatewayInstallation, gatewayKey, parseGatewayFleetKey } from '../sources/gateway-api/classes.ts';
import { envoyPort } from '../sources/gateway-api/listeners.ts';
import { listenerSetAllowed, listenerSetParent } from '../sources/gateway-api/listener-sets.ts';
import { gatewayApiVersion, type Gateway, type GatewayClass, type ListenerSet } from '../sources/gateway-api/types.ts';
import { ownedKinds } from './controller.ts';
import { kindKey, OwnedObjects } from './owned-objects.ts';
import { applyServicePatches } from './patches/apply.ts';
import { gatewayLabel, managedByLabels, renderGatewayFleet, type GatewayFleet, type RenderSettings } from './render.ts';
import type { XdsView } from './reconciler.ts';
import { fleetClientCredentials } from './xds-client.ts';

/** The name of a Gateway's fleet objects: portico-<gateway>, shortened with a hash to stay a DNS label. */
export function fleetName(gateway: string): string {
  const name = `portico-${gateway}`;
  if (name.length <= 52) return name;
  const hash = createHash('sha256').update(gateway).digest('hex').slice(0, 8);
  return `${name.slice(0, 43).replace(/[-.]+$/, '')}-${hash}`;
}

/** What the fleet renderer needs of a Gateway. */
export function gatewayFleet(gateway: Gateway, listenerSets: readonly ListenerSet[] = []): GatewayFleet {
  const namespace = gateway.metadata?.namespace ?? '';
  const name = gateway.metadata?.name ?? '';
  // The ports of the Gateway's listeners and of the ListenerSets it admits.
  const listeners = [...gateway.spec.listeners, ...listenerSets.flatMap((set) => set.spec.listeners)];
  const ports = [...new Set(listeners.map((listener) => listener.port))].sort((a, b) => a - b);
  const address = gateway.spec.addresses?.find((item) => (item.type ?? 'IPAddress') === 'IPAddress')?.value;
  return {
    xdsKey: gatewayKey(gateway),
    namespace,
    gatewayName: name,
    name: fleetName(name),
    ports: ports.map((port) => ({ name: `port-${port}`, port, targetPort: envoyPort(port) })),
    labels: gateway.spec.infrastructure?.labels ?? {},
    annotations: gateway.spec.infrastructure?.annotations ?? {},
    ...(address ? { loadBalancerIP: address } : {}),
  };
}

export interface FleetCaches {
  installations: ResourceInformer<GatewayInstallation>;
  gateways: ResourceInformer<Gateway>;
  gatewayClasses: ResourceInformer<GatewayClass>;
  listenerSets: ResourceInformer<ListenerSet>;
  namespaces: ResourceInformer<V1Namespace>;
}

export interface GatewayFleets {
  controller: Controller;
  owned: OwnedObjects;
  /** The fleet's Deployment and Service as cached, for the Gateway's status. */
  observed(gateway: Gateway): { deployment?: V1Deployment; service?: V1Service };
}

const fleetSelector = `${Object.entries(managedByLabels).map(([key, value]) => `${key}=${value}`).join(',')},${gatewayLabel}`;

export function registerGatewayFleets(
  manager: Manager,
  kubeConfig: KubeConfig,
  client: KubeClient,
  caches: FleetCaches,
  settings: RenderSettings,
  xds: XdsView | undefined,
  log: Logger,
): GatewayFleets {
  const informers = new Map<string, ResourceInformer>();
  for (const kind of ownedKinds.filter((candidate) => !['IngressClass', 'GatewayClass'].includes(candidate.kind))) {
    informers.set(`${kind.apiVersion}/${kind.kind}`, manager.addInformer(new ResourceInformer<KubernetesObject>(kubeConfig, { ...kind, labelSelector: fleetSelector }, log)));
  }
  const owned = new OwnedObjects(client, informers, log.child({ controller: 'gateway-fleets' }));
  const served = (gateway: Gateway) => (gateway.metadata?.deletionTimestamp ? undefined : gatewayInstallation(gateway, { get: (name) => caches.gatewayClasses.get(name) }, caches.installations.list()));

  /** The ListenerSets a Gateway admits: their ports are its Service's too. */
  const admittedSets = (gateway: Gateway) => caches.listenerSets.list().filter((set) => {
    const parent = listenerSetParent(set);
    return parent?.namespace === gateway.metadata?.namespace && parent?.name === gateway.metadata?.name
      && listenerSetAllowed(gateway, set, { namespace: (name) => caches.namespaces.get(name) });
  });

  const prune = async (namespace: string, gatewayUid: string | undefined, wanted: Set<string>) => {
    for (const informer of informers.values()) {
      for (const object of informer.list()) {
        if (object.metadata?.namespace !== namespace) continue;
        if (!object.metadata.ownerReferences?.some((owner) => owner.kind === 'Gateway' && (gatewayUid === undefined || owner.uid === gatewayUid))) continue;
        if (wanted.has(`${kindKey(object)}/${object.metadata.name ?? ''}`)) continue;
        await client.delete(referenceOf(object));
        log.info({ kind: object.kind, namespace, name: object.metadata.name }, 'deleted what the Gateway no longer needs');
      }
    }
  };

  const reconcile = async (key: string): Promise<ReconcileResult> => {
    const parsed = parseGatewayFleetKey(key);
    if (!parsed) return undefined;
    const gateway = caches.gateways.get(parsed.name, parsed.namespace);
    const installation = gateway && served(gateway);
    if (!gateway || !installation) {
      // Gone: the garbage collector deletes what it owned. No longer Portico's: delete it here.
      if (gateway) await prune(parsed.namespace, gateway.metadata?.uid, new Set());
      return undefined;
    }
    const fleet = gatewayFleet(gateway, admittedSets(gateway));
    let xdsClient;
    if (settings.xds.tlsDirectory) {
      const authority = xds?.authority();
      if (!authority) return { requeueAfterMs: 1_000 };
      const secret = informers.get('v1/Secret')?.get(`${fleet.name}-xds-client`, fleet.namespace);
      xdsClient = await fleetClientCredentials(secret, authority, fleet.xdsKey, log);
    }
    const rendered = renderGatewayFleet(installation, fleet, settings, xdsClient);
    const patched = applyServicePatches(rendered, installation.spec.service.patches);
    const owner = { apiVersion: gatewayApiVersion, kind: 'Gateway', name: parsed.name, uid: gateway.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    const desired = patched.objects.map((object) => {
      const ownedObject = structuredClone(object);
      ownedObject.metadata ??= {};
      ownedObject.metadata.ownerReferences = [owner];
      return ownedObject;
    });
    for (const problem of patched.problems) log.warn({ gateway: key, reason: problem.reason }, problem.message);
    for (const object of desired) {
      const problem = await owned.applyIfChanged(object);
      if (problem) log.warn({ gateway: key, reason: problem.reason }, problem.message);
    }
    await prune(parsed.namespace, gateway.metadata?.uid, new Set(desired.map((object) => `${kindKey(object)}/${object.metadata?.name ?? ''}`)));
    return undefined;
  };

  const allGateways = () => caches.gateways.list().map(gatewayKey);
  const gatewayOf = (object: KubernetesObject) => {
    const owner = object.metadata?.ownerReferences?.find((reference) => reference.kind === 'Gateway');
    return owner ? [`gateway/${object.metadata?.namespace ?? ''}/${owner.name}`] : [];
  };
  const controller = manager.addController(
    new Controller(
      {
        name: 'gateway-fleets',
        watches: [
          watching(caches.gateways, (gateway) => [gatewayKey(gateway)]),
          watching(caches.gatewayClasses, allGateways),
          watching(caches.installations, allGateways),
          watching(caches.listenerSets, (set) => {
            const parent = listenerSetParent(set);
            return parent ? [`gateway/${parent.namespace}/${parent.name}`] : [];
          }),
          // A namespace's labels decide which sets a Gateway with a selector admits.
          watching(caches.namespaces, () => caches.gateways.list().filter((gateway) => gateway.spec.allowedListeners?.namespaces?.from === 'Selector').map(gatewayKey)),
          ...[...informers.values()].map((informer) => watching(informer, gatewayOf)),
        ],
        listKeys: allGateways,
        reconcile,
      },
      log,
    ),
    { leaderOnly: true },
  );
  return {
    controller,
    owned,
    observed: (gateway) => {
      const fleet = gatewayFleet(gateway);
      return {
        deployment: informers.get('apps/v1/Deployment')?.get(fleet.name, fleet.namespace),
        service: informers.get('v1/Service')?.get(fleet.name, fleet.namespace),
      };
    },
  };
}
