// Every replica's xDS snapshots: each installation's routing graph (its own part, then the
// fragments of every source) put into Envoy's resources and set in the snapshot cache the ADS
// server serves from. Composes any number of sources and knows none by name. Reads only, so
// it runs on every replica, leader or not.
import type { Logger } from 'pino';
import type { SnapshotCache } from '../../xds/cache.ts';
import { SnapshotEncoder } from '../../xds/encoder.ts';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import type { Graphs } from '../graph/graphs.ts';
import { installationPart, type InstallationPart } from '../graph/installation.ts';
import type { Origin } from '../graph/origin.ts';
import { Controller, watching } from '../runtime/controller.ts';
import type { ResourceInformer } from '../runtime/informer.ts';
import type { Manager } from '../runtime/manager.ts';
import type { ClusterLookups } from '../sources/lookups.ts';
import type { Source } from '../sources/source.ts';
import type { FleetSource } from '../sources/gateway-api/source.ts';

export interface SnapshotController {
  controller: Controller;
  /** Builds every installation's snapshot now: the first full translation, before xDS serves. */
  publishAll(): void;
}

export interface SnapshotSources {
  sources: readonly Source[];
  graphs: Graphs;
  lookups: ClusterLookups;
  /** Fleets of their own (a Gateway's), each with its graph and snapshots, rendered from an installation's settings. */
  fleets?: FleetSource & { fleetsOf(installation: string, installations: readonly GatewayInstallation[]): string[] };
  /** Called after an installation's (or fleet's) snapshot is built, with the objects whose state it changed (or all it had, when it is gone). */
  onBuilt?: (installation: string, changed: Origin[]) => void;
}

export function registerSnapshotController(
  manager: Manager,
  installations: ResourceInformer<GatewayInstallation>,
  cache: SnapshotCache,
  { sources, graphs, lookups, fleets, onBuilt }: SnapshotSources,
  log: Logger,
): SnapshotController {
  // One encoder for every installation: what a build hands back unchanged is not encoded again.
  const encoder = new SnapshotEncoder();
  /** The installation's part, kept while the installation object is the same: its graph then skips it. */
  const parts = new Map<string, { installation: GatewayInstallation; reads: string; part: InstallationPart }>();
  const publishFleet = (key: string) => {
    const built = fleets?.build(key, installations.list());
    if (!built) {
      const held = graphs.remove(key);
      cache.delete(key);
      onBuilt?.(key, held);
      return;
    }
    const { ir, changed } = graphs.build(key, built.part, built.fragments);
    const snapshot = encoder.snapshotOf(ir);
    if (cache.set(key, snapshot)) log.info({ fleet: key, version: snapshot.version }, 'new xDS snapshot');
    graphs.published(key, snapshot.version);
    onBuilt?.(key, changed);
  };
  const publish = (name: string) => {
    if (fleets?.owns(name)) {
      publishFleet(name);
      return;
    }
    const installation = installations.get(name);
    if (!installation || installation.metadata?.deletionTimestamp) {
      const held = graphs.remove(name);
      parts.delete(name);
      cache.delete(name);
      onBuilt?.(name, held);
      return;
    }
    const part = installationPart(installation, lookups);
    const kept = parts.get(name);
    // Besides the installation, a part depends only on the Secrets it read: its certificate and CA.
    const reads = JSON.stringify([part.secrets, part.clusters]);
    const stable = kept && kept.installation === installation && kept.reads === reads ? kept.part : part;
    parts.set(name, { installation, reads, part: stable });
    const all = installations.list();
    const fragments = sources.flatMap((source) => source.fragments(installation, all));
    const { ir, changed } = graphs.build(name, stable, fragments);
    const snapshot = encoder.snapshotOf(ir);
    if (cache.set(name, snapshot)) log.info({ installation: name, version: snapshot.version }, 'new xDS snapshot');
    graphs.published(name, snapshot.version);
    onBuilt?.(name, changed);
  };
  const names = () => [...installations.list().map((installation) => installation.metadata?.name ?? ''), ...(fleets?.keys(installations.list()) ?? [])];
  const context = { holdersOf: (key: string) => graphs.holdersOf(key), installations: () => installations.list() };
  const controller = new Controller(
    {
      name: 'xds-snapshots',
      watches: [
        // Installations contend for classes: a change to one may hand objects to another. Its
        // Gateways' fleets take its settings.
        watching(installations, (installation) => [...names(), ...(fleets?.fleetsOf(installation.metadata?.name ?? '', installations.list()) ?? [])]),
        ...(fleets ? fleets.watches({ ...context, readersOf: (read: string) => graphs.readersOf(read) }) : []),
        ...lookups.watches((read) => graphs.readersOf(read)),
        ...sources.flatMap((source) => source.watches(context)),
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
