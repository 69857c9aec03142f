// A small JSON client for the writes the operator makes: server-side apply, status and
// metadata patches, deletes. client-node's generic object API converts objects through its
// model classes, which renames and drops fields of objects it does not model exactly
// (CRD schemas, for one); the operator sends and receives the API's own JSON instead, with
// client-node's KubeConfig for the connection and credentials.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { apiWrites } from '../runtime/metrics.ts';
import { objectPath, type ObjectReference } from './resources.ts';

export const fieldManager = 'portico';

/** An error answer of the apiserver, with its Status fields. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: unknown;

  constructor(method: string, path: string, status: number, body: { message?: string; reason?: string; details?: unknown }) {
    super(`${method} ${path}: ${status} ${body.reason ?? ''}: ${body.message ?? ''}`.trim());
    this.status = status;
    this.reason = body.reason ?? '';
    this.details = body.details;
  }
}

export function referenceOf(object: KubernetesObject): ObjectReference {
  return { apiVersion: object.apiVersion ?? '', kind: object.kind ?? '', namespace: object.metadata?.namespace, name: object.metadata?.name ?? '' };
}

/** The resource a request path addresses (`leases`, `gatewayinstallations/status`). */
export function resourceOfPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const afterNamespace = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return afterNamespace.length > 2 ? `${afterNamespace[0]}/${afterNamespace[2]}` : (afterNamespace[0] ?? '');
}

export class KubeClient {
  private readonly kubeConfig: KubeConfig;
  private readonly manager: string;

  /** `manager`: the field manager of every write (the test bed's controllers write as their own). */
  constructor(kubeConfig: KubeConfig, manager = fieldManager) {
    this.kubeConfig = kubeConfig;
    this.manager = manager;
  }

  /** Server-side apply as field manager `portico`, taking over fields others set (force). */
  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    const path = `${objectPath(referenceOf(object))}?fieldManager=${this.manager}&force=true`;
    return this.send<T>('PATCH', path, object, 'application/apply-patch+yaml');
  }

  async create<T extends KubernetesObject>(object: T): Promise<T> {
    const reference = referenceOf(object);
    const path = objectPath(reference).replace(/\/[^/]+$/, '');
    return this.send<T>('POST', `${path}?fieldManager=${this.manager}`, object);
  }

  /** Replaces the object (PUT); its metadata.resourceVersion makes the write conditional. */
  async replace<T extends KubernetesObject>(object: T): Promise<T> {
    return this.send<T>('PUT', `${objectPath(referenceOf(object))}?fieldManager=${this.manager}`, object);
  }

  /** The object, or undefined if it does not exist. */
  async get<T extends KubernetesObject>(reference: ObjectReference): Promise<T | undefined> {
    try {
      return await this.send<T>('GET', objectPath(reference));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Lists a collection (e.g. /api/v1/services), every page of it, with apiVersion and kind set on each item. */
  async list<T extends KubernetesObject>(path: string, options: { apiVersion: string; kind: string; labelSelector?: string; fieldSelector?: string }): Promise<KubernetesListObject<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
      if (continueToken) query.set('continue', continueToken);
      const page = await this.send<{ metadata?: { resourceVersion?: string; continue?: string }; items: T[] }>('GET', `${path}?${query.toString()}`);
      // List items carry no apiVersion and kind; watch events do. Make them alike.
      for (const item of page.items) {
        item.apiVersion = options.apiVersion;
        item.kind = options.kind;
        items.push(item);
      }
      continueToken = page.metadata?.continue;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (continueToken);
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
  }

  /** A JSON merge patch of the object (or of its status subresource). */
  async mergePatch<T extends KubernetesObject>(reference: ObjectReference, patch: object, subresource?: 'status'): Promise<T> {
    const path = `${objectPath(reference)}${subresource ? `/${subresource}` : ''}?fieldManager=${this.manager}`;
    return this.send<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** Deletes the object; an object already gone is not an error. */
  async delete(reference: ObjectReference, propagationPolicy: 'Background' | 'Foreground' = 'Background', options: { gracePeriodSeconds?: number; uid?: string } = {}): Promise<void> {
    const preconditions = options.uid ? { preconditions: { uid: options.uid } } : {};
    const grace = options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds };
    try {
      await this.send('DELETE', objectPath(reference), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy, ...grace, ...preconditions });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }

  /** POSTs to a subresource (a ServiceAccount's `token`, say) and returns the answer. */
  async createSubresource<T>(reference: ObjectReference, subresource: string, body: object): Promise<T> {
    return this.send<T>('POST', `${objectPath(reference)}/${subresource}`, body);
  }

  private async send<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no cluster');
    const url = new URL(path, cluster.server);
    const headers: OutgoingHttpHeaders = { accept: 'application/json' };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const options: RequestOptions = { method, headers };
    // Adds the server's CA, client certificate or bearer token.
    await this.kubeConfig.applyToHTTPSOptions(options);
    // Counted by resource, e.g. deployments or leases, from the path: /api(s)/…/<resource>[/<name>[/<subresource>]].
    if (method !== 'GET') apiWrites.inc({ method, resource: resourceOfPath(url.pathname) });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = send(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(payload);
    });
    if (status >= 400) {
      // Errors are usually a Status object; a path the apiserver does not serve answers plain text ("404 page not found").
      let body: { message?: string; reason?: string } = { message: text.trim() };
      try {
        body = JSON.parse(text) as { message?: string; reason?: string };
      } catch {
        // keep the text
      }
      throw new ApiError(method, path, status, body);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
