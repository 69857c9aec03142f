// A pod's volumes on this machine, as the kubelet makes them: ConfigMap, Secret, projected
// (ServiceAccount token, ConfigMap, Secret, downward API) and downwardAPI volumes written by the
// atomic writer and rewritten when what they hold changes; emptyDir a directory anyone may write
// (as the kubelet's); hostPath the machine's own path. Each container then sees them at its
// volumeMounts' paths (container.ts bind-mounts them).
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically, type VolumeFile } from './atomic-writer.ts';
import { ContainerConfigError, podField, resourceField } from './environment.ts';

export interface VolumeSources {
  /** A ConfigMap's data and binaryData, as bytes. */
  configMap(namespace: string, name: string): Record<string, Buffer> | undefined;
  /** A Secret's data, as bytes. */
  secret(namespace: string, name: string): Record<string, Buffer> | undefined;
  /** A token for the pod's ServiceAccount from the TokenRequest API, bound to the pod; cached and renewed by the caller. */
  token(pod: V1Pod, audience: string | undefined, expirationSeconds: number): string;
}

const defaultMode = 0o644;

function keyed(data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, mode: number, what: string, optional: boolean): VolumeFile[] {
  if (!items?.length) return Object.entries(data).map(([key, content]) => ({ path: key, content, mode }));
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`${what}: no key "${item.key}"`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return files;
}

function downward(pod: V1Pod, items: V1DownwardAPIVolumeFile[], mode: number): VolumeFile[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef) value = podField(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) {
      const container = pod.spec?.containers.find((candidate) => candidate.name === item.resourceFieldRef!.containerName) ?? pod.spec?.containers[0];
      if (container) value = resourceField(container, item.resourceFieldRef.resource, item.resourceFieldRef.divisor ?? '1');
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode ?? mode };
  });
}

/** The files of a volume written by the atomic writer, or undefined for a volume that is a plain directory. */
export function volumeFiles(pod: V1Pod, volume: V1Volume, sources: VolumeSources): VolumeFile[] | undefined {
  const namespace = pod.metadata?.namespace ?? 'default';
  if (volume.configMap) {
    const { name = '', items, optional = false } = volume.configMap;
    const data = sources.configMap(namespace, name);
    if (!data) {
      if (optional) return [];
      throw new ContainerConfigError(`configmap "${name}" not found`);
    }
    return keyed(data, items, volume.configMap.defaultMode ?? defaultMode, `configmap "${name}"`, optional);
  }
  if (volume.secret) {
    const { secretName = '', items, optional = false } = volume.secret;
    const data = sources.secret(namespace, secretName);
    if (!data) {
      if (optional) return [];
      throw new ContainerConfigError(`secret "${secretName}" not found`);
    }
    return keyed(data, items, volume.secret.defaultMode ?? defaultMode, `secret "${secretName}"`, optional);
  }
  if (volume.downwardAPI) return downward(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? defaultMode);
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? defaultMode;
    const files: VolumeFile[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const { audience, expirationSeconds = 3607, path } = source.serviceAccountToken;
        files.push({ path, content: Buffer.from(sources.token(pod, audience, expirationSeconds)), mode });
      } else if (source.configMap) {
        const { name = '', items, optional = false } = source.configMap;
        const data = sources.configMap(namespace, name);
        if (!data && !optional) throw new ContainerConfigError(`configmap "${name}" not found`);
        if (data) files.push(...keyed(data, items, mode, `configmap "${name}"`, optional));
      } else if (source.secret) {
        const { name = '', items, optional = false } = source.secret;
        const data = sources.secret(namespace, name);
        if (!data && !optional) throw new ContainerConfigError(`secret "${name}" not found`);
        if (data) files.push(...keyed(data, items, mode, `secret "${name}"`, optional));
      } else if (source.downwardAPI) files.push(...downward(pod, source.downwardAPI.items ?? [], mode));
    }
    return files;
  }
  return undefined;
}

/** Names the volume kinds the runtime serves; any other is refused with this reason. */
export function unsupportedVolume(volume: V1Volume): string | undefined {
  if (volume.configMap || volume.secret || volume.projected || volume.downwardAPI || volume.emptyDir || volume.hostPath) return undefined;
  const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  return `volume "${volume.name}": ${kind} volumes are not served by the test bed (configMap, secret, projected, downwardAPI, emptyDir and hostPath are)`;
}

/** Where a volume is on this machine. */
export function volumePath(podDirectory: string, volume: V1Volume): string {
  return volume.hostPath ? volume.hostPath.path : join(podDirectory, 'volumes', volume.name);
}

/** Brings a volume up to date on this machine; returns whether its files changed. */
export function syncVolume(pod: V1Pod, volume: V1Volume, podDirectory: string, sources: VolumeSources): boolean {
  const path = volumePath(podDirectory, volume);
  if (volume.hostPath) {
    if (volume.hostPath.type === 'DirectoryOrCreate') mkdirSync(path, { recursive: true });
    return false;
  }
  const files = volumeFiles(pod, volume, sources);
  if (files === undefined) {
    mkdirSync(path, { recursive: true });
    chmodSync(path, 0o777);
    return false;
  }
  return writeAtomically(path, files);
}
