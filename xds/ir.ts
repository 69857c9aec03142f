// The routing model of one installation, between the sources (installation, Knative
// Ingress, Ingress, Gateway API) and Envoy's resources. Plain data: translators build it,
// xds/translate turns it into Envoy resources.

/** How a listener's HTTP connection manager behaves: the installation's network settings. */
export interface HttpOptionsIR {
  /** Seconds a stream may stay idle; 0 turns the timeout off. */
  streamIdleTimeoutSeconds?: number;
  /** Seconds a connection with no streams may stay open. */
  idleTimeoutSeconds?: number;
  /** Trusted proxies in front of Envoy, for X-Forwarded-For. */
  trustedHops?: number;
  /** Take the client's address from the connection (or PROXY protocol), not from X-Forwarded-For. */
  useRemoteAddress?: boolean;
  /** Pass the upstream's Server header through instead of Envoy's own. */
  serverHeaderPassThrough?: boolean;
  /**
   * Match virtual hosts by the Host header without its port (the Gateway API's hostnames have
   * none), passing the header on as the client sent it: its route configuration ignores ports.
   */
  ignoreHostPort?: boolean;
  /** Access log to stdout; `format` is an Envoy format string, else Envoy's default. */
  accessLog?: { format?: string };
  /** Check every request with an external authorization service first. */
  externalAuthorization?: ExternalAuthorizationIR;
}

export interface ExternalAuthorizationIR {
  /** The cluster of the authorization service. */
  cluster: string;
  /** gRPC (envoy.service.auth.v3.Authorization) or plain HTTP checks. */
  protocol: 'grpc' | 'http';
  /** For http: the service's URI (scheme and authority) and the prefix checks are sent under. */
  uri?: string;
  pathPrefix?: string;
  failureModeAllow: boolean;
  timeoutSeconds: number;
  /** Request body bytes sent along (partial bodies allowed); 0 sends none. */
  maxRequestBytes: number;
  packAsBytes: boolean;
  /** Only these request headers go to the service (case-insensitive); "all" sends every one (as ingress-nginx's auth-url does). */
  allowedHeaders?: string[] | 'all';
  /** gRPC checks: metadata sent with every check (Kourier sends `client: kourier`). */
  metadata?: Record<string, string>;
  /** HTTP checks: headers of the service's answer that are copied onto the request upstream. */
  upstreamHeaders?: string[];
}

/** TLS settings every TLS filter chain of a listener shares: the installation's. */
export interface TlsParamsIR {
  cipherSuites?: string[];
  minimumVersion?: '1.2' | '1.3';
  maximumVersion?: '1.2' | '1.3';
}

/** Check client certificates against CA certificates (PEM); with the insecure fallback, a client without a valid one is let in too. */
export interface ClientValidationIR {
  caCertificates: string;
  allowInsecureFallback?: boolean;
}

/** A TLS filter chain: the names it answers for (none: every other name) and its certificate's SDS secret. */
export interface TlsChainIR {
  serverNames: string[];
  secret: string;
  /** The chain's own RouteConfiguration, instead of its listener's. */
  routeConfigName?: string;
}

/**
 * A filter chain that proxies a connection's bytes to clusters (a TCPRoute, a TLSRoute): chosen
 * by the client hello's SNI when `serverNames` are given (a wildcard "*.example.com" takes the
 * names under it; none: every connection no other chain takes).
 */
export interface StreamChainIR {
  /** Names the chain in Envoy's stats (the route). */
  statPrefix: string;
  serverNames: string[];
  /** End TLS here with this certificate (SDS) first; else the bytes pass as they come (passthrough, TCP). */
  terminateSecret?: string;
  /** Each connection goes to one of them, by weight. */
  clusters: Array<{ cluster: string; weight: number }>;
}

export interface ListenerIR {
  /** Envoy's listener name, e.g. listener_8080. */
  name: string;
  address: string;
  port: number;
  /** The RouteConfiguration the listener's HTTP connection manager asks for over RDS. */
  routeConfigName: string;
  statPrefix: string;
  http?: HttpOptionsIR;
  /** Expect a PROXY protocol header (v1 or v2) before anything else on a connection. */
  proxyProtocol?: boolean;
  /** Terminate TLS: one filter chain per certificate, chosen by SNI; ALPN h2 and http/1.1. */
  tls?: { params: TlsParamsIR; chains: TlsChainIR[]; clientValidation?: ClientValidationIR };
  /**
   * Proxy connections instead of speaking HTTP: the listener has these chains only (its
   * routeConfigName names no table). `inspectTls` reads the client hello for SNI; `params` are
   * the TLS settings of the chains that terminate.
   */
  streams?: { chains: StreamChainIR[]; inspectTls: boolean; params: TlsParamsIR };
}

export interface RouteConfigIR {
  name: string;
  virtualHosts: VirtualHostIR[];
  /** Match hosts without the port of the Host header (set for the tables of listeners with `ignoreHostPort`). */
  ignorePortInHostMatching?: boolean;
}

export interface VirtualHostIR {
  name: string;
  domains: string[];
  routes: RouteIR[];
  /** Context extensions sent with each authorization check of this host (gRPC checks). */
  authorizationContext?: Record<string, string>;
}

/** A header a route requires: equal to `exact`, matching `regex` (RE2, whole value), or only present when neither is given. */
export interface HeaderMatchIR {
  name: string;
  exact?: string;
  regex?: string;
}

/** A query parameter a route requires, matched as a header is. */
export type QueryMatchIR = HeaderMatchIR;

/**
 * How a route matches the path, one of: `prefix`, by characters (Knative's, Kourier's);
 * `segmentPrefix`, by whole path segments (/foo matches /foo and /foo/bar, not /foobar: Ingress's
 * Prefix, the Gateway API's PathPrefix); `exact`; `regex` (RE2, the whole path).
 */
export type PathMatchIR = { prefix: string } | { segmentPrefix: string } | { exact: string } | { regex: string };

export interface WeightedClusterIR {
  cluster: string;
  weight: number;
  /** Request headers set (replacing what the client sent) on the requests of this split. */
  setHeaders?: Record<string, string>;
  /** Headers of this split's requests and responses changed (the Gateway API's backendRef filters). */
  requestHeaderModifiers?: HeaderModifiersIR;
  responseHeaderModifiers?: HeaderModifiersIR;
}

/** Headers changed on the way: `set` replaces, `add` appends to what is there, `remove` drops (names case-insensitive). */
export interface HeaderModifiersIR {
  set?: Array<{ name: string; value: string }>;
  add?: Array<{ name: string; value: string }>;
  remove?: string[];
}

/** A copy of each request (a share of them) sent to another cluster too; its answer is dropped. */
export interface MirrorIR {
  cluster: string;
  /** Percent of requests mirrored, 0 to 100 (fractions allowed); every request when absent. */
  percent?: number;
}

/** Send the request upstream, to one cluster or split by weight. */
export interface ForwardIR {
  clusters: WeightedClusterIR[];
  /** Request headers set (replacing what the client sent) on every request of the route. */
  setHeaders?: Record<string, string>;
  /** Replaces the Host (:authority) header upstream. */
  hostRewrite?: string;
  /** Seconds before the route gives up on the upstream; 0 (the default) waits as long as it takes. */
  timeoutSeconds?: number;
  /** Seconds a request of this route may go without bytes either way (the route's stream idle timeout). */
  idleTimeoutSeconds?: number;
  /** Rewrites the path upstream: the part the route's prefix matched, the whole path, or by a regular expression. */
  pathRewrite?: PathRewriteIR;
  retry?: RetryIR;
  mirrors?: MirrorIR[];
}

/**
 * `prefix`: the part of the path the route's prefix matched is replaced (on a segment prefix, whole
 * path elements: /foo → / makes /foo/bar /bar); `full`: the whole path
 * (the query stays); `regex`: every match of `pattern` (RE2) in the path replaced by
 * `substitution`, where \1 … \9 are the pattern's groups.
 */
export type PathRewriteIR = { prefix: string } | { full: string } | { regex: string; substitution: string };

/** Retries of a route, and how long each try may take. */
export interface RetryIR {
  /** Retries after the first try; 0 makes only the per-try timeouts apply. */
  attempts: number;
  /** Envoy's retry_on conditions, e.g. connect-failure, reset, retriable-status-codes. */
  retryOn?: string[];
  /** With retriable-status-codes: the statuses that are retried. */
  statusCodes?: number[];
  /** The base interval between retries. */
  backoffSeconds?: number;
  /** Seconds a try may take. */
  perTryTimeoutSeconds?: number;
  /** Seconds a try may wait for the upstream's next bytes (ingress-nginx's proxy-read-timeout); it fails with 504. */
  perTryIdleTimeoutSeconds?: number;
}

/** Cross-origin requests a route allows: preflights answered by Envoy, the CORS response headers added. */
export interface CorsIR {
  /** Origins, each exact or with * standing for any run of characters (https://*.example.com); "*" allows every origin. */
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAgeSeconds?: number;
}

/** A token bucket per Envoy and route: `requestsPerSecond` refill it, up to `burst` at once. */
export interface RateLimitIR {
  requestsPerSecond: number;
  burst: number;
  /** The status a limited request gets; 429 unless given. */
  status?: number;
}

/** A route's own authorization service, beside the installation's (ingress-nginx's auth-url). */
export interface RouteAuthorizationIR {
  /** Names the service's filter; routes naming the same service share it. */
  name: string;
  service: ExternalAuthorizationIR;
}

/** Answer with a redirect to https, same host and path (301). */
export interface HttpsRedirectIR {
  httpsRedirect: true;
}

/** Answer with a redirect: what is not given stays as requested. */
export interface GeneralRedirectIR {
  scheme?: 'http' | 'https';
  host?: string;
  port?: number;
  /** The whole path replaced, or the part the route's prefix matched. */
  path?: { full: string } | { prefix: string };
  /** 301 unless given. */
  status?: 301 | 302 | 303 | 307 | 308;
  /** Drop the request's query string from the location. */
  stripQuery?: boolean;
}

export type RedirectIR = HttpsRedirectIR | GeneralRedirectIR;

/** Answer from Envoy itself. */
export interface DirectResponseIR {
  status: number;
  responseHeaders?: Record<string, string>;
  body?: string;
}

/** A route: its path match (one of PathMatchIR's fields), its other matches, and one action. */
export type RouteIR = RouteCommonIR & PathMatchIR;

export interface RouteCommonIR {
  /** Names the route in Envoy's stats and logs. */
  name?: string;
  headers?: HeaderMatchIR[];
  query?: QueryMatchIR[];
  /** The request's method, e.g. GET. */
  method?: string;
  forward?: ForwardIR;
  redirect?: RedirectIR;
  direct?: DirectResponseIR;
  /** Skip external authorization (ACME challenges must reach their solver). */
  skipAuthorization?: boolean;
  /** Answer cross-origin requests as this says. */
  cors?: CorsIR;
  /** Only clients from these CIDR ranges (by the address Envoy takes as the client's); others get 403. */
  sourceRanges?: string[];
  rateLimit?: RateLimitIR;
  /** Request bodies larger than this many bytes get 413 (the body is buffered before it goes upstream). */
  maxRequestBytes?: number;
  /** Check each request of the route with this service too. */
  authorization?: RouteAuthorizationIR;
  /** Request headers changed before the request goes upstream (the Gateway API's RequestHeaderModifier). */
  requestHeaderModifiers?: HeaderModifiersIR;
  /** Response headers changed before the answer goes to the client (ResponseHeaderModifier). */
  responseHeaderModifiers?: HeaderModifiersIR;
}

export interface EndpointIR {
  address: string;
  port: number;
}

export interface ClusterIR {
  name: string;
  connectTimeoutSeconds: number;
  /** Speak HTTP/2 in clear text (h2c) to the upstream. */
  http2?: boolean;
  /** Endpoints delivered by EDS under the cluster's name. */
  endpoints: EndpointIR[];
  /** Resolve this host name instead (an ExternalName Service); `endpoints` is then empty. */
  dns?: { hostname: string; port: number };
  /**
   * Speak TLS to the upstream (SNI `serverName` unless an IP address). With `ca` (PEM) its
   * certificate must chain to it and carry one of `subjectAltNames` (default: `serverName`);
   * `clientCertificate` names the SDS secret shown to it when it asks for one.
   */
  tls?: { serverName: string; ca?: string; subjectAltNames?: SubjectAltNameIR[]; clientCertificate?: string };
}

/** A name an upstream's certificate must carry: a DNS name (wildcards as in the certificate) or a URI (SPIFFE IDs). */
export interface SubjectAltNameIR {
  type: 'DNS' | 'URI';
  value: string;
}

/** A certificate and its key (PEM), served to Envoy by SDS under `name`. */
export interface SecretIR {
  name: string;
  certificateChain: string;
  privateKey: string;
}

export interface GatewayIR {
  listeners: ListenerIR[];
  routeConfigs: RouteConfigIR[];
  clusters: ClusterIR[];
  secrets?: SecretIR[];
}
