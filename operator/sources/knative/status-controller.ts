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
import type { Graphs } from '../../graph/graphs.ts';
import { originKey } from '../../graph/origin.ts';
import { ingressStatus } from './status.ts';
import { ingressKey, knativeKind, knativeSourceName } from './translate.ts';
import { apiVersion, kind, type IngressStatus, type KnativeIngress } from './types.ts';

export interface KnativeStatusOptions {
  clusterDomain: string;
  /** The Envoys of an installation, on every replica. */
  proxies: (installation: string) => XdsObserved['proxies'];
}

export interface KnativeStatusController {
  controller: Controller;
  enqueue(key: string): void;
  /**
   * What an installation's Envoys hold changed. Only the KIngresses still waiting for them are
   * checked again, unless the Envoys themselves changed (one came, went, reconnected or
   * rejected a push): then every KIngress of the installation is.
   */
  proxiesChanged(installation: string): void;
}

/** What of an installation's Envoys can take a Ready KIngress back to not Ready. */
function proxiesFingerprint(proxies: XdsObserved['proxies']): string {
  return proxies.map((proxy) => `${proxy.nodeId}:${proxy.syncedVersion === undefined ? '-' : '+'}:${proxy.lastNack ? JSON.stringify(proxy.lastNack) : ''}`).sort().join('\n');
}

export function registerKnativeStatusController(
  manager: Manager,
  client: KubeClient,
  ingresses: ResourceInformer<KnativeIngress>,
  graphs: Graphs,
  installations: ResourceInformer<GatewayInstallation>,
  options: KnativeStatusOptions,
  log: Logger,
): KnativeStatusController {
  const statusLog = log.child({ controller: 'knative-status' });
  /** KIngresses whose last status was not Ready: an acknowledgement may make them so. */
  const waiting = new Set<string>();
  const fingerprints = new Map<string, string>();
  const reconcile = async (key: string) => {
    waiting.delete(key);
    const [namespace = '', name = ''] = key.split('/');
    const ingress = ingresses.get(name, namespace);
    const origin = originKey(knativeKind, namespace, name);
    const state = graphs.stateOf(origin);
    // Not served by any installation (another implementation's), or not built at this generation yet: the build enqueues it.
    if (!ingress || !state || state.generation !== (ingress.metadata?.generation ?? 0)) return undefined;
    const installation = installations.get(state.installation);
    if (!installation) return undefined;
    const domain = (service: string) => `${service}.${installation.spec.namespace}.svc.${options.clusterDomain}`;
    const proxies = options.proxies(state.installation).map((proxy) => ({
      nodeId: proxy.nodeId,
      // Its routes are what serve a KIngress: a proxy still catching up on other changes serves it already.
      holds: graphs.holds(state.installation, proxy.routedVersion ?? proxy.syncedVersion, origin, state.version),
      ...(proxy.lastNack ? { lastNack: proxy.lastNack } : {}),
    }));
    const computed = ingressStatus(ingress, { state, proxies, loadBalancers: { public: domain(installation.spec.service.name), private: domain(installation.spec.internalService.name) } }, new Date());
    // Compared as JSON, as stored.
    const status = JSON.parse(JSON.stringify(computed)) as IngressStatus;
    if (status.conditions?.find((condition) => condition.type === 'Ready')?.status !== 'True') waiting.add(key);
    if (isDeepStrictEqual(status, ingress.status ?? {})) return undefined;
    await client.mergePatch({ ...referenceOf(ingress), apiVersion, kind }, { status }, 'status');
    const ready = status.conditions?.find((condition) => condition.type === 'Ready');
    statusLog.info({ ingress: key, ready: ready?.status, reason: ready?.reason }, 'KIngress status updated');
    return undefined;
  };
  const controller = manager.addController(
    new Controller(
      {
        name: 'knative-status',
        watches: [watching(ingresses, (ingress) => [ingressKey(ingress)])],
        listKeys: () => ingresses.list().map(ingressKey),
        reconcile,
        // Each write waits on the apiserver: several at once, or thousands take minutes at start.
        workers: 8,
      },
      statusLog,
    ),
    { leaderOnly: true },
  );
  return {
    controller,
    enqueue: (key) => { controller.enqueue(key); },
    proxiesChanged: (installation) => {
      const fingerprint = proxiesFingerprint(options.proxies(installation));
      const every = fingerprints.get(installation) !== fingerprint;
      fingerprints.set(installation, fingerprint);
      const keys = every
        ? graphs.membersOf(installation, knativeSourceName).map((origin) => `${origin.namespace}/${origin.name}`)
        : [...waiting].filter((key) => {
            const [namespace = '', name = ''] = key.split('/');
            return graphs.stateOf(originKey(knativeKind, namespace, name))?.installation === installation;
          });
      for (const key of keys) controller.enqueue(key);
    },
  };
}
