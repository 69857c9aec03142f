import type { KubeConfig, V1ConfigMap, V1EndpointSlice, V1Ingress, V1IngressClass, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiVersion, kind, plural, type GatewayInstallation } from './api/gatewayinstallation.ts';
import { ResourceInformer } from './runtime/informer.ts';
import type { Manager } from './runtime/manager.ts';
import * as knative from './sources/knative/types.ts';
import { gatewayApiVersion, referenceGrantApiVersion, type AnyRoute, type BackendTLSPolicy, type Gateway, type GatewayClass, type ListenerSet, type ReferenceGrant } from './sources/gateway-api/types.ts';

/** The informer caches every replica fills: what the controllers and the translators read. */
export interface Caches {
  installations: ResourceInformer<GatewayInstallation>;
  services: ResourceInformer<V1Service>;
  endpointSlices: ResourceInformer<V1EndpointSlice>;
  /** Certificate Secrets only (type kubernetes.io/tls), for the gateways' TLS. */
  tlsSecrets: ResourceInformer<V1Secret>;
  /** Knative's Ingresses; empty while Knative's CRD is not installed. */
  knativeIngresses: ResourceInformer<knative.KnativeIngress>;
  /** Kubernetes Ingresses and IngressClasses. */
  ingresses: ResourceInformer<V1Ingress>;
  ingressClasses: ResourceInformer<V1IngressClass>;
  namespaces: ResourceInformer<V1Namespace>;
  /** The Gateway API's kinds; empty while its CRDs are not installed. */
  gatewayClasses: ResourceInformer<GatewayClass>;
  gateways: ResourceInformer<Gateway>;
  /** Routes of every kind share one type: the source handles them alike and reads each by its kind. */
  httpRoutes: ResourceInformer<AnyRoute>;
  grpcRoutes: ResourceInformer<AnyRoute>;
  tlsRoutes: ResourceInformer<AnyRoute>;
  tcpRoutes: ResourceInformer<AnyRoute>;
  /** ListenerSets (the experimental channel's): empty while their CRD is not installed. */
  listenerSets: ResourceInformer<ListenerSet>;
  referenceGrants: ResourceInformer<ReferenceGrant>;
  backendTlsPolicies: ResourceInformer<BackendTLSPolicy>;
  /** ConfigMaps, for the CA certificates a Gateway validates client certificates with. */
  configMaps: ResourceInformer<V1ConfigMap>;
}

export function registerCaches(manager: Manager, kubeConfig: KubeConfig, log: Logger): Caches {
  return {
    installations: manager.addInformer(new ResourceInformer<GatewayInstallation>(kubeConfig, { apiVersion, kind, plural }, log)),
    services: manager.addInformer(new ResourceInformer<V1Service>(kubeConfig, { apiVersion: 'v1', kind: 'Service', plural: 'services' }, log)),
    endpointSlices: manager.addInformer(
      new ResourceInformer<V1EndpointSlice>(kubeConfig, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' }, log),
    ),
    tlsSecrets: manager.addInformer(
      new ResourceInformer<V1Secret>(kubeConfig, { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', fieldSelector: 'type=kubernetes.io/tls' }, log),
    ),
    knativeIngresses: manager.addInformer(
      new ResourceInformer<knative.KnativeIngress>(kubeConfig, { apiVersion: knative.apiVersion, kind: knative.kind, plural: knative.plural, optional: true }, log),
    ),
    ingresses: manager.addInformer(new ResourceInformer<V1Ingress>(kubeConfig, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' }, log)),
    ingressClasses: manager.addInformer(new ResourceInformer<V1IngressClass>(kubeConfig, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses' }, log)),
    namespaces: manager.addInformer(new ResourceInformer<V1Namespace>(kubeConfig, { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces' }, log)),
    gatewayClasses: manager.addInformer(new ResourceInformer<GatewayClass>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'GatewayClass', plural: 'gatewayclasses', optional: true }, log)),
    gateways: manager.addInformer(new ResourceInformer<Gateway>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'Gateway', plural: 'gateways', optional: true }, log)),
    httpRoutes: manager.addInformer(new ResourceInformer<AnyRoute>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'HTTPRoute', plural: 'httproutes', optional: true }, log)),
    grpcRoutes: manager.addInformer(new ResourceInformer<AnyRoute>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'GRPCRoute', plural: 'grpcroutes', optional: true }, log)),
    tlsRoutes: manager.addInformer(new ResourceInformer<AnyRoute>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'TLSRoute', plural: 'tlsroutes', optional: true }, log)),
    tcpRoutes: manager.addInformer(new ResourceInformer<AnyRoute>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'TCPRoute', plural: 'tcproutes', optional: true }, log)),
    listenerSets: manager.addInformer(new ResourceInformer<ListenerSet>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'ListenerSet', plural: 'listenersets', optional: true }, log)),
    referenceGrants: manager.addInformer(new ResourceInformer<ReferenceGrant>(kubeConfig, { apiVersion: referenceGrantApiVersion, kind: 'ReferenceGrant', plural: 'referencegrants', optional: true }, log)),
    backendTlsPolicies: manager.addInformer(new ResourceInformer<BackendTLSPolicy>(kubeConfig, { apiVersion: gatewayApiVersion, kind: 'BackendTLSPolicy', plural: 'backendtlspolicies', optional: true }, log)),
    configMaps: manager.addInformer(new ResourceInformer<V1ConfigMap>(kubeConfig, { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' }, log)),
  };
}
