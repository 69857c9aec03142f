// Every replica's xDS snapshots: each installation's IR (its own listeners, and the routes of
// the KIngresses it serves) translated to Envoy resources and set in the snapshot cache the
// ADS server serves from. Reads only, so it runs on every replica, leader or not.
import type { V1EndpointSlice, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { SnapshotCache } from '../../xds/cache.ts';
import { SnapshotEncoder } from '../../xds/encoder.ts';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { Controller, watching } from '../runtime/controller.ts';
import type { ResourceInformer } from '../runtime/informer.ts';
import type { Manager } from '../runtime/manager.ts';
import type { KnativeSource } from '../sources/knative/source.ts';
import { installationIR } from './gateway-ir.ts';

export interface SnapshotController {
  controller: Controller;
  /** Builds every installation's snapshot now: the first full translation, before xDS serves. */
  publishAll(): void;
}

export interface SnapshotSources {
  knative?: KnativeSource;
  /** Called after an installation's snapshot is built, with the KIngresses whose state it changed (or all it had, when the installation is gone). */
  onBuilt?: (installation: string, ingressKeys: string[]) => void;
}

export function registerSnapshotController(
  manager: Manager,
  installations: ResourceInformer<GatewayInstallation>,
  cache: SnapshotCache,
  sources: SnapshotSources,
  log: Logger,
): SnapshotController {
  const { knative } = sources;
  // One encoder for every installation: what a build hands back unchanged is not encoded again.
  const encoder = new SnapshotEncoder();
  const publish = (name: string) => {
    const installation = installations.get(name);
    if (!installation || installation.metadata?.deletionTimestamp) {
      const members = knative?.membersOf(name) ?? [];
      cache.delete(name);
      knative?.remove(name);
      sources.onBuilt?.(name, members);
      return;
    }
    let ir = installationIR(installation);
    let changed: string[] = [];
    if (knative) ({ ir, changed } = knative.build(installation, ir, installations.list()));
    const snapshot = encoder.snapshotOf(ir);
    if (cache.set(name, snapshot)) log.info({ installation: name, version: snapshot.version }, 'new xDS snapshot');
    knative?.published(name, snapshot.version);
    sources.onBuilt?.(name, changed);
  };
  const names = () => installations.list().map((installation) => installation.metadata?.name ?? '');
  const usingService = (service: V1Service) => knative?.installationsUsing(service.metadata?.namespace, service.metadata?.name) ?? [];
  const usingSecret = (secret: V1Secret) => knative?.installationsUsingSecret(secret.metadata?.namespace, secret.metadata?.name) ?? [];
  const usingSlice = (slice: V1EndpointSlice) => knative?.installationsUsing(slice.metadata?.namespace, slice.metadata?.labels?.['kubernetes.io/service-name']) ?? [];
  const controller = new Controller(
    {
      name: 'xds-snapshots',
      watches: [
        // Installations contend for ingress classes: a change to one may hand KIngresses to another.
        watching(installations, names),
        ...(knative
          ? [
              watching(knative.caches.ingresses, (ingress) => (knative.changesTranslation(ingress) ? knative.installationsOf(ingress, installations.list()) : [])),
              watching(knative.caches.services, usingService),
              watching(knative.caches.endpointSlices, usingSlice),
              watching(knative.caches.tlsSecrets, usingSecret),
            ]
          : []),
      ],
      listKeys: names,
      reconcile: (name) => {
        publish(name);
        return Promise.resolve(undefined);
      },
    },
    log,
  );
  manager.addController(controller, { leaderOnly: false });
  return {
    controller,
    publishAll: () => {
      for (const name of names()) publish(name);
    },
  };
}
