// Kyverno's anchors in a patchStrategicMerge, resolved against the resource being patched,
// leaving a plain strategic merge patch, or nothing when the rule does not apply:
// - `+(key): value` adds key only if the resource has none;
// - `(key): pattern` is a condition (kyverno-pattern.ts says what matches): the patch applies
//   only if every condition holds, so one that fails in a map skips the whole patch; in a list
//   merged by a key, the item applies to every resource item that satisfies its conditions,
//   keyed like that item, and to none if none does;
// - `<(key): pattern` is a global condition: when it fails, the whole patch is skipped; in a
//   list, an item with one skips the patch unless some resource item satisfies the item's
//   conditions, and is itself no part of the patch (it only tests).
import { satisfies } from './kyverno-pattern.ts';
import type { PatchMeta } from './strategic-merge.ts';

type JsonMap = Record<string, unknown>;

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Modifier = '+' | '<' | '';

/** A key `+(name)`, `<(name)` or `(name)`; the other anchors of validate rules are plain keys here. */
function parseAnchor(key: string): { modifier: Modifier; name: string } | undefined {
  const parts = /^([+<]?)\((.+)\)$/.exec(key.trim());
  return parts ? { modifier: parts[1] as Modifier, name: parts[2]! } : undefined;
}

/** A condition that failed; `global` when it was a global one. */
class Skip extends Error {
  readonly global: boolean;
  constructor(global: boolean) {
    super(global ? 'a global condition failed' : 'a condition failed');
    this.global = global;
  }
}

/** The patch for `resource` with anchors resolved, or undefined when a condition skips it. */
export function resolveAnchors(patch: JsonMap, resource: unknown, meta: PatchMeta): JsonMap | undefined {
  try {
    return resolveMap(patch, resource, meta);
  } catch (error) {
    if (error instanceof Skip) return undefined;
    throw error;
  }
}

function resolveMap(patch: JsonMap, resource: unknown, meta: PatchMeta): JsonMap {
  const here = isMap(resource) ? resource : undefined;
  // Global conditions first, so that a failing one is told apart from a plain condition's failure.
  for (const modifier of ['<', ''] as const) {
    for (const [key, pattern] of Object.entries(patch)) {
      const anchor = parseAnchor(key);
      if (anchor?.modifier !== modifier) continue;
      if (!here || !Object.hasOwn(here, anchor.name) || !satisfies(here[anchor.name], pattern)) throw new Skip(modifier === '<');
    }
  }
  const resolved: JsonMap = {};
  for (const [key, value] of Object.entries(patch)) {
    const anchor = parseAnchor(key);
    if (anchor && anchor.modifier !== '+') continue;
    if (anchor && here && Object.hasOwn(here, anchor.name)) continue;
    const field = anchor?.name ?? key;
    const fieldMeta = meta.fields?.[field] ?? {};
    if (isMap(value)) {
      const inner = resolveMap(value, here?.[field], fieldMeta);
      // A map left empty by its anchors is no part of the patch.
      if (Object.keys(inner).length > 0 || Object.keys(value).length === 0) resolved[field] = inner;
    } else if (Array.isArray(value)) {
      resolved[field] = resolveList(value, here?.[field], fieldMeta);
    } else {
      resolved[field] = value;
    }
  }
  return resolved;
}

function hasAnchors(value: unknown, modifiers: Modifier[]): boolean {
  if (Array.isArray(value)) return value.some((item) => hasAnchors(item, modifiers));
  if (!isMap(value)) return false;
  return Object.entries(value).some(([key, inner]) => {
    const anchor = parseAnchor(key);
    return (anchor !== undefined && modifiers.includes(anchor.modifier)) || hasAnchors(inner, modifiers);
  });
}

function resolveList(patch: unknown[], resource: unknown, meta: PatchMeta): unknown[] {
  const items = Array.isArray(resource) ? resource : [];
  const key = meta.mergeList?.key;
  const itemMeta = meta.items ?? {};
  return patch.flatMap((item) => {
    if (!isMap(item) || !hasAnchors(item, ['+', '<', ''])) return [item];
    if (key === undefined) {
      // A list without a merge key is replaced whole: anchors apply against nothing.
      try {
        return [resolveMap(item, undefined, itemMeta)];
      } catch (error) {
        if (error instanceof Skip && !error.global) return [];
        throw error;
      }
    }
    // One patch item per resource item whose conditions hold, keyed like that item.
    const gate = hasAnchors(item, ['<']);
    const resolved: JsonMap[] = [];
    let passed = false;
    let globalFailed = false;
    for (const existing of items) {
      try {
        const inner = resolveMap(item, existing, itemMeta);
        passed = true;
        if (isMap(existing) && Object.keys(inner).length > 0) resolved.push({ [key]: existing[key], ...inner });
      } catch (error) {
        if (!(error instanceof Skip)) throw error;
        globalFailed ||= error.global;
      }
    }
    if (!passed && (globalFailed || (gate && items.length === 0))) throw new Skip(true);
    return gate ? [] : resolved;
  });
}
