// The Gateway API's side of the tests, from the Gateway API project's own module through the Go
// module proxy (e2e/gateway-api/): its CRDs, experimental channel (a superset of standard).
import { fileURLToPath } from 'node:url';
import { kubectlOk } from './cluster.ts';
import { runOrThrow } from './processes.ts';

const gatewayApiDirectory = fileURLToPath(new URL('../gateway-api/', import.meta.url));
const crdNames = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'].map((plural) => `crd/${plural}.gateway.networking.k8s.io`);

let crdFile: Promise<string> | undefined;

/** Applies the Gateway API CRDs (the pinned release) and waits until the apiserver serves them. Idempotent. */
export async function installGatewayApiCrds(): Promise<void> {
  crdFile ??= runOrThrow('bash', [`${gatewayApiDirectory}crds.sh`], { stdio: ['ignore', 'pipe', 'inherit'] }).then((output) => output.trim());
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', await crdFile]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crdNames]);
}

export interface RouteStatus {
  status?: { parents?: Array<{ controllerName: string; parentRef: { name: string; sectionName?: string }; conditions: Array<{ type: string; status: string; reason: string; message: string }> }> };
}

export interface GatewayStatus {
  status?: {
    addresses?: Array<{ type?: string; value: string }>;
    conditions?: Array<{ type: string; status: string; reason: string }>;
    listeners?: Array<{ name: string; attachedRoutes: number; conditions: Array<{ type: string; status: string; reason: string }> }>;
    attachedListenerSets?: number;
  };
}
