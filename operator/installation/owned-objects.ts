// The objects a reconciler owns, through the caches of their kinds: read one as the cache has
// it, and server-side apply one only when the cache does not already hold all of it, with the
// apiserver's refusal turned into a problem that names the object. Shared by the installation
// and the Gateway fleet reconcilers.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { ResourceInformer } from '../runtime/informer.ts';
import type { Problem } from './status.ts';
import { containsDesired } from './up-to-date.ts';

export function kindKey(object: KubernetesObject): string {
  return `${object.apiVersion ?? ''}/${object.kind ?? ''}`;
}

export class OwnedObjects {
  private readonly client: KubeClient;
  /** Caches by `apiVersion/kind`. */
  readonly informers: Map<string, ResourceInformer>;
  private readonly log: Logger;

  constructor(client: KubeClient, informers: Map<string, ResourceInformer>, log: Logger) {
    this.client = client;
    this.informers = informers;
    this.log = log;
  }

  cached(object: KubernetesObject): KubernetesObject | undefined {
    return this.informers.get(kindKey(object))?.get(object.metadata?.name ?? '', object.metadata?.namespace);
  }

  /** Server-side applies `object` unless the cached object already has all of it. */
  async applyIfChanged(object: KubernetesObject): Promise<Problem | undefined> {
    const live = this.cached(object);
    if (live && containsDesired(live, object)) return undefined;
    try {
      await this.client.apply(object);
      this.log.info({ kind: object.kind, namespace: object.metadata?.namespace, name: object.metadata?.name }, live ? 'updated' : 'created');
      return undefined;
    } catch (error) {
      // The apiserver's own words name the field it refused.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409) {
        const where = object.metadata?.namespace === undefined ? '' : `${object.metadata.namespace}/`;
        return { reason: 'ApplyRejected', message: `The apiserver refused ${object.kind} ${where}${object.metadata?.name ?? ''}: ${error.message}` };
      }
      throw error;
    }
  }
}
