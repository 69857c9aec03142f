// The installation's service.patches, applied in order to each generated Service they match,
// as a Kyverno mutate rule would (kyverno-anchors.ts, json6902.ts; the README says where Portico
// departs from Kyverno's CLI): a patch whose conditions fail is skipped, a patch that fails is
// reported by its index and skipped, and the others still apply.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ServicePatch } from '../../api/gatewayinstallation.ts';
import type { Problem } from '../status.ts';
import { applyJson6902 } from './json6902.ts';
import { resolveAnchors } from './kyverno-anchors.ts';
import { PatchError, servicePatchMeta, strategicMerge } from './strategic-merge.ts';

type JsonMap = Record<string, unknown>;

function matchesService(patch: ServicePatch, service: KubernetesObject): boolean {
  const { name, labels } = patch.match ?? {};
  if (name !== undefined && service.metadata?.name !== name) return false;
  return Object.entries(labels ?? {}).every(([key, value]) => service.metadata?.labels?.[key] === value);
}

function applyOne(service: JsonMap, patch: ServicePatch): JsonMap {
  if (patch.patchStrategicMerge) {
    const resolved = resolveAnchors(patch.patchStrategicMerge, service, servicePatchMeta);
    return resolved ? strategicMerge(service, resolved, servicePatchMeta) : service;
  }
  const patched = structuredClone(service);
  applyJson6902(patched, patch.patchesJson6902 ?? []);
  return patched;
}

/** What a patch may not change: the identity the operator applies the Service by. */
function checkIdentity(before: KubernetesObject, after: JsonMap): void {
  const metadata = after.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (after.apiVersion !== before.apiVersion || after.kind !== before.kind || metadata?.name !== before.metadata?.name || metadata?.namespace !== before.metadata?.namespace) {
    throw new PatchError('a patch may not change apiVersion, kind, metadata.name or metadata.namespace');
  }
}

export function applyServicePatches(objects: KubernetesObject[], patches: ServicePatch[] = []): { objects: KubernetesObject[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const failed = new Set<number>();
  const patchedObjects = objects.map((object) => {
    if (object.kind !== 'Service') return object;
    let current = object as JsonMap;
    patches.forEach((patch, index) => {
      if (!matchesService(patch, object)) return;
      try {
        const next = applyOne(current, patch);
        checkIdentity(object, next);
        current = next;
      } catch (error) {
        if (failed.has(index)) return;
        failed.add(index);
        const reason = error instanceof Error ? error.message : String(error);
        problems.push({ reason: 'ServicePatchFailed', message: `spec.service.patches[${index}] cannot apply to Service ${object.metadata?.name}: ${reason}.` });
      }
    });
    return current;
  });
  return { objects: patchedObjects, problems };
}
