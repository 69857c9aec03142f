// The leader's KIngress status writer: for each KIngress an installation serves (or refuses),
// the status its last build and its Envoys' acknowledgements call for, written only when it
// differs from the stored one.
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { referenceOf, type KubeClient } from '../../kube/client.ts';
import { Controller, watching } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import type { Manager } from '../../runtime/manager.ts';
import type { XdsObserved } from '../../installation/status.ts';
import type { KnativeSource } from './source.ts';
import { ingressStatus } from './status.ts';
import { ingressKey } from './translate.ts';
import { apiVersion, kind, type IngressStatus } from './types.ts';

export interface KnativeStatusOptions {
  clusterDomain: string;
  /** The Envoys of an installation, on every replica. */
  proxies: (installation: string) => XdsObserved['proxies'];
}

export function registerKnativeStatusController(
  manager: Manager,
  client: KubeClient,
  knative: KnativeSource,
  installations: ResourceInformer<GatewayInstallation>,
  options: KnativeStatusOptions,
  log: Logger,
): Controller {
  const statusLog = log.child({ controller: 'knative-status' });
  const reconcile = async (key: string) => {
    const [namespace = '', name = ''] = key.split('/');
    const ingress = knative.caches.ingresses.get(name, namespace);
    const state = knative.stateOf(key);
    // Not served by any installation (another implementation's), or not built at this generation yet: the build enqueues it.
    if (!ingress || !state || state.generation !== (ingress.metadata?.generation ?? 0)) return undefined;
    const installation = installations.get(state.installation);
    if (!installation) return undefined;
    const domain = (service: string) => `${service}.${installation.spec.namespace}.svc.${options.clusterDomain}`;
    const proxies = options.proxies(state.installation).map((proxy) => ({
      nodeId: proxy.nodeId,
      holds: knative.holds(state.installation, proxy.syncedVersion, key, state.hash),
      ...(proxy.lastNack ? { lastNack: proxy.lastNack } : {}),
    }));
    const computed = ingressStatus(ingress, { state, proxies, loadBalancers: { public: domain(installation.spec.service.name), private: domain(installation.spec.internalService.name) } }, new Date());
    // Compared as JSON, as stored.
    const status = JSON.parse(JSON.stringify(computed)) as IngressStatus;
    if (isDeepStrictEqual(status, ingress.status ?? {})) return undefined;
    await client.mergePatch({ ...referenceOf(ingress), apiVersion, kind }, { status }, 'status');
    const ready = status.conditions?.find((condition) => condition.type === 'Ready');
    statusLog.info({ ingress: key, ready: ready?.status, reason: ready?.reason }, 'KIngress status updated');
    return undefined;
  };
  return manager.addController(
    new Controller(
      {
        name: 'knative-status',
        watches: [watching(knative.caches.ingresses, (ingress) => [ingressKey(ingress)])],
        listKeys: () => knative.caches.ingresses.list().map(ingressKey),
        reconcile,
      },
      statusLog,
    ),
    { leaderOnly: true },
  );
}
