// Wires the GatewayInstallation reconciler to its caches: installations, namespaces, and
// every kind an installation owns (so a deleted or edited object is put back within seconds).
import type { KubeConfig, KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import type { KubeClient } from '../kube/client.ts';
import { Controller, watching } from '../runtime/controller.ts';
import { ResourceInformer, type ResourceKind } from '../runtime/informer.ts';
import type { Manager } from '../runtime/manager.ts';
import { installationLabel, managedByLabels, type RenderSettings } from './render.ts';
import { createdByAnnotation, InstallationReconciler, type InstallationCaches, type XdsView } from './reconciler.ts';

export const ownedKinds: Array<Omit<ResourceKind, 'labelSelector'>> = [
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  // Cluster-scoped: the class an installation asks for in spec.ingress.className.
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses' },
  // Cluster-scoped: the class of spec.gatewayAPI.className; its CRD may not be installed.
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', plural: 'gatewayclasses', optional: true },
];

// Only objects labelled as an installation's are cached, not every Service in the cluster.
const ownedSelector = `${Object.entries(managedByLabels).map(([key, value]) => `${key}=${value}`).join(',')},${installationLabel}`;

export interface InstallationControllerOptions {
  render: RenderSettings;
  resyncPeriodMs: number;
  /** The xDS view: this replica's snapshots, and the proxies connected to every replica, for ConfigSynced. */
  xds?: XdsView;
}

export function registerInstallationController(
  manager: Manager,
  kubeConfig: KubeConfig,
  client: KubeClient,
  installations: ResourceInformer<GatewayInstallation>,
  namespaces: ResourceInformer<V1Namespace>,
  options: InstallationControllerOptions,
  log: Logger,
): Controller {
  const owned = new Map<string, ResourceInformer>();
  for (const ownedKind of ownedKinds) {
    const informer = manager.addInformer(new ResourceInformer<KubernetesObject>(kubeConfig, { ...ownedKind, labelSelector: ownedSelector }, log));
    owned.set(`${ownedKind.apiVersion}/${ownedKind.kind}`, informer);
  }
  const caches: InstallationCaches = { installations, namespaces, owned };
  const reconciler = new InstallationReconciler(client, caches, options.render, log.child({ controller: 'installation' }), options.xds);
  const allInstallations = () => installations.list().map((installation) => installation.metadata?.name ?? '');
  const ownerOf = (object: KubernetesObject) => {
    const owner = object.metadata?.labels?.[installationLabel];
    return owner ? [owner] : [];
  };

  return manager.addController(
    new Controller(
      {
        name: 'installation',
        watches: [
          // Installations contend for namespaces and ingress classes: a change to one may unblock another.
          watching(installations, allInstallations),
          watching(namespaces, (namespace) => {
            const creator = namespace.metadata?.annotations?.[createdByAnnotation];
            return creator ? [creator] : [];
          }),
          ...[...owned.values()].map((informer) => watching(informer, ownerOf)),
        ],
        listKeys: allInstallations,
        reconcile: (name) => reconciler.reconcile(name),
        resyncPeriodMs: options.resyncPeriodMs,
      },
      log,
    ),
    { leaderOnly: true },
  );
}
