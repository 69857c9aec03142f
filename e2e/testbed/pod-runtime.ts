// The pod runtime: watches the pods bound to the kwok nodes and runs, as real processes, those
// whose every image the table knows (images.ts), once kwok has given them an IP; every other pod
// stays kwok's fake. It keeps their volumes current as the ConfigMaps, Secrets and tokens they
// hold change, serves their logs through kwok's Logs objects, and writes their status.
import type { KubeConfig, V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { ApiError, KubeClient, referenceOf } from '../../operator/kube/client.ts';
import { ResourceInformer } from '../../operator/runtime/informer.ts';
import { runsForReal } from './images.ts';
import { removePodNamespaces } from './network.ts';
import { RuntimePod } from './pod.ts';

const tokenRefreshCheckMs = 30_000;

interface CachedToken {
  token: string;
  renewAt: number;
}

export class PodRuntime {
  private readonly pods: ResourceInformer<V1Pod>;
  private readonly configMaps: ResourceInformer<V1ConfigMap>;
  private readonly secrets: ResourceInformer<V1Secret>;
  private readonly services: ResourceInformer<V1Service>;
  private readonly running = new Map<string, RuntimePod>();
  /** Pods stopped and deleted by the runtime whose deletion the watch has not shown yet. */
  private readonly finished = new Set<string>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly client: KubeClient;
  private timer: NodeJS.Timeout | undefined;

  private readonly log: Logger;
  private readonly stateDirectory: string;
  private readonly logDirectory: string;

  constructor(kubeConfig: KubeConfig, log: Logger, stateDirectory: string, logDirectory: string) {
    this.log = log;
    this.stateDirectory = stateDirectory;
    this.logDirectory = logDirectory;
    this.client = new KubeClient(kubeConfig, 'portico-testbed');
    this.pods = new ResourceInformer<V1Pod>(kubeConfig, { apiVersion: 'v1', kind: 'Pod', plural: 'pods' }, log);
    this.configMaps = new ResourceInformer<V1ConfigMap>(kubeConfig, { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' }, log);
    this.secrets = new ResourceInformer<V1Secret>(kubeConfig, { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' }, log);
    this.services = new ResourceInformer<V1Service>(kubeConfig, { apiVersion: 'v1', kind: 'Service', plural: 'services', namespace: 'default' }, log);
  }

  async start(): Promise<void> {
    // Whatever an earlier runtime left is gone with it: its processes died with it.
    await removePodNamespaces();
    rmSync(`${this.stateDirectory}/pods`, { recursive: true, force: true });
    mkdirSync(this.stateDirectory, { recursive: true });
    mkdirSync(this.logDirectory, { recursive: true });
    for (const informer of [this.configMaps, this.secrets, this.services, this.pods]) informer.start();
    await Promise.all([this.configMaps, this.secrets, this.services].map((informer) => informer.waitForSync()));
    this.pods.onEvent((event, pod) => { this.onPod(event, pod); });
    const refresh = (object: V1ConfigMap | V1Secret) => {
      for (const pod of this.running.values()) if (pod.mounts(object.metadata?.namespace ?? '', object.metadata?.name ?? '')) void pod.refreshVolumes();
    };
    this.configMaps.onEvent((_event, object) => { refresh(object); });
    this.secrets.onEvent((_event, object) => { refresh(object); });
    await this.pods.waitForSync();
    for (const pod of this.pods.list()) this.onPod('add', pod);
    // Tokens are renewed before they expire, as the kubelet renews them (at 80% of their life).
    this.timer = setInterval(() => { for (const pod of this.running.values()) void pod.refreshVolumes(); }, tokenRefreshCheckMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const informer of [this.pods, this.configMaps, this.secrets, this.services]) await informer.stop();
    // Every process stops with the runtime, at once: the cluster is going away with it.
    await Promise.all([...this.running.values()].map((pod) => pod.kill()));
  }

  private onPod(event: 'add' | 'update' | 'delete', pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}/${pod.metadata?.uid}`;
    const existing = this.running.get(key);
    if (event === 'delete') {
      this.finished.delete(key);
      // Gone without the runtime's say (a forced deletion): stop its processes at once.
      if (existing) {
        this.running.delete(key);
        void existing.kill();
      }
      return;
    }
    if (existing) {
      existing.update(pod);
      return;
    }
    // A pod the runtime has stopped and deleted is not started again by the events still to come for it.
    if (this.finished.has(key)) return;
    if (!pod.spec?.nodeName || !pod.status?.podIP || !runsForReal(pod) || pod.spec.hostNetwork) return;
    if (['Succeeded', 'Failed'].includes(pod.status.phase ?? '')) return;
    const runtimePod = new RuntimePod(pod, {
      log: this.log,
      stateDirectory: this.stateDirectory,
      logDirectory: this.logDirectory,
      baseEnvironment: this.baseEnvironment(),
      environment: {
        configMap: (namespace, name) => text(this.configMapData(namespace, name)),
        secret: (namespace, name) => text(this.secretData(namespace, name)),
      },
      volumes: {
        configMap: (namespace, name) => this.configMapData(namespace, name),
        secret: (namespace, name) => this.secretData(namespace, name),
        token: (owner, audience, expirationSeconds) => this.tokens.get(tokenKey(owner, audience, expirationSeconds))?.token ?? '',
      },
      prepareTokens: (owner) => this.prepareTokens(owner),
      writeStatus: async (owner, status) => {
        try {
          await this.client.mergePatch(referenceOf({ apiVersion: 'v1', kind: 'Pod', metadata: owner.metadata }), { status }, 'status');
        } catch (error) {
          // A pod already gone has no status to write.
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        }
      },
      publishLogs: async (owner, files) => {
        await this.client.apply({
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'Logs',
          metadata: { name: owner.metadata?.name, namespace: owner.metadata?.namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '' }] },
          spec: { logs: files.map((file) => ({ containers: [file.container], logsFile: file.current, previousLogsFile: file.previous, follow: true })) },
        } as never);
      },
      remove: async (owner) => {
        this.running.delete(key);
        this.finished.add(key);
        await this.client.delete(referenceOf({ apiVersion: 'v1', kind: 'Pod', metadata: owner.metadata }), 'Background', { gracePeriodSeconds: 0, uid: owner.metadata?.uid ?? '' });
      },
    });
    this.running.set(key, runtimePod);
    this.log.info({ pod: key, podIP: pod.status.podIP }, 'running pod');
    void runtimePod.start();
  }

  /** A ConfigMap's data and binaryData, as bytes. */
  private configMapData(namespace: string, name: string): Record<string, Buffer> | undefined {
    const configMap = this.configMaps.get(name, namespace);
    if (!configMap) return undefined;
    return {
      ...Object.fromEntries(Object.entries(configMap.data ?? {}).map(([key, value]) => [key, Buffer.from(value)])),
      ...Object.fromEntries(Object.entries(configMap.binaryData ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    };
  }

  /** A Secret's data, decoded. */
  private secretData(namespace: string, name: string): Record<string, Buffer> | undefined {
    const secret = this.secrets.get(name, namespace);
    return secret ? Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])) : undefined;
  }

  /** What the kubelet gives every container: where the apiserver's Service is. */
  private baseEnvironment(): Record<string, string> {
    const kubernetes = this.services.get('kubernetes', 'default');
    const port = kubernetes?.spec?.ports?.find((candidate) => candidate.name === 'https')?.port;
    if (!kubernetes?.spec?.clusterIP || !port) return {};
    return { KUBERNETES_SERVICE_HOST: kubernetes.spec.clusterIP, KUBERNETES_SERVICE_PORT: String(port), KUBERNETES_SERVICE_PORT_HTTPS: String(port), KUBERNETES_PORT: `tcp://${kubernetes.spec.clusterIP}:${port}` };
  }

  /** Requests (or renews at 80% of their life) the ServiceAccount tokens a pod's projected volumes hold. */
  private async prepareTokens(pod: V1Pod): Promise<void> {
    for (const volume of pod.spec?.volumes ?? []) {
      for (const source of volume.projected?.sources ?? []) {
        if (!source.serviceAccountToken) continue;
        const { audience, expirationSeconds = 3607 } = source.serviceAccountToken;
        const key = tokenKey(pod, audience, expirationSeconds);
        const cached = this.tokens.get(key);
        if (cached && cached.renewAt > Date.now()) continue;
        const answer = await this.client.createSubresource<{ status: { token: string; expirationTimestamp: string } }>(
          { apiVersion: 'v1', kind: 'ServiceAccount', namespace: pod.metadata?.namespace, name: pod.spec?.serviceAccountName ?? 'default' },
          'token',
          { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: audience ? [audience] : [], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } } },
        );
        const lifeMs = new Date(answer.status.expirationTimestamp).getTime() - Date.now();
        this.tokens.set(key, { token: answer.status.token, renewAt: Date.now() + lifeMs * 0.8 });
      }
    }
  }
}

function text(data: Record<string, Buffer> | undefined): Record<string, string> | undefined {
  return data ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.toString()])) : undefined;
}

function tokenKey(pod: V1Pod, audience: string | undefined, expirationSeconds: number): string {
  return `${pod.metadata?.uid}/${audience ?? ''}/${expirationSeconds}`;
}
