// Kyverno's anchors in a patchStrategicMerge, resolved against the resource being patched,
// leaving a plain strategic merge patch:
// - `+(key): value` adds key only if the resource has none;
// - `(key): pattern` is a condition: the other fields of its map apply only if the
//   resource's key matches the pattern (`*` and `?` wildcards); in a list merged by a key,
//   the item applies to every resource item that matches, and to none if none does.
import type { PatchMeta } from './strategic-merge.ts';

type JsonMap = Record<string, unknown>;

const addAnchor = /^\+\((.+)\)$/;
const conditionAnchor = /^\((.+)\)$/;

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

/** Whether a resource value satisfies a condition anchor's pattern. */
function matches(actual: unknown, pattern: unknown): boolean {
  if (isMap(pattern)) {
    return isMap(actual) && Object.entries(pattern).every(([key, value]) => matches(actual[key], value));
  }
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && pattern.length === actual.length && pattern.every((value, index) => matches(actual[index], value));
  }
  if (actual === undefined || actual === null) return false;
  if (typeof pattern === 'string' && (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean')) {
    return globToRegExp(pattern).test(String(actual));
  }
  return actual === pattern;
}

/** The patch for `resource` with anchors resolved, or undefined when a condition fails. */
export function resolveAnchors(patch: JsonMap, resource: unknown, meta: PatchMeta): JsonMap | undefined {
  const here = isMap(resource) ? resource : {};
  for (const [key, value] of Object.entries(patch)) {
    const condition = conditionAnchor.exec(key);
    if (condition && !addAnchor.test(key) && !matches(here[condition[1]!], value)) return undefined;
  }
  const resolved: JsonMap = {};
  for (const [key, value] of Object.entries(patch)) {
    if (addAnchor.test(key)) {
      const field = addAnchor.exec(key)![1]!;
      if (here[field] === undefined) resolved[field] = value;
      continue;
    }
    if (conditionAnchor.test(key)) continue;
    const fieldMeta = meta.fields?.[key] ?? {};
    if (isMap(value)) {
      const inner = resolveAnchors(value, here[key], fieldMeta);
      if (inner !== undefined && (Object.keys(inner).length > 0 || Object.keys(value).length === 0)) resolved[key] = inner;
    } else if (Array.isArray(value)) {
      resolved[key] = resolveList(value, here[key], fieldMeta);
    } else {
      resolved[key] = value;
    }
  }
  return resolved;
}

function hasAnchors(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasAnchors);
  if (!isMap(value)) return false;
  return Object.entries(value).some(([key, inner]) => conditionAnchor.test(key) || addAnchor.test(key) || hasAnchors(inner));
}

function resolveList(patch: unknown[], resource: unknown, meta: PatchMeta): unknown[] {
  const items = Array.isArray(resource) ? resource : [];
  const key = meta.mergeList?.key;
  return patch.flatMap((item) => {
    if (!isMap(item) || !hasAnchors(item)) return [item];
    if (key === undefined) {
      // A list without a merge key is replaced whole: anchors apply against nothing.
      const resolved = resolveAnchors(item, undefined, meta.items ?? {});
      return resolved ? [resolved] : [];
    }
    // One patch item per resource item it matches, keyed like that item.
    return items.flatMap((existing) => {
      const resolved = resolveAnchors(item, existing, meta.items ?? {});
      if (!resolved || !isMap(existing)) return [];
      return [{ [key]: existing[key], ...resolved }];
    });
  });
}
