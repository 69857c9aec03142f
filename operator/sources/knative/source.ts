// The KIngress source, on every replica: which installation serves a KIngress (its class),
// each installation's KIngresses translated into its IR, what became of each, and which
// snapshot versions hold which version of a KIngress, for status.
import type { V1EndpointSlice, V1Secret, V1Service } from '@kubernetes/client-node';
import type { GatewayIR, SecretIR, TlsChainIR } from '../../../xds/ir.ts';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { externalAuthorizationCluster, httpsListeners } from '../../installation/gateway-ir.ts';
import { comesFirst } from '../../installation/reconciler.ts';
import { tlsSecret } from '../tls-secret.ts';
import type { ResourceInformer } from '../../runtime/informer.ts';
import { assemble, type IngressOutcome } from './assemble.ts';
import { ingressHash } from './hash.ts';
import { ingressKey, translateIngress, type IngressResult, type KnativeLookups, type KnativeOptions } from './translate.ts';
import { ingressClassAnnotation, type KnativeIngress } from './types.ts';

/** What the last build of an installation made of one of its KIngresses. */
export interface IngressState {
  installation: string;
  generation: number;
  hash: string;
  outcome: IngressOutcome;
}

/** How many snapshot versions per installation are remembered: proxies a few pushes behind still count. */
const versionsKept = 32;

/** A KIngress translated, kept until the KIngress, the options or something it looked up changes. */
interface Translation {
  /** The cache's object it was made from: the informer replaces the object on every change. */
  ingress: KnativeIngress;
  /** What of the object the translation reads besides the spec (generation stands for the spec). */
  input: string;
  options: string;
  hash: string;
  result: IngressResult;
  /** Services (namespace/name) and Secrets (secret:namespace/name) it looked up. */
  uses: Set<string>;
}

/** What a build made, and which KIngresses' states it changed (added, removed, or different). */
export interface Build {
  ir: GatewayIR;
  changed: string[];
}

/** Everything translation reads of a KIngress, in short: a status write changes none of it. */
function translationInput(ingress: KnativeIngress): string {
  const { generation, annotations, labels, creationTimestamp } = ingress.metadata ?? {};
  return JSON.stringify([generation, annotations, labels, creationTimestamp]);
}

const serviceKey = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;
const secretKey = (namespace: string | undefined, name: string | undefined) => `secret:${namespace ?? ''}/${name ?? ''}`;
const serviceOfSlice = (slice: V1EndpointSlice) => serviceKey(slice.metadata?.namespace, slice.metadata?.labels?.['kubernetes.io/service-name']);

function sameState(a: IngressState | undefined, b: IngressState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.installation === b.installation && a.generation === b.generation && a.hash === b.hash && JSON.stringify(a.outcome) === JSON.stringify(b.outcome);
}

export interface KnativeSourceCaches {
  ingresses: ResourceInformer<KnativeIngress>;
  services: ResourceInformer<V1Service>;
  endpointSlices: ResourceInformer<V1EndpointSlice>;
  /** Certificate Secrets (kubernetes.io/tls). */
  tlsSecrets: ResourceInformer<V1Secret>;
}

export class KnativeSource {
  readonly caches: KnativeSourceCaches;
  private readonly options: Omit<KnativeOptions, 'honorHttpOption'>;
  private readonly lookups: KnativeLookups;
  private readonly states = new Map<string, IngressState>();
  /** installation → the KIngress keys of its last build. */
  private readonly members = new Map<string, Set<string>>();
  /** namespace/service (or secret:namespace/name) → installations whose last build used it. */
  private readonly users = new Map<string, Set<string>>();
  /** installation → what its last build used: the keys of `users` it is in. */
  private readonly uses = new Map<string, Set<string>>();
  /** installation → snapshot version → KIngress key → hash it holds. */
  private readonly versions = new Map<string, Map<string, Map<string, string>>>();
  /** KIngress key → its translation; a change to the KIngress or to what it used drops it. */
  private readonly translations = new Map<string, Translation>();
  /** Service or Secret key → the KIngresses whose translation used it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** Service key → its EndpointSlices by name: a lookup per route must not scan every slice. */
  private readonly slicesByService = new Map<string, Map<string, V1EndpointSlice>>();

  constructor(caches: KnativeSourceCaches, options: Omit<KnativeOptions, 'honorHttpOption'>) {
    this.caches = caches;
    this.options = options;
    this.lookups = {
      service: (namespace, name) => caches.services.get(name, namespace),
      endpointSlices: (namespace, service) => [...(this.slicesByService.get(serviceKey(namespace, service))?.values() ?? [])],
      secret: (namespace, name) => caches.tlsSecrets.get(name, namespace),
    };
    caches.services.onEvent((_event, service) => { this.invalidate(serviceKey(service.metadata?.namespace, service.metadata?.name)); });
    caches.tlsSecrets.onEvent((_event, secret) => { this.invalidate(secretKey(secret.metadata?.namespace, secret.metadata?.name)); });
    caches.endpointSlices.onEvent((event, slice) => {
      const service = serviceOfSlice(slice);
      const name = slice.metadata?.name ?? '';
      const slices = this.slicesByService.get(service) ?? new Map<string, V1EndpointSlice>();
      if (event === 'delete') slices.delete(name);
      else slices.set(name, slice);
      if (slices.size === 0) this.slicesByService.delete(service);
      else this.slicesByService.set(service, slices);
      this.invalidate(service);
    });
    caches.ingresses.onEvent((event, ingress) => {
      if (event === 'delete') this.dropTranslation(ingressKey(ingress));
    });
  }

  /** Drops the translations that used a Service or Secret that changed. */
  private invalidate(used: string): void {
    for (const key of [...(this.dependents.get(used) ?? [])]) this.dropTranslation(key);
  }

  private dropTranslation(key: string): void {
    const translation = this.translations.get(key);
    if (!translation) return;
    this.translations.delete(key);
    for (const used of translation.uses) {
      const dependents = this.dependents.get(used);
      dependents?.delete(key);
      if (dependents?.size === 0) this.dependents.delete(used);
    }
  }

  /** The KIngress translated with `options`: the kept translation if nothing it depends on changed. */
  private translation(ingress: KnativeIngress, options: KnativeOptions, optionsKey: string): Translation {
    const key = ingressKey(ingress);
    const kept = this.translations.get(key);
    if (kept && kept.options === optionsKey && (kept.ingress === ingress || kept.input === translationInput(ingress))) {
      kept.ingress = ingress;
      return kept;
    }
    this.dropTranslation(key);
    const uses = new Set<string>();
    const lookups: KnativeLookups = {
      service: (namespace, service) => {
        uses.add(serviceKey(namespace, service));
        return this.lookups.service(namespace, service);
      },
      endpointSlices: (namespace, service) => {
        uses.add(serviceKey(namespace, service));
        return this.lookups.endpointSlices(namespace, service);
      },
      secret: (namespace, secret) => {
        uses.add(secretKey(namespace, secret));
        return this.lookups.secret(namespace, secret);
      },
    };
    const hash = ingressHash(ingress);
    const translation: Translation = { ingress, input: translationInput(ingress), options: optionsKey, hash, result: translateIngress(ingress, hash, lookups, options), uses };
    this.translations.set(key, translation);
    for (const used of uses) {
      const dependents = this.dependents.get(used) ?? new Set<string>();
      dependents.add(key);
      this.dependents.set(used, dependents);
    }
    return translation;
  }

  /** The live installation serving a class: the first, if several claim it (the others are Degraded). */
  static installationForClass(ingressClass: string | undefined, installations: readonly GatewayInstallation[]): GatewayInstallation | undefined {
    if (!ingressClass) return undefined;
    const claimants = installations.filter((installation) => installation.spec.knative.ingressClass === ingressClass && !installation.metadata?.deletionTimestamp);
    return claimants.reduce<GatewayInstallation | undefined>((first, candidate) => (!first || comesFirst(candidate, first) ? candidate : first), undefined);
  }

  /** The installations a KIngress concerns: the one its class names now and the one that served it last. */
  installationsOf(ingress: KnativeIngress, installations: readonly GatewayInstallation[]): string[] {
    const now = KnativeSource.installationForClass(ingress.metadata?.annotations?.[ingressClassAnnotation], installations)?.metadata?.name;
    const before = this.states.get(ingressKey(ingress))?.installation;
    return [...new Set([now, before].filter((name): name is string => name !== undefined))];
  }

  /** The installations whose routes use a Service (or its EndpointSlices). */
  installationsUsing(namespace: string | undefined, service: string | undefined): string[] {
    return [...(this.users.get(serviceKey(namespace, service)) ?? [])];
  }

  /** The installations whose certificates come from a Secret. */
  installationsUsingSecret(namespace: string | undefined, name: string | undefined): string[] {
    return [...(this.users.get(secretKey(namespace, name)) ?? [])];
  }

  /**
   * Whether a KIngress event may change a build: not when only its status changed (every status
   * write the operator makes comes back as an event).
   */
  changesTranslation(ingress: KnativeIngress): boolean {
    const kept = this.translations.get(ingressKey(ingress));
    return kept === undefined || kept.input !== translationInput(ingress);
  }

  /** The KIngress keys an installation served (or refused) in its last build. */
  membersOf(installation: string): string[] {
    return [...(this.members.get(installation) ?? [])];
  }

  stateOf(key: string): IngressState | undefined {
    return this.states.get(key);
  }

  /** The installation's IR with its KIngresses in it; remembers what became of each. */
  build(installation: GatewayInstallation, base: GatewayIR, installations: readonly GatewayInstallation[]): Build {
    const name = installation.metadata?.name ?? '';
    const served = KnativeSource.installationForClass(installation.spec.knative.ingressClass, installations)?.metadata?.name === name;
    const mine = served
      ? this.caches.ingresses.list().filter((ingress) => ingress.metadata?.annotations?.[ingressClassAnnotation] === installation.spec.knative.ingressClass)
      : [];
    const options: KnativeOptions = {
      ...this.options,
      honorHttpOption: installation.spec.knative.honorHTTPOption,
      authorizationContext: installation.spec.externalAuthorization !== undefined,
    };
    const optionsKey = JSON.stringify(options);
    const used = new Set<string>();
    const entries = mine.map((ingress) => {
      const translation = this.translation(ingress, options, optionsKey);
      for (const item of translation.uses) used.add(item);
      return { ingress, hash: translation.hash, key: ingressKey(ingress), createdAt: String(ingress.metadata?.creationTimestamp ?? ''), result: translation.result };
    });
    const { ir, outcomes, tlsChains } = assemble(base, entries);
    // The installation's default certificate answers every name no KIngress certificate claims.
    const secrets: SecretIR[] = [...(ir.secrets ?? [])];
    const external: TlsChainIR[] = [...tlsChains.external];
    const reference = installation.spec.tls.secretRef;
    const secret = (namespace: string, secretName: string) => {
      used.add(secretKey(namespace, secretName));
      return this.lookups.secret(namespace, secretName);
    };
    if (reference) {
      const result = tlsSecret(secret(reference.namespace, reference.name), reference.namespace, reference.name);
      if ('secret' in result) {
        if (!secrets.some((item) => item.name === result.secret.name)) secrets.push(result.secret);
        external.push({ serverNames: [], secret: result.secret.name });
      }
    }
    const listeners = [...ir.listeners, ...httpsListeners(installation, { external, internal: tlsChains.internal })];
    // An https authorization service is verified with the installation's upstream authority.
    const authority = installation.spec.tls.upstreamCASecretRef;
    const ca = authority && installation.spec.externalAuthorization?.protocol === 'https' ? secret(authority.namespace, authority.name)?.data?.['ca.crt'] : undefined;
    const clusters = ca
      ? ir.clusters.map((cluster) => (cluster.name === externalAuthorizationCluster && cluster.tls ? { ...cluster, tls: { ...cluster.tls, ca: Buffer.from(ca, 'base64').toString() } } : cluster))
      : ir.clusters;

    const before = new Map([...(this.members.get(name) ?? [])].map((key) => [key, this.states.get(key)]));
    this.forget(name);
    const members = new Set<string>();
    const changed: string[] = [];
    for (const entry of entries) {
      const outcome = outcomes.get(entry.key);
      if (!outcome) continue;
      members.add(entry.key);
      const state: IngressState = { installation: name, generation: entry.ingress.metadata?.generation ?? 0, hash: entry.hash, outcome };
      if (!sameState(before.get(entry.key), state)) changed.push(entry.key);
      this.states.set(entry.key, state);
    }
    for (const key of before.keys()) if (!members.has(key)) changed.push(key);
    this.members.set(name, members);
    for (const service of used) {
      const users = this.users.get(service) ?? new Set<string>();
      users.add(name);
      this.users.set(service, users);
    }
    this.uses.set(name, used);
    return { ir: { ...ir, listeners, clusters, ...(secrets.length ? { secrets: secrets.sort((a, b) => (a.name < b.name ? -1 : 1)) } : {}) }, changed };
  }

  /** Records that the installation's snapshot `version` holds its KIngresses as last built. */
  published(installation: string, version: string): void {
    const held = new Map<string, string>();
    for (const key of this.members.get(installation) ?? []) {
      const state = this.states.get(key);
      if (state?.outcome.served) held.set(key, state.hash);
    }
    const versions = this.versions.get(installation) ?? new Map<string, Map<string, string>>();
    versions.delete(version); // re-inserted as the newest
    versions.set(version, held);
    while (versions.size > versionsKept) versions.delete(versions.keys().next().value!);
    this.versions.set(installation, versions);
  }

  /** Whether snapshot `version` of the installation serves the KIngress at `hash`. */
  holds(installation: string, version: string | undefined, key: string, hash: string): boolean {
    return version !== undefined && this.versions.get(installation)?.get(version)?.get(key) === hash;
  }

  /** Drops what the installation's last build left: its KIngresses' states and its Service uses. */
  forget(installation: string): void {
    for (const key of this.members.get(installation) ?? []) {
      if (this.states.get(key)?.installation === installation) this.states.delete(key);
    }
    this.members.delete(installation);
    // Only what this installation used, not every Service in the index.
    for (const service of this.uses.get(installation) ?? []) {
      const users = this.users.get(service);
      users?.delete(installation);
      if (users?.size === 0) this.users.delete(service);
    }
    this.uses.delete(installation);
  }

  /** Forgets everything of a deleted installation, versions too. */
  remove(installation: string): void {
    this.forget(installation);
    this.versions.delete(installation);
  }
}
