// Every replica's xDS snapshots: each installation's IR translated to Envoy resources and
// set in the snapshot cache the ADS server serves from. Reads only, so it runs on every
// replica, leader or not.
import type { Logger } from 'pino';
import type { SnapshotCache } from '../../xds/cache.ts';
import { snapshotOf } from '../../xds/translate.ts';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { Controller, watching } from '../runtime/controller.ts';
import type { ResourceInformer } from '../runtime/informer.ts';
import type { Manager } from '../runtime/manager.ts';
import { installationIR } from './gateway-ir.ts';

export interface SnapshotController {
  controller: Controller;
  /** Builds every installation's snapshot now: the first full translation, before xDS serves. */
  publishAll(): void;
}

export function registerSnapshotController(manager: Manager, installations: ResourceInformer<GatewayInstallation>, cache: SnapshotCache, log: Logger): SnapshotController {
  const publish = (name: string) => {
    const installation = installations.get(name);
    if (!installation || installation.metadata?.deletionTimestamp) {
      cache.delete(name);
      return;
    }
    const snapshot = snapshotOf(installationIR(installation));
    if (cache.set(name, snapshot)) log.info({ installation: name, version: snapshot.version }, 'new xDS snapshot');
  };
  const names = () => installations.list().map((installation) => installation.metadata?.name ?? '');
  const controller = new Controller(
    {
      name: 'xds-snapshots',
      watches: [watching(installations, (installation) => [installation.metadata?.name ?? ''])],
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
