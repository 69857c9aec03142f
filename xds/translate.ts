// IR → Envoy v3 resources, as plain objects in Envoy's field names (pure); xds/encoder.ts
// makes snapshots of them.
import { isIP } from 'node:net';
import type {
  ClientValidationIR, ClusterIR, CorsIR, ExternalAuthorizationIR, GatewayIR, HeaderMatchIR, HeaderModifiersIR, HttpOptionsIR, ListenerIR, MirrorIR, PathRewriteIR, RateLimitIR, RedirectIR, RetryIR,
  RouteAuthorizationIR, RouteConfigIR, RouteIR, SecretIR, StreamChainIR, TlsParamsIR, VirtualHostIR, WeightedClusterIR,
} from './ir.ts';
import { originRegex } from './cors-origin.ts';
import { describePathMatch, pathMatchOf } from './path-match.ts';
import { typeUrls } from './protos.ts';

const ads = { ads: {}, resource_api_version: 'V3' };

function typed(type: string, fields: object = {}): object {
  return { '@type': `type.googleapis.com/${type}`, ...fields };
}

/** Whole seconds and nanoseconds, as google.protobuf.Duration. */
function duration(seconds: number): object {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  return nanos ? { seconds: whole, nanos } : { seconds: whole };
}

function connectionManager(listener: ListenerIR, routeAuthorizations: RouteAuthorizationIR[]): object {
  const http: HttpOptionsIR = listener.http ?? {};
  return {
    stat_prefix: listener.statPrefix,
    rds: { route_config_name: listener.routeConfigName, config_source: ads },
    // Knative's websocket conformance: any route may be upgraded.
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    ...(http.streamIdleTimeoutSeconds === undefined ? {} : { stream_idle_timeout: duration(http.streamIdleTimeoutSeconds) }),
    ...(http.idleTimeoutSeconds === undefined ? {} : { common_http_protocol_options: { idle_timeout: duration(http.idleTimeoutSeconds) } }),
    ...(http.trustedHops ? { xff_num_trusted_hops: http.trustedHops } : {}),
    ...(http.useRemoteAddress ? { use_remote_address: { value: true } } : {}),
    ...(http.serverHeaderPassThrough ? { server_header_transformation: 'PASS_THROUGH' } : {}),
    ...(http.accessLog
      ? {
          access_log: [{
            name: 'envoy.access_loggers.stdout',
            typed_config: typed(
              'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
              http.accessLog.format === undefined ? {} : { log_format: { text_format_source: { inline_string: `${http.accessLog.format}\n` } } },
            ),
          }],
        }
      : {}),
    http_filters: [
      // CORS first: preflights are answered, and every refusal after it (403, 429, 413) carries
      // the CORS headers a browser needs to read it, as in ingress-nginx; a local reply skips the
      // encoding of filters after the one that sent it. Then address checks, so that clients
      // outside the ranges spend none of the route's tokens; rate limits, so that floods do not
      // reach the authorization services; the buffer last, holding only authorized bodies.
      corsFilter,
      rbacFilter,
      rateLimitFilter,
      ...(http.externalAuthorization ? [{ name: extAuthzFilter, typed_config: externalAuthorization(http.externalAuthorization) }] : []),
      ...routeAuthorizations.map((authorization) => ({ name: routeAuthorizationFilter(authorization.name), typed_config: externalAuthorization(authorization.service), disabled: true })),
      bufferFilter,
      { name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router') },
    ],
  };
}

// Filters for what single routes ask for: in every connection manager, off unless a route's
// per-filter config turns them on, so that the first route to use one changes no listener.
const rateLimitFilterName = 'envoy.filters.http.local_ratelimit';
const rbacFilterName = 'envoy.filters.http.rbac';
const corsFilterName = 'envoy.filters.http.cors';
const bufferFilterName = 'envoy.filters.http.buffer';
const corsFilter = { name: corsFilterName, typed_config: typed('envoy.extensions.filters.http.cors.v3.Cors'), disabled: true };
const rbacFilter = { name: rbacFilterName, typed_config: typed('envoy.extensions.filters.http.rbac.v3.RBAC'), disabled: true };
const rateLimitFilter = { name: rateLimitFilterName, typed_config: typed('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', { stat_prefix: 'route_rate_limit' }), disabled: true };
// The buffer filter needs a limit of its own; every route that turns it on gives its own.
const bufferFilter = { name: bufferFilterName, typed_config: typed('envoy.extensions.filters.http.buffer.v3.Buffer', { max_request_bytes: { value: 1_048_576 } }), disabled: true };

/** The filter of a route's own authorization service: one per service among the routes of a table. */
function routeAuthorizationFilter(name: string): string {
  return `${extAuthzFilter}/${name}`;
}

const extAuthzFilter = 'envoy.filters.http.ext_authz';

function externalAuthorization(authz: ExternalAuthorizationIR): object {
  const timeout = duration(authz.timeoutSeconds);
  const service =
    authz.protocol === 'grpc'
      ? { grpc_service: { envoy_grpc: { cluster_name: authz.cluster }, timeout, ...(authz.metadata ? { initial_metadata: Object.entries(authz.metadata).map(([key, value]) => ({ key, value })) } : {}) } }
      : {
          http_service: {
            server_uri: { uri: authz.uri ?? `http://${authz.cluster}`, cluster: authz.cluster, timeout },
            ...(authz.pathPrefix ? { path_prefix: authz.pathPrefix } : {}),
            ...(authz.upstreamHeaders?.length ? { authorization_response: { allowed_upstream_headers: { patterns: authz.upstreamHeaders.map((header) => ({ exact: header, ignore_case: true })) } } } : {}),
          },
        };
  return typed('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', {
    ...service,
    transport_api_version: 'V3',
    failure_mode_allow: authz.failureModeAllow,
    ...(authz.maxRequestBytes > 0
      ? { with_request_body: { max_request_bytes: authz.maxRequestBytes, allow_partial_message: true, pack_as_bytes: authz.packAsBytes } }
      : {}),
    ...(authz.allowedHeaders === 'all'
      ? { allowed_headers: { patterns: [{ safe_regex: { regex: '.*' } }] } }
      : authz.allowedHeaders?.length ? { allowed_headers: { patterns: authz.allowedHeaders.map((header) => ({ exact: header, ignore_case: true })) } } : {}),
  });
}

/** Per-route or per-host settings of the authorization filter. */
function authorizationOverride(settings: object): object {
  return { typed_per_filter_config: { [extAuthzFilter]: typed('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute', settings) } };
}

const tlsVersions = { '1.2': 'TLSv1_2', '1.3': 'TLSv1_3' } as const;

/** `alpn`: the protocols offered (HTTP listeners: h2 and http/1.1; a proxied TLS stream none). */
function downstreamTls(secret: string, params: TlsParamsIR, validation?: ClientValidationIR, alpn: string[] = ['h2', 'http/1.1']): object {
  const tlsParams = {
    ...(params.minimumVersion ? { tls_minimum_protocol_version: tlsVersions[params.minimumVersion] } : {}),
    ...(params.maximumVersion ? { tls_maximum_protocol_version: tlsVersions[params.maximumVersion] } : {}),
    ...(params.cipherSuites?.length ? { cipher_suites: params.cipherSuites } : {}),
  };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: {
        // By name over ADS: a renewed certificate is a new Secret, not a new listener.
        tls_certificate_sds_secret_configs: [{ name: secret, sds_config: ads }],
        ...(alpn.length ? { alpn_protocols: alpn } : {}),
        ...(Object.keys(tlsParams).length ? { tls_params: tlsParams } : {}),
        ...(validation
          ? { validation_context: { trusted_ca: { inline_string: validation.caCertificates }, ...(validation.allowInsecureFallback ? { trust_chain_verification: 'ACCEPT_UNTRUSTED' } : {}) } }
          : {}),
      },
      ...(validation && !validation.allowInsecureFallback ? { require_client_certificate: { value: true } } : {}),
    }),
  };
}

/** A chain that proxies the connection (TCP, or TLS by SNI) to its clusters. */
function streamChain(chain: StreamChainIR, params: TlsParamsIR): object {
  const [only] = chain.clusters;
  const target = chain.clusters.length === 1 && only ? { cluster: only.cluster } : { weighted_clusters: { clusters: chain.clusters.map(({ cluster, weight }) => ({ name: cluster, weight })) } };
  return {
    ...(chain.serverNames.length ? { filter_chain_match: { server_names: chain.serverNames } } : {}),
    filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: chain.statPrefix, ...target }) }],
    ...(chain.terminateSecret ? { transport_socket: downstreamTls(chain.terminateSecret, params, undefined, []) } : {}),
  };
}

/** An HTTP listener's chains: one connection manager, or one per TLS chain (each with its chain's table). */
function httpChains(listener: ListenerIR, routeAuthorizations: RouteAuthorizationIR[]): object[] {
  const managerOf = (routeConfigName: string) => ({
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', connectionManager({ ...listener, routeConfigName }, routeAuthorizations)),
  });
  const manager = managerOf(listener.routeConfigName);
  const tls = listener.tls;
  if (!tls) return [{ filters: [manager] }];
  return tls.chains.map((chain) => ({
    ...(chain.serverNames.length ? { filter_chain_match: { server_names: chain.serverNames } } : {}),
    filters: [chain.routeConfigName && chain.routeConfigName !== listener.routeConfigName ? managerOf(chain.routeConfigName) : manager],
    transport_socket: downstreamTls(chain.secret, tls.params, tls.clientValidation),
  }));
}

/** `routeAuthorizations`: the route authorization services of the table the listener serves. */
export function listenerResource(listener: ListenerIR, routeAuthorizations: RouteAuthorizationIR[] = []): object {
  // PROXY protocol first: the TLS inspector reads the ClientHello that follows it.
  const listenerFilters = [
    ...(listener.proxyProtocol ? [{ name: 'envoy.filters.listener.proxy_protocol', typed_config: typed('envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol') }] : []),
    ...(listener.tls || listener.streams?.inspectTls ? [{ name: 'envoy.filters.listener.tls_inspector', typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') }] : []),
  ];
  const streams = listener.streams;
  return {
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: listener.port } },
    ...(listenerFilters.length ? { listener_filters: listenerFilters } : {}),
    filter_chains: streams ? streams.chains.map((chain) => streamChain(chain, streams.params)) : httpChains(listener, routeAuthorizations),
  };
}

export function secretResource(secret: SecretIR): object {
  return {
    name: secret.name,
    tls_certificate: { certificate_chain: { inline_string: secret.certificateChain }, private_key: { inline_string: secret.privateKey } },
  };
}

/** Headers that replace what is there, in a stable order. */
function replacingHeaders(headers: Record<string, string>): object[] {
  return Object.entries(headers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    // Envoy reads header values as format strings: %% keeps a % literal, as the IR means it.
    .map(([key, value]) => ({ header: { key, value: literal(value) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }));
}


/** A header value as Envoy reads it: a format string, where %% keeps a % literal. */
const literal = (value: string) => value.replaceAll('%', '%%');

/**
 * Request or response header changes: `replacing` (the IR's setHeaders) and the modifiers' set
 * overwrite, add appends, remove drops.
 */
function headerChanges(direction: 'request' | 'response', modifiers: HeaderModifiersIR | undefined, replacing?: Record<string, string>): object {
  const toAdd = [
    ...(replacing && Object.keys(replacing).length ? replacingHeaders(replacing) : []),
    ...(modifiers?.set ?? []).map(({ name, value }) => ({ header: { key: name, value: literal(value) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    ...(modifiers?.add ?? []).map(({ name, value }) => ({ header: { key: name, value: literal(value) }, append_action: 'APPEND_IF_EXISTS_OR_ADD' })),
  ];
  return {
    ...(toAdd.length ? { [`${direction}_headers_to_add`]: toAdd } : {}),
    ...(modifiers?.remove?.length ? { [`${direction}_headers_to_remove`]: modifiers.remove } : {}),
  };
}

/** exact, else regex, else presence: as a header match, or a query parameter match. */
function stringMatcher(match: HeaderMatchIR): object {
  if (match.exact !== undefined) return { string_match: { exact: match.exact } };
  if (match.regex !== undefined) return { string_match: { safe_regex: { regex: match.regex } } };
  return { present_match: true };
}

function headerMatcher(header: HeaderMatchIR): object {
  return { name: header.name, ...stringMatcher(header) };
}

function pathMatcher(route: RouteIR): object {
  const { kind, value } = pathMatchOf(route);
  if (kind === 'prefix') return { prefix: value };
  if (kind === 'exact') return { path: value };
  if (kind === 'regex') return { safe_regex: { regex: value } };
  // Envoy's segment prefix may not end with a slash; "/" is every path.
  const trimmed = value.replace(/\/+$/, '');
  return trimmed ? { path_separated_prefix: trimmed } : { prefix: '/' };
}

const redirectCodes = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' } as const;

function redirectAction(redirect: RedirectIR): object {
  if ('httpsRedirect' in redirect) return { https_redirect: true };
  return {
    ...(redirect.scheme ? { scheme_redirect: redirect.scheme } : {}),
    ...(redirect.host ? { host_redirect: redirect.host } : {}),
    ...(redirect.port ? { port_redirect: redirect.port } : {}),
    ...(redirect.path ? ('full' in redirect.path ? { path_redirect: redirect.path.full } : { prefix_rewrite: redirect.path.prefix }) : {}),
    ...(redirect.status && redirect.status !== 301 ? { response_code: redirectCodes[redirect.status] } : {}),
    ...(redirect.stripQuery ? { strip_query: true } : {}),
  };
}

function pathRewrite(rewrite: PathRewriteIR | undefined, route: RouteIR): object {
  if (!rewrite) return {};
  if ('prefix' in rewrite) {
    const { kind, value } = pathMatchOf(route);
    if (kind !== 'segmentPrefix') return { prefix_rewrite: rewrite.prefix };
    // Path elements are replaced whole: /foo → / makes /foo/bar /bar (Envoy's prefix_rewrite
    // would make it //bar), /foo → /baz makes it /baz/bar.
    const matched = value.replace(/\/+$/, '').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    const substitution = rewrite.prefix.replaceAll('\\', '\\\\');
    return { regex_rewrite: { pattern: { regex: rewrite.prefix.endsWith('/') ? `^${matched}/*` : `^${matched}` }, substitution } };
  }
  // The substitution is RE2's: a backslash in the path would start a group reference.
  if ('full' in rewrite) return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: rewrite.full.replaceAll('\\', '\\\\') } };
  return { regex_rewrite: { pattern: { regex: rewrite.regex }, substitution: rewrite.substitution } };
}

function retryPolicy(retry: RetryIR): object {
  return {
    ...(retry.retryOn?.length ? { retry_on: retry.retryOn.join(',') } : {}),
    num_retries: { value: retry.attempts },
    ...(retry.statusCodes?.length ? { retriable_status_codes: retry.statusCodes } : {}),
    ...(retry.backoffSeconds === undefined ? {} : { retry_back_off: { base_interval: duration(retry.backoffSeconds) } }),
    ...(retry.perTryTimeoutSeconds === undefined ? {} : { per_try_timeout: duration(retry.perTryTimeoutSeconds) }),
    ...(retry.perTryIdleTimeoutSeconds === undefined ? {} : { per_try_idle_timeout: duration(retry.perTryIdleTimeoutSeconds) }),
  };
}

/** An origin with * inside as an anchored expression (the rest literal); an exact one as it is; "*" as every origin. */
function originMatcher(origin: string): object {
  if (origin === '*') return { safe_regex: { regex: '.*' } };
  if (!origin.includes('*')) return { exact: origin };
  return { safe_regex: { regex: originRegex(origin) } };
}

function corsPolicy(cors: CorsIR): object {
  return typed('envoy.extensions.filters.http.cors.v3.CorsPolicy', {
    allow_origin_string_match: cors.allowOrigins.map(originMatcher),
    ...(cors.allowMethods?.length ? { allow_methods: cors.allowMethods.join(', ') } : {}),
    ...(cors.allowHeaders?.length ? { allow_headers: cors.allowHeaders.join(', ') } : {}),
    ...(cors.exposeHeaders?.length ? { expose_headers: cors.exposeHeaders.join(', ') } : {}),
    ...(cors.maxAgeSeconds === undefined ? {} : { max_age: String(cors.maxAgeSeconds) }),
    ...(cors.allowCredentials === undefined ? {} : { allow_credentials: { value: cors.allowCredentials } }),
    // A preflight from an origin not allowed is answered by Envoy without CORS headers, not
    // passed to the backend (which might allow it): what the Gateway API and ingress-nginx do.
    forward_not_matching_preflights: { value: false },
  });
}

function sourceRangesPolicy(ranges: string[]): object {
  const principals = ranges.map((range) => {
    const [address = '', length] = range.split('/');
    return { remote_ip: { address_prefix: address, prefix_len: { value: Number(length ?? (address.includes(':') ? 128 : 32)) } } };
  });
  return typed('envoy.extensions.filters.http.rbac.v3.RBACPerRoute', {
    rbac: { rules: { action: 'ALLOW', policies: { 'source-ranges': { permissions: [{ any: true }], principals } } } },
  });
}

function rateLimitPolicy(limit: RateLimitIR): object {
  const always = { default_value: { numerator: 100, denominator: 'HUNDRED' }, runtime_key: 'route_rate_limit_enabled' };
  return typed('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', {
    stat_prefix: 'route_rate_limit',
    token_bucket: { max_tokens: limit.burst, tokens_per_fill: { value: limit.requestsPerSecond }, fill_interval: duration(1) },
    filter_enabled: always,
    filter_enforced: { ...always, runtime_key: 'route_rate_limit_enforced' },
    ...(limit.status === undefined || limit.status === 429 ? {} : { status: { code: limit.status } }),
  });
}

/** A route's per-filter settings: which of the connection manager's filters it turns on or off, and how. */
function routeFilterConfigs(route: RouteIR): object {
  const configs: Record<string, object> = {
    ...(route.skipAuthorization ? { [extAuthzFilter]: typed('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute', { disabled: true }) } : {}),
    ...(route.authorization ? { [routeAuthorizationFilter(route.authorization.name)]: typed('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute', { check_settings: {} }) } : {}),
    ...(route.rateLimit ? { [rateLimitFilterName]: rateLimitPolicy(route.rateLimit) } : {}),
    ...(route.sourceRanges?.length ? { [rbacFilterName]: sourceRangesPolicy(route.sourceRanges) } : {}),
    ...(route.cors ? { [corsFilterName]: corsPolicy(route.cors) } : {}),
    ...(route.maxRequestBytes ? { [bufferFilterName]: typed('envoy.extensions.filters.http.buffer.v3.BufferPerRoute', { buffer: { max_request_bytes: { value: route.maxRequestBytes } } }) } : {}),
  };
  return Object.keys(configs).length ? { typed_per_filter_config: configs } : {};
}

function weightedCluster(split: WeightedClusterIR): object {
  return { name: split.cluster, weight: { value: split.weight }, ...headerChanges('request', split.requestHeaderModifiers, split.setHeaders), ...headerChanges('response', split.responseHeaderModifiers) };
}

/** Whether a split changes anything of its own, so that it needs weighted_clusters even alone. */
const splitHasChanges = (split: WeightedClusterIR) => split.setHeaders !== undefined || split.requestHeaderModifiers !== undefined || split.responseHeaderModifiers !== undefined;

function mirrorPolicies(mirrors: MirrorIR[] | undefined): object {
  if (!mirrors?.length) return {};
  return {
    request_mirror_policies: mirrors.map((mirror) => ({
      cluster: mirror.cluster,
      ...(mirror.percent === undefined || mirror.percent >= 100
        ? {}
        : { runtime_fraction: { default_value: { numerator: Math.round(mirror.percent * 10_000), denominator: 'MILLION' } } }),
    })),
  };
}

function routeResource(route: RouteIR): object {
  const headers = [...(route.method ? [{ name: ':method', exact: route.method }] : []), ...(route.headers ?? [])];
  const match = {
    ...pathMatcher(route),
    ...(headers.length ? { headers: headers.map(headerMatcher) } : {}),
    ...(route.query?.length ? { query_parameters: route.query.map(headerMatcher) } : {}),
  };
  const named = { ...(route.name === undefined ? {} : { name: route.name }), ...routeFilterConfigs(route), ...headerChanges('response', route.responseHeaderModifiers) };
  if (route.redirect) return { ...named, match, redirect: redirectAction(route.redirect) };
  if (route.direct) {
    return {
      ...named,
      match,
      direct_response: { status: route.direct.status, ...(route.direct.body === undefined ? {} : { body: { inline_string: route.direct.body } }) },
      ...(route.direct.responseHeaders ? { response_headers_to_add: [...replacingHeaders(route.direct.responseHeaders), ...((headerChanges('response', route.responseHeaderModifiers) as { response_headers_to_add?: object[] }).response_headers_to_add ?? [])] } : {}),
    };
  }
  const forward = route.forward;
  if (!forward) throw new Error(`route ${route.name ?? describePathMatch(route)} has no action`);
  const [only] = forward.clusters;
  const target = forward.clusters.length === 1 && only && !splitHasChanges(only) ? { cluster: only.cluster } : { weighted_clusters: { clusters: forward.clusters.map(weightedCluster) } };
  return {
    ...named,
    match,
    route: {
      ...target,
      // Envoy's default of 15 s would cut Knative's long requests; 0 waits as long as it takes.
      timeout: duration(forward.timeoutSeconds ?? 0),
      ...(forward.idleTimeoutSeconds === undefined ? {} : { idle_timeout: duration(forward.idleTimeoutSeconds) }),
      ...(forward.hostRewrite === undefined ? {} : { host_rewrite_literal: forward.hostRewrite }),
      ...pathRewrite(forward.pathRewrite, route),
      ...(forward.retry ? { retry_policy: retryPolicy(forward.retry) } : {}),
      ...mirrorPolicies(forward.mirrors),
    },
    ...headerChanges('request', route.requestHeaderModifiers, forward.setHeaders),
  };
}

export function virtualHostResource(host: VirtualHostIR): object {
  return {
    name: host.name,
    domains: host.domains,
    routes: host.routes.map(routeResource),
    ...(host.authorizationContext ? authorizationOverride({ check_settings: { context_extensions: host.authorizationContext } }) : {}),
  };
}

export function routeConfigResource(config: RouteConfigIR): object {
  return {
    name: config.name,
    // Envoy answers 404 for a host or path no route matches.
    virtual_hosts: config.virtualHosts.map(virtualHostResource),
    ...(config.ignorePortInHostMatching ? { ignore_port_in_host_matching: true } : {}),
    // A route to a cluster Envoy lacks answers 404 instead of being rejected.
    validate_clusters: { value: false },
  };
}

export function clusterResource(cluster: ClusterIR): object {
  const discovery = cluster.dns
    ? {
        type: 'STRICT_DNS',
        load_assignment: {
          cluster_name: cluster.name,
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: cluster.dns.hostname, port_value: cluster.dns.port } } } }] }],
        },
      }
    : { type: 'EDS', eds_cluster_config: { eds_config: ads } };
  const tls = cluster.tls;
  return {
    name: cluster.name,
    ...discovery,
    connect_timeout: duration(cluster.connectTimeoutSeconds),
    ...(tls
      ? {
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
              ...(isIP(tls.serverName) ? {} : { sni: tls.serverName }),
              common_tls_context: {
                ...(cluster.http2 ? { alpn_protocols: ['h2'] } : {}),
                ...(tls.clientCertificate ? { tls_certificate_sds_secret_configs: [{ name: tls.clientCertificate, sds_config: ads }] } : {}),
                ...(tls.ca
                  ? {
                      validation_context: {
                        trusted_ca: { inline_string: tls.ca },
                        match_typed_subject_alt_names: tls.subjectAltNames?.length
                          ? tls.subjectAltNames.map(({ type, value }) => ({ san_type: type, matcher: { exact: value } }))
                          : [{ san_type: isIP(tls.serverName) ? 'IP_ADDRESS' : 'DNS', matcher: { exact: tls.serverName } }],
                      },
                    }
                  : {}),
              },
            }),
          },
        }
      : {}),
    ...(cluster.http2
      ? {
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: {} } }),
          },
        }
      : {}),
  };
}

export function endpointResource(cluster: ClusterIR): object {
  return {
    cluster_name: cluster.name,
    endpoints: [{ lb_endpoints: cluster.endpoints.map(({ address, port }) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } })) }],
  };
}

/** Clusters resolved by EDS: the ones that have a ClusterLoadAssignment. */
export function edsClusters(clusters: ClusterIR[]): ClusterIR[] {
  return clusters.filter((cluster) => !cluster.dns);
}

/** The distinct route authorization services of a route table, by name. */
export function routeAuthorizationsOf(ir: GatewayIR, table: string): RouteAuthorizationIR[] {
  const services = new Map<string, RouteAuthorizationIR>();
  for (const host of ir.routeConfigs.find((config) => config.name === table)?.virtualHosts ?? []) {
    for (const route of host.routes) if (route.authorization && !services.has(route.authorization.name)) services.set(route.authorization.name, route.authorization);
  }
  return [...services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every Envoy resource of the IR, by type, as plain objects (what the golden files hold). */
export function translate(ir: GatewayIR): Record<string, object[]> {
  return {
    [typeUrls.cluster]: ir.clusters.map(clusterResource),
    [typeUrls.endpoint]: edsClusters(ir.clusters).map(endpointResource),
    [typeUrls.listener]: ir.listeners.map((listener) => listenerResource(listener, routeAuthorizationsOf(ir, listener.routeConfigName))),
    [typeUrls.route]: ir.routeConfigs.map(routeConfigResource),
    ...(ir.secrets?.length ? { [typeUrls.secret]: ir.secrets.map(secretResource) } : {}),
  };
}
