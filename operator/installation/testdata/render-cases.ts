// The renderer's golden cases (testdata/render/<case>/), shared by its golden-file test and
// the integration test that runs every rendered bootstrap through the real Envoy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { withDefaults } from '../../api/schema-defaults.ts';
import type { RenderSettings, XdsClientCredentials } from '../render.ts';

export const casesDirectory = new URL('./render/', import.meta.url);
export const renderSettings: RenderSettings = { xds: { host: 'portico-xds.portico-system.svc.cluster.local', port: 18000, tlsDirectory: '/etc/envoy/xds-tls' } };
export const renderCases = readdirSync(casesDirectory).sort();

/** A case's installation (defaulted as the apiserver stores it) and, if the case has one, its xDS client credentials. */
export function renderCase(name: string): { installation: GatewayInstallation; xdsClient?: XdsClientCredentials } {
  const installation = withDefaults(parseYaml(readFileSync(new URL(`${name}/installation.yaml`, casesDirectory), 'utf8')) as object);
  const clientFile = new URL(`${name}/xds-client.yaml`, casesDirectory);
  const xdsClient = existsSync(clientFile) ? (parseYaml(readFileSync(clientFile, 'utf8')) as XdsClientCredentials) : undefined;
  return { installation, xdsClient };
}
