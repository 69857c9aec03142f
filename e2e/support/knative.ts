// Knative's side of the tests, taken from Knative's own code through the Go module proxy
// (e2e/knative/): the KIngress CRD, and the Go reference of the probe hash.
import { fileURLToPath } from 'node:url';
import { kubectlOk } from './cluster.ts';
import { runOrThrow } from './processes.ts';

const knativeDirectory = fileURLToPath(new URL('../knative/', import.meta.url));
export const kingressCrd = 'ingresses.networking.internal.knative.dev';

let crdFile: Promise<string> | undefined;
let hashref: Promise<string> | undefined;

async function scriptOutput(script: string): Promise<string> {
  return (await runOrThrow('bash', [`${knativeDirectory}${script}`], { stdio: ['ignore', 'pipe', 'inherit'] })).trim();
}

/**
 * Applies Knative's KIngress CRD (from the pinned knative.dev/networking) and waits until the
 * apiserver serves it. Idempotent: applying it again changes nothing.
 */
export async function installKnativeCrds(): Promise<void> {
  crdFile ??= scriptOutput('crd.sh');
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', await crdFile]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${kingressCrd}`]);
}

/** The Go reference of the probe hash (e2e/knative/hashref), built once into the cache. */
export function knativeHashref(): Promise<string> {
  hashref ??= scriptOutput('hashref/build.sh');
  return hashref;
}
