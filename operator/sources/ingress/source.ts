// The Ingress source: which installation serves an Ingress (the one its IngressClass names),
// each Ingress translated alone into its fragment, kept until the Ingress, its canaries or
// something it read changes. Canary Ingresses (ingress-nginx's canary annotation) claim
// nothing themselves: each canary path is folded into the route of the Ingress that serves the
// same host and path (the oldest, when several do), and a canary with no such path is told so.
import type { V1Ingress, V1IngressClass } from '@kubernetes/client-node';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Fragment, Note } from '../../graph/fragment.ts';
import { byAge, objectAge } from '../../kube/age.ts';
import { watching, type WatchSource } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import type { ClusterLookups, Lookups } from '../lookups.ts';
import type { Source, SourceContext } from '../source.ts';
import { TranslationCache } from '../translations.ts';
import { readAnnotations } from './annotations.ts';
import { servingInstallation } from './classes.ts';
import { routeSettings } from './route-settings.ts';
import { canaryPathKey, ingressKey, ingressOrigin, ingressSourceName, translateIngress, type CanaryPath, type IngressFragment } from './translate.ts';

/** Everything translation reads of an Ingress besides its spec (generation stands for that): a status write changes none of it. */
function translationInput(ingress: V1Ingress): string {
  const { generation, annotations, creationTimestamp } = ingress.metadata ?? {};
  return JSON.stringify([generation, annotations, creationTimestamp]);
}

export interface IngressSourceOptions {
  clusterDomain: string;
}

export class IngressSource implements Source {
  readonly name = ingressSourceName;
  private readonly ingresses: ResourceInformer<V1Ingress>;
  private readonly classes: ResourceInformer<V1IngressClass>;
  private readonly options: IngressSourceOptions;
  private readonly translations: TranslationCache<V1Ingress>;

  constructor(ingresses: ResourceInformer<V1Ingress>, classes: ResourceInformer<V1IngressClass>, lookups: ClusterLookups, options: IngressSourceOptions) {
    this.ingresses = ingresses;
    this.classes = classes;
    this.options = options;
    this.translations = new TranslationCache(lookups, translationInput);
    ingresses.onEvent((event, ingress) => {
      if (event === 'delete') this.translations.drop(ingressKey(ingress));
    });
  }

  private installationOf(ingress: V1Ingress, installations: readonly GatewayInstallation[]): string | undefined {
    return servingInstallation(ingress, { get: (name) => this.classes.get(name), list: () => this.classes.list() }, installations);
  }

  watches(context: SourceContext): WatchSource[] {
    // An Ingress concerns the installation its class names now and the one that served it last.
    const touched = (ingress: V1Ingress) => {
      if (!this.translations.changes(ingressKey(ingress), ingress)) return [];
      const now = this.installationOf(ingress, context.installations());
      return [...new Set([...(now === undefined ? [] : [now]), ...context.holdersOf(ingressOrigin(ingress).key)])];
    };
    // A class that comes, goes or changes may move any Ingress: every installation looks again.
    const everyInstallation = () => context.installations().map((installation) => installation.metadata?.name ?? '');
    return [watching(this.ingresses, touched), watching(this.classes, everyInstallation)];
  }

  fragments(installation: GatewayInstallation, installations: readonly GatewayInstallation[]): Fragment[] {
    const name = installation.metadata?.name ?? '';
    const served = this.ingresses.list().filter((ingress) => this.installationOf(ingress, installations) === name);
    const canaries = served.filter(isCanary).sort((a, b) => byAge(objectAge(a), objectAge(b)));
    const primaries = served.filter((ingress) => !isCanary(ingress));
    const { byPrimary, canaryNotes } = assignCanaries(primaries, canaries);
    const options = JSON.stringify(this.options);
    return [
      ...primaries.map((ingress) => {
        const key = ingressKey(ingress);
        const mine = byPrimary.get(key) ?? [];
        return this.translations.fragment(key, ingress, JSON.stringify([options, mine]), (lookups) => translateAnnotated(ingress, lookups, mine, this.options.clusterDomain));
      }),
      ...canaries.map((ingress) => {
        const key = ingressKey(ingress);
        const notes = canaryNotes.get(key) ?? [];
        return this.translations.fragment(key, ingress, JSON.stringify(notes), () => canaryFragment(ingress, notes));
      }),
    ];
  }
}

/** Whether an Ingress is a canary, remembered per cached object (the informer replaces an object that changes). */
const canaryFlags = new WeakMap<V1Ingress, boolean>();
export function isCanary(ingress: V1Ingress): boolean {
  let flag = canaryFlags.get(ingress);
  if (flag === undefined) {
    flag = readAnnotations(ingress.metadata?.annotations).settings.canary !== undefined;
    canaryFlags.set(ingress, flag);
  }
  return flag;
}

/** An Ingress with what its annotations ask, translated: the annotations' problems and unknown names become notes. */
export function translateAnnotated(ingress: V1Ingress, lookups: Lookups, canaries: readonly CanaryPath[], clusterDomain: string): IngressFragment {
  const { settings, problems, unknown } = readAnnotations(ingress.metadata?.annotations);
  const routes = routeSettings(settings, ingress.metadata?.namespace ?? '', lookups, clusterDomain);
  const notes: Note[] = [
    ...problems.map((problem) => ({
      reason: 'InvalidAnnotation',
      message: `metadata.annotations: ${problem.message}; ${settings.denied?.includes(problem.annotation) ? 'until it is fixed, every path of the Ingress answers 503 rather than go unguarded' : 'the annotation is ignored'}`,
    })),
    ...routes.notes,
    ...unknown.map((annotation) => ({ reason: 'UnknownAnnotation', message: `metadata.annotations["${annotation}"]: Portico does not read this annotation; it has no effect` })),
  ];
  return translateIngress(ingress, lookups, routes.settings, canaries, notes);
}

/** A canary Ingress claims nothing itself: its paths are served by their primary's routes. */
export function canaryFragment(ingress: V1Ingress, notes: readonly Note[]): IngressFragment {
  const generation = ingress.metadata?.generation ?? 0;
  return { origin: ingressOrigin(ingress), generation, version: String(generation), ...(notes.length ? { notes: [...notes] } : {}), listeners: [], hosts: [], clusters: [], secrets: [], tlsChains: [] };
}

/**
 * Each canary path to the primary Ingress that serves the same host, path type and path (the
 * oldest such Ingress, as the graph would let it keep the path); one canary per path, the oldest.
 */
export function assignCanaries(primaries: readonly V1Ingress[], canaries: readonly V1Ingress[]): { byPrimary: Map<string, CanaryPath[]>; canaryNotes: Map<string, Note[]> } {
  const owners = new Map<string, V1Ingress>();
  for (const primary of [...primaries].sort((a, b) => byAge(objectAge(a), objectAge(b)))) {
    for (const rule of primary.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const key = canaryPathKey(rule.host ?? '', path.pathType, path.path ?? '/');
        if (!owners.has(key)) owners.set(key, primary);
      }
    }
  }
  const byPrimary = new Map<string, CanaryPath[]>();
  const canaryNotes = new Map<string, Note[]>();
  const taken = new Map<string, string>();
  for (const canary of canaries) {
    const settings = readAnnotations(canary.metadata?.annotations).settings.canary;
    if (!settings) continue;
    const notes: Note[] = [];
    const canaryKey = ingressKey(canary);
    for (const [ruleIndex, rule] of (canary.spec?.rules ?? []).entries()) {
      for (const [pathIndex, path] of (rule.http?.paths ?? []).entries()) {
        const field = `spec.rules[${ruleIndex}].http.paths[${pathIndex}]`;
        const key = canaryPathKey(rule.host ?? '', path.pathType, path.path ?? '/');
        const owner = owners.get(key);
        const where = `host "${rule.host || '*'}" ${path.pathType} path "${path.path ?? '/'}"`;
        if (!owner) {
          notes.push({ reason: 'CanaryWithoutPrimary', message: `${field}: no Ingress of this class serves ${where}, so the canary takes none of its traffic` });
          continue;
        }
        const holder = taken.get(key);
        if (holder) {
          notes.push({ reason: 'CanaryConflict', message: `${field}: ${where} already has the canary Ingress ${holder}; a path takes one canary` });
          continue;
        }
        taken.set(key, canaryKey);
        const primaryKey = ingressKey(owner);
        byPrimary.set(primaryKey, [
          ...(byPrimary.get(primaryKey) ?? []),
          {
            host: rule.host ?? '',
            pathType: path.pathType,
            path: path.path ?? '/',
            canary: canary.metadata?.name ?? '',
            namespace: canary.metadata?.namespace ?? '',
            backend: path.backend,
            ...settings,
          },
        ]);
      }
    }
    if (notes.length) canaryNotes.set(canaryKey, notes);
  }
  return { byPrimary, canaryNotes };
}
