// Knative's Ingress (networking.internal.knative.dev/v1alpha1, "KIngress") as TypeScript
// types, after knative.dev/networking's pkg/apis/networking/v1alpha1. Field names are the
// API's; optional where the Go type says omitempty.
import type { KubernetesObject } from '@kubernetes/client-node';

export const group = 'networking.internal.knative.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'Ingress';
export const plural = 'ingresses';

/** The annotation that names the ingress implementation meant to serve an Ingress. */
export const ingressClassAnnotation = 'networking.knative.dev/ingress.class';
/** Kourier's opt-out of HTTP/2 to the upstream (DomainMapping with websockets). */
export const disableHttp2Annotation = 'kourier.knative.dev/disable-http2';

export type Visibility = 'ExternalIP' | 'ClusterLocal';
export type HTTPOption = 'Enabled' | 'Redirected';

export interface IngressBackendSplit {
  serviceNamespace: string;
  serviceName: string;
  servicePort: number | string;
  percent?: number;
  appendHeaders?: Record<string, string>;
}

export interface HTTPIngressPath {
  path?: string;
  rewriteHost?: string;
  /** Exact matches; an empty `exact` asks only that the header be present. */
  headers?: Record<string, { exact?: string }>;
  splits: IngressBackendSplit[];
  appendHeaders?: Record<string, string>;
}

export interface IngressRule {
  hosts?: string[];
  visibility?: Visibility;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
  secretNamespace?: string;
}

export interface IngressSpec {
  tls?: IngressTLS[];
  rules?: IngressRule[];
  httpOption?: HTTPOption;
}

export interface LoadBalancerIngressStatus {
  ip?: string;
  domain?: string;
  domainInternal?: string;
  meshOnly?: boolean;
}

export interface KnativeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  severity?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface IngressStatus {
  observedGeneration?: number;
  conditions?: KnativeCondition[];
  annotations?: Record<string, string>;
  publicLoadBalancer?: { ingress?: LoadBalancerIngressStatus[] };
  privateLoadBalancer?: { ingress?: LoadBalancerIngressStatus[] };
}

export interface KnativeIngress extends KubernetesObject {
  spec: IngressSpec;
  status?: IngressStatus;
}
