// What every source's translators read of the cluster besides their own objects: Services,
// their EndpointSlices and certificate Secrets, from the informers' caches. Each read has a
// name ("service:ns/name", "secret:ns/name"); a translation records the names it read, so that
// a change to one re-translates only the objects that read it and rebuilds only the
// installations whose graphs hold them.
import type { V1EndpointSlice, V1Secret, V1Service } from '@kubernetes/client-node';
import { watching, type WatchSource } from '../runtime/controller.ts';
import type { ResourceInformer } from '../runtime/informer.ts';

export const serviceRead = (namespace: string | undefined, name: string | undefined): string => `service:${namespace ?? ''}/${name ?? ''}`;
export const secretRead = (namespace: string | undefined, name: string | undefined): string => `secret:${namespace ?? ''}/${name ?? ''}`;

/** What a translator may look up. */
export interface Lookups {
  service(namespace: string, name: string): V1Service | undefined;
  endpointSlices(namespace: string, service: string): readonly V1EndpointSlice[];
  secret(namespace: string, name: string): V1Secret | undefined;
}

export interface LookupCaches {
  services: ResourceInformer<V1Service>;
  endpointSlices: ResourceInformer<V1EndpointSlice>;
  /** Certificate Secrets (kubernetes.io/tls). */
  tlsSecrets: ResourceInformer<V1Secret>;
}

const serviceOfSlice = (slice: V1EndpointSlice) => serviceRead(slice.metadata?.namespace, slice.metadata?.labels?.['kubernetes.io/service-name']);

export class ClusterLookups implements Lookups {
  readonly caches: LookupCaches;
  /** Service read → its EndpointSlices by name: a lookup per route must not scan every slice. */
  private readonly slicesByService = new Map<string, Map<string, V1EndpointSlice>>();
  private readonly listeners: Array<(read: string) => void> = [];

  constructor(caches: LookupCaches) {
    this.caches = caches;
    caches.services.onEvent((_event, service) => { this.changed(serviceRead(service.metadata?.namespace, service.metadata?.name)); });
    caches.tlsSecrets.onEvent((_event, secret) => { this.changed(secretRead(secret.metadata?.namespace, secret.metadata?.name)); });
    caches.endpointSlices.onEvent((event, slice) => {
      const service = serviceOfSlice(slice);
      const name = slice.metadata?.name ?? '';
      const slices = this.slicesByService.get(service) ?? new Map<string, V1EndpointSlice>();
      if (event === 'delete') slices.delete(name);
      else slices.set(name, slice);
      if (slices.size === 0) this.slicesByService.delete(service);
      else this.slicesByService.set(service, slices);
      this.changed(service);
    });
  }

  service(namespace: string, name: string): V1Service | undefined {
    return this.caches.services.get(name, namespace);
  }

  endpointSlices(namespace: string, service: string): readonly V1EndpointSlice[] {
    return [...(this.slicesByService.get(serviceRead(namespace, service))?.values() ?? [])];
  }

  secret(namespace: string, name: string): V1Secret | undefined {
    return this.caches.tlsSecrets.get(name, namespace);
  }

  /** Calls `listener` with the name of every read whose object changed, before any controller hears of it. */
  onChange(listener: (read: string) => void): void {
    this.listeners.push(listener);
  }

  private changed(read: string): void {
    for (const listener of this.listeners) listener(read);
  }

  /** Watches that wake the installations whose graphs read a changed Service, EndpointSlice or Secret. */
  watches(readersOf: (read: string) => string[]): WatchSource[] {
    return [
      watching(this.caches.services, (service) => readersOf(serviceRead(service.metadata?.namespace, service.metadata?.name))),
      watching(this.caches.endpointSlices, (slice) => readersOf(serviceOfSlice(slice))),
      watching(this.caches.tlsSecrets, (secret) => readersOf(secretRead(secret.metadata?.namespace, secret.metadata?.name))),
    ];
  }
}

/** Lookups that remember what they were asked for, as read names. */
export function recording(lookups: Lookups): { lookups: Lookups; reads: Set<string> } {
  const reads = new Set<string>();
  return {
    reads,
    lookups: {
      service: (namespace, name) => {
        reads.add(serviceRead(namespace, name));
        return lookups.service(namespace, name);
      },
      endpointSlices: (namespace, service) => {
        reads.add(serviceRead(namespace, service));
        return lookups.endpointSlices(namespace, service);
      },
      secret: (namespace, name) => {
        reads.add(secretRead(namespace, name));
        return lookups.secret(namespace, name);
      },
    },
  };
}
