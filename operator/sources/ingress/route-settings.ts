// What an Ingress's annotations (annotations.ts reads them) ask of every route it makes: how
// paths match and are rewritten, timeouts, how to speak to the backend, the route policies
// (CORS, source ranges, rate limit, body size, an authorization service) or a redirect
// instead. The authorization service of auth-url is the Service its host names, when it names
// one of the cluster (name.namespace[.svc[.<cluster domain>]]), else its host by DNS. Pure.
import type { ClusterIR, GeneralRedirectIR, RetryIR, RouteCommonIR } from '../../../xds/ir.ts';
import type { Note } from '../../graph/fragment.ts';
import { backendCluster, connectTimeoutSeconds, type UpstreamOptions } from '../backends.ts';
import type { Lookups } from '../lookups.ts';
import type { IngressAnnotations } from './annotations.ts';

export type RoutePolicies = Pick<RouteCommonIR, 'cors' | 'sourceRanges' | 'rateLimit' | 'maxRequestBytes' | 'authorization'>;

export interface RouteSettings {
  /** Paths other than Exact are regular expressions (use-regex, or rewrite-target, as ingress-nginx). */
  regexPaths: boolean;
  /** The new path, with \1 … for the path's groups (rewrite-target's $1 …). */
  rewriteTarget?: string;
  idleTimeoutSeconds?: number;
  retry?: RetryIR;
  upstream: UpstreamOptions;
  routePolicies: RoutePolicies;
  /** Answer every path with this redirect (permanent-redirect, temporal-redirect). */
  redirect?: GeneralRedirectIR;
  /** Plain HTTP to a host with TLS is redirected to HTTPS. */
  sslRedirect: boolean;
  /** Plain HTTP to every host of the Ingress is redirected to HTTPS. */
  forceSslRedirect: boolean;
  /** Clusters the settings need (the authorization service's). */
  clusters: ClusterIR[];
  /** Access-control annotations with bad values: every route refuses every request rather than go unguarded. */
  denied?: string[];
}

/** The seconds ingress-nginx waits for an auth-url answer (its proxy timeouts' default). */
const authorizationTimeoutSeconds = 60;

function redirectOf(url: string, status: GeneralRedirectIR['status']): GeneralRedirectIR {
  const target = new URL(url);
  const scheme = target.protocol === 'https:' ? 'https' : 'http';
  return {
    scheme,
    host: target.hostname,
    ...(target.port ? { port: Number(target.port) } : {}),
    path: { full: `${target.pathname}${target.search}` },
    ...(status === undefined ? {} : { status }),
    // nginx's `return` sends the location as written, without the request's query.
    stripQuery: true,
  };
}

/** The cluster of the service auth-url names. */
function authorizationCluster(url: { scheme: 'http' | 'https'; host: string; port: number }, namespace: string, lookups: Lookups, clusterDomain: string): ClusterIR {
  const labels = url.host.split('.');
  const inCluster = labels.length === 2 || (labels.length === 3 && labels[2] === 'svc') || url.host.endsWith(`.svc.${clusterDomain}`) && labels.length === 3 + clusterDomain.split('.').length;
  const [service = '', serviceNamespace = namespace] = labels;
  if (inCluster && lookups.service(serviceNamespace, service)) {
    const result = backendCluster({ namespace: serviceNamespace, name: service, port: url.port }, false, lookups, url.scheme === 'https' ? { tls: true } : {});
    if ('cluster' in result) return result.cluster;
  }
  return {
    name: `auth-url/${url.scheme}/${url.host}/${url.port}`,
    connectTimeoutSeconds,
    endpoints: [],
    dns: { hostname: url.host, port: url.port },
    ...(url.scheme === 'https' ? { tls: { serverName: url.host } } : {}),
  };
}

export function routeSettings(annotations: IngressAnnotations, namespace: string, lookups: Lookups, clusterDomain: string): { settings: RouteSettings; notes: Note[] } {
  const notes: Note[] = [];
  const upstream: UpstreamOptions = {
    ...(annotations.backendProtocol === 'HTTPS' || annotations.backendProtocol === 'GRPCS' ? { tls: true } : {}),
    ...(annotations.backendProtocol === 'GRPC' || annotations.backendProtocol === 'GRPCS' ? { http2: true } : {}),
    ...(annotations.proxyConnectTimeoutSeconds === undefined ? {} : { connectTimeoutSeconds: annotations.proxyConnectTimeoutSeconds }),
  };
  const clusters: ClusterIR[] = [];
  const policies: RoutePolicies = {
    ...(annotations.cors ? { cors: annotations.cors } : {}),
    ...(annotations.sourceRanges?.length ? { sourceRanges: annotations.sourceRanges } : {}),
    ...(annotations.rateLimit ? { rateLimit: { ...annotations.rateLimit, status: 503 } } : {}),
    ...(annotations.proxyBodySizeBytes ? { maxRequestBytes: annotations.proxyBodySizeBytes } : {}),
  };
  if (annotations.authorization) {
    const cluster = authorizationCluster(annotations.authorization, namespace, lookups, clusterDomain);
    clusters.push(cluster);
    const { scheme, host, port, path, method, responseHeaders } = annotations.authorization;
    if (method !== undefined) notes.push({ reason: 'UnsupportedAnnotation', message: `auth-method: Envoy sends the check with the request's own method, not ${method}` });
    policies.authorization = {
      name: cluster.name,
      service: {
        cluster: cluster.name,
        protocol: 'http',
        uri: `${scheme}://${host}:${port}`,
        // Envoy asks the service at this prefix followed by the request's own path.
        ...(path && path !== '/' ? { pathPrefix: path.replace(/\/$/, '') } : {}),
        failureModeAllow: false,
        timeoutSeconds: authorizationTimeoutSeconds,
        maxRequestBytes: 0,
        packAsBytes: false,
        // ingress-nginx's auth request carries every header of the request.
        allowedHeaders: 'all',
        ...(responseHeaders?.length ? { upstreamHeaders: responseHeaders } : {}),
      },
    };
  }
  const settings: RouteSettings = {
    regexPaths: annotations.useRegex === true || annotations.rewriteTarget !== undefined,
    ...(annotations.rewriteTarget === undefined ? {} : { rewriteTarget: annotations.rewriteTarget.replace(/\$([1-9])/g, '\\$1') }),
    ...(annotations.proxySendTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: annotations.proxySendTimeoutSeconds }),
    ...(annotations.proxyReadTimeoutSeconds === undefined ? {} : { retry: { attempts: 0, perTryIdleTimeoutSeconds: annotations.proxyReadTimeoutSeconds } }),
    upstream,
    routePolicies: policies,
    ...(annotations.redirect ? { redirect: redirectOf(annotations.redirect.url, annotations.redirect.status) } : {}),
    sslRedirect: annotations.sslRedirect === true,
    forceSslRedirect: annotations.forceSslRedirect === true,
    clusters,
    ...(annotations.denied ? { denied: annotations.denied } : {}),
  };
  return { settings, notes };
}
