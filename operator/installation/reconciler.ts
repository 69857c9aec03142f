// The GatewayInstallation reconciler: from an installation and the caches, make the cluster
// hold exactly what the installation owns, then say in status how it is doing. Level-triggered:
// it recomputes everything from the caches whatever woke it, and writes only what differs.
import type { KubernetesObject, V1Namespace, V1Secret } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { apiVersion as installationApiVersion, kind as installationKind, type GatewayInstallation, type GatewayInstallationStatus, type SecretReference } from '../api/gatewayinstallation.ts';
import { ApiError, referenceOf, type KubeClient } from '../kube/client.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import type { ResourceInformer } from '../runtime/informer.ts';
import { applyServicePatches } from './patches/apply.ts';
import { installationLabel, ownedNames, renderInstallation, type RenderSettings, type XdsClientCredentials } from './render.ts';
import type { KeyPair } from '../../xds/certificates.ts';
import { fleetClientCredentials } from './xds-client.ts';
import { computeStatus, type Problem, type XdsObserved } from './status.ts';
import { kindKey, OwnedObjects } from './owned-objects.ts';
import { byAge, objectAge } from '../kube/age.ts';

/** Deletes the gateway namespace the operator created, when its installation goes. */
export const namespaceFinalizer = 'portico.dev/namespace-cleanup';
export const createdByAnnotation = 'portico.dev/created-by';
/** How soon to look again for something the operator does not watch (a referenced Secret). */
const recheckMs = 5_000;

/** This replica's xDS server, as status and the client certificates need it. */
export interface XdsView {
  snapshotVersion(installation: string): string | undefined;
  proxies(installation: string): XdsObserved['proxies'];
  /** The certificate authority of mutual TLS on xDS, once loaded; undefined without TLS. */
  authority(): KeyPair | undefined;
}

export interface InstallationCaches {
  installations: ResourceInformer<GatewayInstallation>;
  namespaces: ResourceInformer<V1Namespace>;
  /** Caches of every kind an installation owns, by `apiVersion/kind`, holding objects labelled as Portico's. */
  owned: Map<string, ResourceInformer>;
}

/** The installation that decides a tie: the older one, then the one whose name sorts first. */
export function comesFirst(a: GatewayInstallation, b: GatewayInstallation): boolean {
  return byAge(objectAge(a), objectAge(b)) < 0;
}

export class InstallationReconciler {
  private readonly client: KubeClient;
  private readonly caches: InstallationCaches;
  private readonly settings: RenderSettings;
  private readonly log: Logger;
  private readonly xds: XdsView | undefined;
  private readonly objects: OwnedObjects;

  constructor(client: KubeClient, caches: InstallationCaches, settings: RenderSettings, log: Logger, xds?: XdsView) {
    this.client = client;
    this.objects = new OwnedObjects(client, caches.owned, log);
    this.caches = caches;
    this.settings = settings;
    this.log = log;
    this.xds = xds;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const installation = this.caches.installations.get(name);
    if (!installation) return;
    if (installation.metadata?.deletionTimestamp) {
      await this.finalize(installation);
      return;
    }

    const conflicts = this.conflicts(installation);
    if (conflicts.length) {
      await this.writeStatus(installation, { problems: conflicts, blocked: true });
      return;
    }

    const problems: Problem[] = [];
    let xdsClient: XdsClientCredentials | undefined;
    if (this.settings.xds.tlsDirectory) {
      const authority = this.xds?.authority();
      // Until the authority is loaded there is no client certificate, and no bootstrap without one.
      if (!authority) return { requeueAfterMs: 1_000 };
      xdsClient = await this.clientCredentials(installation, authority);
    }
    const rendered = renderInstallation(installation, this.settings, xdsClient);
    const namespaceProblem = await this.ensureNamespace(installation, rendered.namespace);
    if (namespaceProblem) {
      await this.writeStatus(installation, { problems: [namespaceProblem], blocked: true });
      return { requeueAfterMs: recheckMs };
    }
    problems.push(...(await this.checkSecrets(installation)));

    const patched = applyServicePatches(rendered.objects, installation.spec.service.patches);
    problems.push(...patched.problems);
    const desired = patched.objects.map((object) => this.ownedBy(object, installation));
    for (const object of desired) {
      const problem = await this.applyIfChanged(object);
      if (problem) problems.push(problem);
    }
    await this.prune(installation, desired);

    const deployment = desired.find((object) => object.kind === 'Deployment');
    const externalService = desired.find((object) => object.kind === 'Service' && object.metadata?.name === installation.spec.service.name);
    await this.writeStatus(installation, {
      deployment: deployment && this.cached(deployment),
      externalService: externalService && this.cached(externalService),
      problems,
      blocked: false,
    });
    return problems.some((problem) => problem.reason.startsWith('Secret')) ? { requeueAfterMs: recheckMs } : undefined;
  }

  /** The installation's xDS client certificate: the one in its Secret while it is good, a new one otherwise. */
  private clientCredentials(installation: GatewayInstallation, authority: KeyPair): Promise<XdsClientCredentials> {
    const secret: V1Secret | undefined = this.caches.owned.get('v1/Secret')?.get(ownedNames(installation).xdsClientSecret, installation.spec.namespace);
    return fleetClientCredentials(secret, authority, installation.metadata?.name ?? '', this.log);
  }

  /** Another live installation that came first and serves the same namespace or ingress class. */
  private conflicts(installation: GatewayInstallation): Problem[] {
    const problems: Problem[] = [];
    const others = this.caches.installations
      .list()
      .filter((other) => other.metadata?.name !== installation.metadata?.name && !other.metadata?.deletionTimestamp && comesFirst(other, installation));
    const sameNamespace = others.find((other) => other.spec.namespace === installation.spec.namespace);
    if (sameNamespace) {
      problems.push({
        reason: 'NamespaceConflict',
        message: `spec.namespace "${installation.spec.namespace}" is already served by GatewayInstallation "${sameNamespace.metadata?.name}"; give this installation another namespace.`,
      });
    }
    const className = installation.spec.ingress.className;
    const sameIngressClass = className === undefined ? undefined : others.find((other) => other.spec.ingress.className === className);
    if (sameIngressClass) {
      problems.push({
        reason: 'IngressClassConflict',
        message: `spec.ingress.className "${className}" is already kept by GatewayInstallation "${sameIngressClass.metadata?.name}"; give this installation another class name.`,
      });
    }
    const gatewayClassName = installation.spec.gatewayAPI.className;
    const sameGatewayClass = gatewayClassName === undefined ? undefined : others.find((other) => other.spec.gatewayAPI.className === gatewayClassName);
    if (sameGatewayClass) {
      problems.push({
        reason: 'GatewayClassConflict',
        message: `spec.gatewayAPI.className "${gatewayClassName}" is already kept by GatewayInstallation "${sameGatewayClass.metadata?.name}"; give this installation another class name.`,
      });
    }
    const sameClass = others.find((other) => other.spec.knative.ingressClass === installation.spec.knative.ingressClass);
    if (sameClass) {
      problems.push({
        reason: 'IngressClassConflict',
        message: `spec.knative.ingressClass "${installation.spec.knative.ingressClass}" is already served by GatewayInstallation "${sameClass.metadata?.name}"; give this installation another class.`,
      });
    }
    return problems;
  }

  /** Creates the gateway namespace if it is missing (finalizer first, so it is never left behind). */
  private async ensureNamespace(installation: GatewayInstallation, desired: V1Namespace): Promise<Problem | undefined> {
    const name = installation.metadata?.name ?? '';
    const namespace = this.caches.namespaces.get(installation.spec.namespace);
    if (namespace?.metadata?.deletionTimestamp) {
      return { reason: 'NamespaceTerminating', message: `Namespace "${installation.spec.namespace}" (spec.namespace) is being deleted; the gateway is installed again once it is gone.` };
    }
    const createdHere = !namespace || namespace.metadata?.annotations?.[createdByAnnotation] === name;
    if (createdHere && !installation.metadata?.finalizers?.includes(namespaceFinalizer)) {
      await this.client.mergePatch(referenceOf(installation), {
        metadata: { finalizers: [...(installation.metadata?.finalizers ?? []), namespaceFinalizer], resourceVersion: installation.metadata?.resourceVersion },
      });
    }
    if (!namespace) {
      try {
        await this.client.create(desired);
        this.log.info({ installation: name, namespace: installation.spec.namespace }, 'created the gateway namespace');
      } catch (error) {
        // Created since the cache last saw it: fine, it exists.
        if (!(error instanceof ApiError && error.status === 409)) throw error;
      }
    }
    return undefined;
  }

  private async checkSecrets(installation: GatewayInstallation): Promise<Problem[]> {
    const references: Array<[string, SecretReference | undefined, string]> = [
      ['spec.tls.secretRef', installation.spec.tls.secretRef, 'tls.crt'],
      ['spec.tls.upstreamCASecretRef', installation.spec.tls.upstreamCASecretRef, 'ca.crt'],
    ];
    const problems: Problem[] = [];
    for (const [field, reference, key] of references) {
      if (!reference) continue;
      const secret = await this.client.get<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace: reference.namespace, name: reference.name });
      if (!secret) {
        problems.push({ reason: 'SecretNotFound', message: `Secret ${reference.namespace}/${reference.name} named by ${field} does not exist; create it or change ${field}.` });
      } else if (!secret.data?.[key]) {
        problems.push({ reason: 'SecretInvalid', message: `Secret ${reference.namespace}/${reference.name} named by ${field} has no ${key}.` });
      }
    }
    return problems;
  }

  private ownedBy(object: KubernetesObject, installation: GatewayInstallation): KubernetesObject {
    const owner = {
      apiVersion: installationApiVersion,
      kind: installationKind,
      name: installation.metadata?.name ?? '',
      uid: installation.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const owned = structuredClone(object);
    owned.metadata ??= {};
    owned.metadata.ownerReferences = [owner];
    return owned;
  }

  private cached(object: KubernetesObject): KubernetesObject | undefined {
    return this.objects.cached(object);
  }

  private applyIfChanged(object: KubernetesObject): Promise<Problem | undefined> {
    return this.objects.applyIfChanged(object);
  }

  /** Deletes what the installation owned but no longer wants (a PDB switched off, a renamed Service). */
  private async prune(installation: GatewayInstallation, desired: KubernetesObject[]): Promise<void> {
    const wanted = new Set(desired.map((object) => `${kindKey(object)}/${object.metadata?.name ?? ''}`));
    for (const informer of this.caches.owned.values()) {
      // Cluster-scoped kinds (the IngressClass) have no namespace to list by.
      for (const object of informer.list().filter((object) => object.metadata?.namespace === undefined || object.metadata.namespace === installation.spec.namespace)) {
        const ownedHere = object.metadata?.ownerReferences?.some((owner) => owner.uid === installation.metadata?.uid);
        if (!ownedHere || object.metadata?.labels?.[installationLabel] !== installation.metadata?.name) continue;
        if (wanted.has(`${kindKey(object)}/${object.metadata?.name ?? ''}`)) continue;
        await this.client.delete(referenceOf(object));
        this.log.info({ kind: object.kind, namespace: object.metadata?.namespace, name: object.metadata?.name }, 'deleted what the installation no longer asks for');
      }
    }
  }

  private async finalize(installation: GatewayInstallation): Promise<void> {
    if (!installation.metadata?.finalizers?.includes(namespaceFinalizer)) return;
    const namespace = this.caches.namespaces.get(installation.spec.namespace);
    if (namespace?.metadata?.annotations?.[createdByAnnotation] === installation.metadata.name) {
      await this.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: installation.spec.namespace });
      this.log.info({ installation: installation.metadata.name, namespace: installation.spec.namespace }, 'deleted the gateway namespace it created');
    }
    await this.client.mergePatch(referenceOf(installation), {
      metadata: { finalizers: installation.metadata.finalizers.filter((finalizer) => finalizer !== namespaceFinalizer), resourceVersion: installation.metadata.resourceVersion },
    });
  }

  /** Writes the status if it differs from the one stored. */
  private async writeStatus(installation: GatewayInstallation, observed: Omit<Parameters<typeof computeStatus>[1], 'xds'>): Promise<void> {
    const name = installation.metadata?.name ?? '';
    const xds = this.xds && { snapshotVersion: this.xds.snapshotVersion(name), proxies: this.xds.proxies(name) };
    // Compared as JSON, as stored: absent and undefined fields are the same.
    const status = JSON.parse(JSON.stringify(computeStatus(installation, { ...observed, xds }, new Date()))) as GatewayInstallationStatus;
    if (isDeepStrictEqual(status, installation.status ?? {})) return;
    // A merge patch: fields the new status lacks are removed with null.
    const patch = { status: { ...status, envoy: status.envoy ?? null, addresses: status.addresses ?? null, xds: status.xds ?? null } };
    await this.client.mergePatch(referenceOf(installation), patch, 'status');
    const ready = status.conditions?.find((condition) => condition.type === 'Ready');
    this.log.info({ installation: installation.metadata?.name, ready: ready?.status, reason: ready?.reason, message: ready?.message }, 'status updated');
  }
}
