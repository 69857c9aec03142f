// What a source is to the rest of the operator: it watches its kinds, translates each object
// alone into a fragment (graph/fragment.ts), and says which installations an event of its
// kinds touches. The snapshot controller composes any number of sources and knows none by name.
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import type { Fragment } from '../graph/fragment.ts';
import type { WatchSource } from '../runtime/controller.ts';

/** What a source may ask of the graphs when it maps an event to installations. */
export interface SourceContext {
  /** The installations whose graph holds the object now (by origin key). */
  holdersOf(originKey: string): string[];
  installations(): readonly GatewayInstallation[];
}

export interface Source {
  /** Names the source in origins and logs, e.g. "knative". */
  readonly name: string;
  /** Watches of the source's own kinds, each event mapped to the installations it may change. */
  watches(context: SourceContext): WatchSource[];
  /** One fragment per object of this source the installation serves; the kept one where nothing changed. */
  fragments(installation: GatewayInstallation, installations: readonly GatewayInstallation[]): readonly Fragment[];
}
