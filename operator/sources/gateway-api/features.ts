// The Gateway API features Portico claims: what GatewayClass status.supportedFeatures lists and
// what the conformance run tests (conformance/reports/ holds the report of that run). A feature
// is listed here only when the suite's tests of it pass.
export const supportedFeatures: readonly string[] = [
  // Core of the GATEWAY-HTTP, GATEWAY-GRPC, GATEWAY-TLS and GATEWAY-TCP profiles.
  'Gateway',
  'GRPCRoute',
  'HTTPRoute',
  'ReferenceGrant',
  'TCPRoute',
  'TLSRoute',
  // GRPCRoute, extended.
  'GRPCRouteNamedRouteRule',
  // TLSRoute, extended.
  'TLSRouteModeMixed',
  'TLSRouteModeTerminate',
  // TLS to backends (extended, of the HTTP profile).
  'BackendTLSPolicy',
  'BackendTLSPolicySANValidation',
  // Gateway, extended.
  'GatewayAddressEmpty',
  'GatewayBackendClientCertificate',
  'GatewayFrontendClientCertificateValidation',
  'GatewayFrontendClientCertificateValidationInsecureFallback',
  'GatewayHTTPListenerIsolation',
  'GatewayHTTPSListenerDetectMisdirectedRequests',
  'GatewayInfrastructure',
  'GatewayPort8080',
  'GatewayStaticAddresses',
  'ListenerSet',
  // HTTPRoute, extended.
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteCORS',
  'HTTPRouteDestinationPortMatching',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestMirror',
  'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteRetry',
  'HTTPRouteRetryBackendTimeout',
  'HTTPRouteRetryConnectionError',
  'HTTPRouteSchemeRedirect',
].sort();

/** The Gateway API release whose CRDs and conformance suite Portico is built and tested against. */
export const gatewayApiBundleVersion = 'v1.6.3';
