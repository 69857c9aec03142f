import type { KubernetesObject } from '@kubernetes/client-node';
import { writeAtomically } from '../testbed/atomic-writer.ts';

/**
 * Writes a Secret's data into `directory` the way the kubelet mounts a Secret volume (the test
 * bed's atomic writer: a timestamped directory, `..data` swapped in one rename, each key a link
 * through it), for an Envoy a test runs on this machine. Writing again swaps `..data`, which is
 * what Envoy's watched_directory notices.
 */
export function mountSecret(directory: string, data: Record<string, string>): void {
  writeAtomically(directory, Object.entries(data).map(([key, value]) => ({ path: key, content: Buffer.from(value, 'base64'), mode: 0o644 })));
}

/** The data of the Secret among rendered objects, or of a Secret kubectl printed as JSON. */
export function secretData(objects: KubernetesObject[] | { data: Record<string, string> }): Record<string, string> {
  if (!Array.isArray(objects)) return objects.data;
  const secret = objects.find((object) => object.kind === 'Secret') as unknown as { data: Record<string, string> } | undefined;
  if (!secret) throw new Error('no Secret among the rendered objects');
  return secret.data;
}
