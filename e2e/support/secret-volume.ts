import type { KubernetesObject } from '@kubernetes/client-node';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

let generation = 0;

/**
 * Writes a Secret's data into `directory` the way the kubelet mounts a Secret volume: the
 * files live in a timestamped directory, `..data` points at it, and each key is a link through
 * `..data`. Writing again swaps `..data` in one rename, as the kubelet does when the Secret
 * changes; that rename is what Envoy's watched_directory notices.
 */
export function mountSecret(directory: string, data: Record<string, string>): void {
  generation += 1;
  const version = `..${Date.now()}_${generation}`;
  mkdirSync(join(directory, version), { recursive: true });
  for (const [key, value] of Object.entries(data)) writeFileSync(join(directory, version, key), Buffer.from(value, 'base64'));
  const previous = existsSync(join(directory, '..data')) ? readlinkSync(join(directory, '..data')) : undefined;
  symlinkSync(version, join(directory, '..data_tmp'));
  renameSync(join(directory, '..data_tmp'), join(directory, '..data'));
  for (const key of Object.keys(data)) if (!existsSync(join(directory, key))) symlinkSync(join('..data', key), join(directory, key));
  if (previous) rmSync(join(directory, previous), { recursive: true, force: true });
}

/** The data of the Secret among rendered objects, or of a Secret kubectl printed as JSON. */
export function secretData(objects: KubernetesObject[] | { data: Record<string, string> }): Record<string, string> {
  if (!Array.isArray(objects)) return objects.data;
  const secret = objects.find((object) => object.kind === 'Secret') as unknown as { data: Record<string, string> } | undefined;
  if (!secret) throw new Error('no Secret among the rendered objects');
  return secret.data;
}
