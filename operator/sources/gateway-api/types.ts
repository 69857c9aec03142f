// The Gateway API kinds Portico reads (gateway.networking.k8s.io/v1), as TypeScript types: only
// the fields the translators and status writers use. The CRDs come from the Gateway API project.
import type { KubernetesObject } from '@kubernetes/client-node';

export const gatewayGroup = 'gateway.networking.k8s.io';
export const gatewayApiVersion = `${gatewayGroup}/v1`;
export const referenceGrantApiVersion = `${gatewayGroup}/v1beta1`;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface LocalObjectReference {
  group?: string;
  kind?: string;
  name: string;
}

export interface GatewayClass extends KubernetesObject {
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
    description?: string;
  };
  status?: { conditions?: Condition[]; supportedFeatures?: Array<{ name: string }> };
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: {
    mode?: 'Terminate' | 'Passthrough';
    certificateRefs?: SecretObjectReference[];
    options?: Record<string, string>;
  };
  allowedRoutes?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector };
    kinds?: RouteGroupKind[];
  };
}

/** How an HTTPS listener checks client certificates (spec.tls.frontend). */
export interface FrontendTLSConfig {
  validation?: {
    caCertificateRefs?: Array<{ group?: string; kind?: string; name: string; namespace?: string }>;
    mode?: 'AllowValidOnly' | 'AllowInsecureFallback';
  };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface Gateway extends KubernetesObject {
  spec: {
    gatewayClassName: string;
    listeners: GatewayListener[];
    addresses?: Array<{ type?: string; value?: string }>;
    infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string>; parametersRef?: LocalObjectReference };
    tls?: {
      frontend?: { default?: FrontendTLSConfig; perPort?: Array<{ port: number; tls: FrontendTLSConfig }> };
      /** The Gateway as a TLS client of its backends: the certificate it shows them. */
      backend?: { clientCertificateRef?: SecretObjectReference };
    };
    /** Which ListenerSets may add listeners to the Gateway (none unless said). */
    allowedListeners?: { namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector } };
  };
  status?: { addresses?: Array<{ type?: string; value: string }>; conditions?: Condition[]; listeners?: ListenerStatus[]; attachedListenerSets?: number };
}

/** Listeners added to a Gateway from another object (and namespace), routes attaching to them by naming the set. */
export interface ListenerSet extends KubernetesObject {
  spec: {
    parentRef: { group?: string; kind?: string; namespace?: string; name: string };
    listeners: GatewayListener[];
  };
  status?: { conditions?: Condition[]; listeners?: ListenerStatus[] };
}

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  /** RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef, or a type a newer API adds. */
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: { scheme?: string; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  requestMirror?: { backendRef: BackendObjectReference; percent?: number; fraction?: { numerator: number; denominator?: number } };
  extensionRef?: LocalObjectReference;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  queryParams?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  method?: string;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { codes?: number[]; attempts?: number; backoff?: string };
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface HTTPRoute extends KubernetesObject {
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}

/** A GRPCRoute's method match: the service and method of the request's path (/service/method). */
export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression';
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
}

/** RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef (as HTTPRoute's). */
export type GRPCRouteFilter = Pick<HTTPRouteFilter, 'type' | 'requestHeaderModifier' | 'responseHeaderModifier' | 'requestMirror' | 'extensionRef'>;

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: Array<BackendObjectReference & { weight?: number; filters?: GRPCRouteFilter[] }>;
}

export interface GRPCRoute extends KubernetesObject {
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: GRPCRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}

/** A TCPRoute's or TLSRoute's one rule: where the connection's bytes go. */
export interface StreamRouteRule {
  name?: string;
  backendRefs?: Array<BackendObjectReference & { weight?: number }>;
}

/** TCPRoute (on TCP listeners) and TLSRoute (on TLS listeners, by SNI: `hostnames`). */
export interface StreamRoute extends KubernetesObject {
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules: StreamRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}

export type TCPRoute = StreamRoute;
export type TLSRoute = StreamRoute;

/** The route kinds Portico serves. */
export const routeKinds = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'] as const;
export type RouteKind = (typeof routeKinds)[number];
export type AnyRoute = HTTPRoute | GRPCRoute | StreamRoute;

/** How the Gateway speaks TLS to a Service's ports: the CA certificates and names it checks the backend's certificate against. */
export interface BackendTLSPolicy extends KubernetesObject {
  spec: {
    targetRefs: Array<{ group: string; kind: string; name: string; sectionName?: string }>;
    validation: {
      caCertificateRefs?: Array<{ group: string; kind: string; name: string }>;
      wellKnownCACertificates?: string;
      /** The SNI sent, and the name checked unless subjectAltNames are given. */
      hostname: string;
      subjectAltNames?: Array<{ type: 'Hostname' | 'URI'; hostname?: string; uri?: string }>;
    };
    options?: Record<string, string>;
  };
  status?: { ancestors?: PolicyAncestorStatus[] };
}

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface ReferenceGrant extends KubernetesObject {
  spec: {
    from: Array<{ group: string; kind: string; namespace: string }>;
    to: Array<{ group: string; kind: string; name?: string }>;
  };
}
