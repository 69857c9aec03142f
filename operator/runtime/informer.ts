import { KubeConfig, makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiError, KubeClient } from '../kube/client.ts';
import { PerKeyBackoff, type BackoffOptions } from './backoff.ts';

/** What an informer lists and watches. */
export interface ResourceKind {
  apiVersion: string;
  kind: string;
  /** The resource's plural name in the API path, e.g. `endpointslices`. */
  plural: string;
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `type=kubernetes.io/tls`: only the Secrets that hold certificates. */
  fieldSelector?: string;
  /**
   * The API may not serve this resource (its CRD is not installed): the cache then counts as
   * synced and empty, and keeps trying, so the objects arrive once the CRD does.
   */
  optional?: boolean;
}

/** How often an optional resource the API does not serve is looked for again. */
const absentRetryMs = 10_000;

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, object: T) => void;

/** The API path of a resource collection: /api/v1/… for the core group, /apis/<group>/<version>/… otherwise. */
export function collectionPath(resource: ResourceKind): string {
  const root = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const namespaced = resource.namespace ? `/namespaces/${resource.namespace}` : '';
  return `${root}${namespaced}/${resource.plural}`;
}

/**
 * A list-and-watch cache of one resource, on client-node's informer, that restarts itself
 * with backoff after an error (client-node's informer stops on a failed list or watch), and
 * says when its cache holds the full initial list: nothing may act on a partial cache.
 */
export class ResourceInformer<T extends KubernetesObject = KubernetesObject> {
  readonly resource: ResourceKind;
  private readonly informer: Informer<T> & ObjectCache<T>;
  private readonly log: Logger;
  private readonly backoff: PerKeyBackoff<'restart'>;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly syncWaiters: Array<() => void> = [];
  private synced = false;
  private running = false;
  /** Counts errors, so that an attempt can tell whether one happened while it ran. */
  private errors = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(kubeConfig: KubeConfig, resource: ResourceKind, log: Logger, backoff: BackoffOptions = { baseMs: 500, maxMs: 30_000 }) {
    this.resource = resource;
    this.log = log.child({ informer: this.name });
    this.backoff = new PerKeyBackoff(backoff);
    // Listed as the API's own JSON (client-node's typed list would convert objects through
    // its model classes); watch events arrive as plain JSON too.
    const client = new KubeClient(kubeConfig);
    const path = collectionPath(resource);
    // client-node's informer has no field selector argument; its watch keeps the path's query.
    const watchPath = resource.fieldSelector ? `${path}?${new URLSearchParams({ fieldSelector: resource.fieldSelector }).toString()}` : path;
    this.informer = makeInformer<T>(
      kubeConfig,
      watchPath,
      () => client.list<T>(path, { apiVersion: resource.apiVersion, kind: resource.kind, labelSelector: resource.labelSelector, fieldSelector: resource.fieldSelector }),
      resource.labelSelector,
    );
    for (const event of ['add', 'update', 'delete'] as const) {
      this.informer.on(event, (object) => { this.dispatch(event, object); });
    }
    this.informer.on('error', (error) => { this.onError(error); });
  }

  /** e.g. `endpointslices.discovery.k8s.io/v1`, `services.v1`, `services.v1 (app=x)` with a selector. */
  get name(): string {
    const selectors = [this.resource.labelSelector, this.resource.fieldSelector].filter(Boolean).join(',');
    const selector = selectors ? ` (${selectors})` : '';
    return `${this.resource.plural}.${this.resource.apiVersion}${selector}`;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  onEvent(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
    for (const waiter of this.syncWaiters.splice(0)) waiter();
  }

  /** Resolves once the initial list is in the cache (or the informer is stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private async attempt(): Promise<void> {
    const errorsBefore = this.errors;
    try {
      await this.informer.start();
    } catch (error) {
      this.onError(error);
      return;
    }
    if (this.errors !== errorsBefore || !this.running) return;
    this.backoff.forget('restart');
    if (!this.synced) {
      this.synced = true;
      this.log.info({ objects: this.informer.list().length }, 'informer synced');
      for (const waiter of this.syncWaiters.splice(0)) waiter();
    }
  }

  // Typed unknown because client-node reports list, watch and HTTP failures alike.
  private onError(error: unknown): void {
    this.errors += 1;
    if (!this.running) return;
    let delayMs = this.backoff.next('restart');
    if (this.resource.optional && error instanceof ApiError && error.status === 404) {
      delayMs = Math.min(delayMs, absentRetryMs);
      if (!this.synced) {
        this.synced = true;
        this.log.info({ retryInMs: delayMs }, 'the API does not serve this resource (is its CRD installed?); empty until it does');
        for (const waiter of this.syncWaiters.splice(0)) waiter();
      }
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => void this.attempt(), delayMs);
      return;
    }
    this.log.warn({ err: error, retryInMs: delayMs }, 'list or watch failed; restarting');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.attempt(), delayMs);
  }

  private dispatch(event: InformerEvent, object: T): void {
    for (const handler of this.handlers) handler(event, object);
  }
}
