import type { KubeConfig, V1Service, V1EndpointSlice } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ResourceInformer } from './runtime/informer.ts';
import type { Manager } from './runtime/manager.ts';

/** The informer caches the operator reads from; the translators of later stages read these. */
export interface Caches {
  services: ResourceInformer<V1Service>;
  endpointSlices: ResourceInformer<V1EndpointSlice>;
}

export function registerCaches(manager: Manager, kubeConfig: KubeConfig, log: Logger): Caches {
  return {
    services: manager.addInformer(new ResourceInformer<V1Service>(kubeConfig, { apiVersion: 'v1', kind: 'Service', plural: 'services' }, log)),
    endpointSlices: manager.addInformer(
      new ResourceInformer<V1EndpointSlice>(kubeConfig, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' }, log),
    ),
  };
}
