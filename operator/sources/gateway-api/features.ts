// The Gateway API features Portico claims: what GatewayClass status.supportedFeatures lists and
// what the conformance run tests (conformance/reports/ holds the report of that run). A feature
// is listed here only when the suite's tests of it pass.
export const supportedFeatures: readonly string[] = [
  'Gateway',
  'HTTPRoute',
  'ReferenceGrant',
].sort();

/** The Gateway API release whose CRDs and conformance suite Portico is built and tested against. */
export const gatewayApiBundleVersion = 'v1.6.3';
