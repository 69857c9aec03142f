// The KIngress source: which installation serves a KIngress (the one whose class its
// annotation names), and each KIngress of an installation translated alone into its fragment,
// kept until the KIngress, the installation's Knative options or something it read changes.
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Fragment } from '../../graph/fragment.ts';
import { comesFirst } from '../../installation/reconciler.ts';
import { watching, type WatchSource } from '../../runtime/controller.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import type { ClusterLookups } from '../lookups.ts';
import type { Source, SourceContext } from '../source.ts';
import { TranslationCache } from '../translations.ts';
import { ingressHash } from './hash.ts';
import { ingressKey, ingressOrigin, knativeSourceName, translateIngress, type KnativeOptions } from './translate.ts';
import { ingressClassAnnotation, type KnativeIngress } from './types.ts';

/** Everything translation reads of a KIngress, in short: a status write changes none of it. */
function translationInput(ingress: KnativeIngress): string {
  const { generation, annotations, labels, creationTimestamp } = ingress.metadata ?? {};
  return JSON.stringify([generation, annotations, labels, creationTimestamp]);
}

export class KnativeSource implements Source {
  readonly name = knativeSourceName;
  readonly ingresses: ResourceInformer<KnativeIngress>;
  private readonly clusterDomain: string;
  private readonly translations: TranslationCache<KnativeIngress>;

  constructor(ingresses: ResourceInformer<KnativeIngress>, lookups: ClusterLookups, options: Pick<KnativeOptions, 'clusterDomain'>) {
    this.ingresses = ingresses;
    this.clusterDomain = options.clusterDomain;
    this.translations = new TranslationCache(lookups, translationInput);
    ingresses.onEvent((event, ingress) => {
      if (event === 'delete') this.translations.drop(ingressKey(ingress));
    });
  }

  /** The live installation serving a class: the first, if several claim it (the others are Degraded). */
  static installationForClass(ingressClass: string | undefined, installations: readonly GatewayInstallation[]): GatewayInstallation | undefined {
    if (!ingressClass) return undefined;
    const claimants = installations.filter((installation) => installation.spec.knative.ingressClass === ingressClass && !installation.metadata?.deletionTimestamp);
    return claimants.reduce<GatewayInstallation | undefined>((first, candidate) => (!first || comesFirst(candidate, first) ? candidate : first), undefined);
  }

  watches(context: SourceContext): WatchSource[] {
    // A KIngress concerns the installation its class names now and the one that served it last;
    // only when what translation reads of it changed (every status write comes back as an event).
    const touched = (ingress: KnativeIngress) => {
      if (!this.translations.changes(ingressKey(ingress), ingress)) return [];
      const now = KnativeSource.installationForClass(ingress.metadata?.annotations?.[ingressClassAnnotation], context.installations())?.metadata?.name;
      return [...new Set([...(now === undefined ? [] : [now]), ...context.holdersOf(ingressOrigin(ingress).key)])];
    };
    return [watching(this.ingresses, touched)];
  }

  fragments(installation: GatewayInstallation, installations: readonly GatewayInstallation[]): Fragment[] {
    const name = installation.metadata?.name ?? '';
    const { ingressClass, honorHTTPOption } = installation.spec.knative;
    if (KnativeSource.installationForClass(ingressClass, installations)?.metadata?.name !== name) return [];
    const options: KnativeOptions = {
      clusterDomain: this.clusterDomain,
      honorHttpOption: honorHTTPOption,
      authorizationContext: installation.spec.externalAuthorization !== undefined,
    };
    const optionsKey = JSON.stringify(options);
    return this.ingresses
      .list()
      .filter((ingress) => ingress.metadata?.annotations?.[ingressClassAnnotation] === ingressClass)
      .map((ingress) => this.translations.fragment(ingressKey(ingress), ingress, optionsKey, (lookups) => translateIngress(ingress, ingressHash(ingress), lookups, options)));
  }
}
