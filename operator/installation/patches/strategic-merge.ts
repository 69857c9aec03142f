// Kubernetes strategic merge patch (what `kubectl patch --type strategic` does), for the
// objects Portico patches. No JavaScript library implements it: the algorithm lives in Go,
// in k8s.io/apimachinery/pkg/util/strategicpatch, and needs each type's merge keys, which
// `PatchMeta` carries here. Checked against the real kubectl over a corpus of patches.

/** How a field merges: maps recurse; lists are replaced unless they merge (by a key, or as a set). */
export interface PatchMeta {
  /** Map fields with their own merge rules; fields not named here replace (lists) or recurse (maps). */
  fields?: Record<string, PatchMeta>;
  /** A list that merges: items are matched by this key (lists of maps), or united (lists of scalars, key absent). */
  mergeList?: { key?: string };
  /** The merge rules of a merging list's items. */
  items?: PatchMeta;
}

/** Merge rules of a v1 Service, from the patchStrategy tags of k8s.io/api/core/v1. */
export const servicePatchMeta: PatchMeta = {
  fields: {
    metadata: {
      fields: {
        ownerReferences: { mergeList: { key: 'uid' } },
        finalizers: { mergeList: {} },
      },
    },
    spec: { fields: { ports: { mergeList: { key: 'port' } } } },
    status: { fields: { conditions: { mergeList: { key: 'type' } } } },
  },
};

export class PatchError extends Error {}

type JsonMap = Record<string, unknown>;

const directive = '$patch';
const retainKeys = '$retainKeys';
const deleteFromPrimitiveList = '$deleteFromPrimitiveList/';
const setElementOrder = '$setElementOrder/';

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Returns `original` with `patch` merged in; neither argument is changed. */
export function strategicMerge(original: JsonMap, patch: JsonMap, meta: PatchMeta): JsonMap {
  return mergeMap(structuredClone(original), patch, meta);
}

function mergeMap(original: JsonMap, patch: JsonMap, meta: PatchMeta): JsonMap {
  const strategy = patch[directive];
  if (strategy === 'replace') return stripDirectives(patch, meta) as JsonMap;
  if (strategy === 'delete') return {};
  if (strategy !== undefined && strategy !== 'merge') throw new PatchError(`unknown ${directive} directive ${JSON.stringify(strategy)}`);

  const retained = patch[retainKeys];
  if (retained !== undefined) {
    if (!Array.isArray(retained)) throw new PatchError(`${retainKeys} must be a list of field names`);
    for (const key of Object.keys(original)) if (!retained.includes(key)) Reflect.deleteProperty(original, key);
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveList)) {
      const field = key.slice(deleteFromPrimitiveList.length);
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      const current = original[field];
      if (Array.isArray(current)) original[field] = current.filter((item) => !value.some((removed) => sameValue(removed, item)));
    }
  }

  // A $setElementOrder without a patch of its list reorders the list as it is.
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrder)) continue;
    const field = key.slice(setElementOrder.length);
    if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
    const fieldMeta = meta.fields?.[field];
    if (!(field in patch) && fieldMeta?.mergeList && Array.isArray(original[field])) original[field] = mergeList(original[field], [], fieldMeta, value);
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key === directive || key === retainKeys || key.startsWith(deleteFromPrimitiveList) || key.startsWith(setElementOrder)) continue;
    const fieldMeta = meta.fields?.[key] ?? {};
    if (value === null) {
      Reflect.deleteProperty(original, key);
      continue;
    }
    const current = original[key];
    if (isMap(value)) {
      // `$patch: delete` leaves an empty map in place, as kubectl's does.
      original[key] = mergeMap(isMap(current) ? current : {}, value, fieldMeta);
    } else if (Array.isArray(value)) {
      const order = patch[`${setElementOrder}${key}`];
      original[key] = mergeList(Array.isArray(current) ? current : [], value, fieldMeta, Array.isArray(order) ? order : undefined);
    } else {
      original[key] = value;
    }
  }
  return original;
}

function mergeList(original: unknown[], patch: unknown[], meta: PatchMeta, order: unknown[] | undefined): unknown[] {
  if (patch.some((item) => isMap(item) && item[directive] === 'replace')) {
    return patch.filter((item) => !(isMap(item) && item[directive] === 'replace')).map((item) => stripDirectives(item, meta.items ?? {}));
  }
  if (!meta.mergeList) return patch.map((item) => stripDirectives(item, meta.items ?? {}));

  const key = meta.mergeList.key;
  const identity = (item: unknown): unknown => (key !== undefined && isMap(item) ? item[key] : item);
  const indexIn = (list: unknown[], item: unknown) => list.findIndex((candidate) => sameValue(identity(candidate), identity(item)));
  if (key !== undefined) {
    for (const item of patch) {
      if (!isMap(item)) throw new PatchError(`a list merged by "${key}" holds objects, not ${JSON.stringify(item)}`);
      if (!(key in item)) throw new PatchError(`an item of a list merged by "${key}" has no "${key}": ${JSON.stringify(item)}`);
    }
  }
  const deletions = patch.filter((item) => isMap(item) && item[directive] === 'delete');
  const additions = patch.filter((item) => !(isMap(item) && item[directive] === 'delete'));
  if (order) checkOrder(additions, order, identity);

  // Deletions first, then every other patch item merges into its match or is appended.
  const server = original.filter((item) => indexIn(deletions, item) < 0);
  const merged = [...server];
  for (const item of additions) {
    const index = indexIn(merged, item);
    if (key === undefined) {
      if (index < 0) merged.push(item);
    } else if (index >= 0) {
      merged[index] = mergeMap(merged[index] as JsonMap, item as JsonMap, meta.items ?? {});
    } else {
      merged.push(mergeMap({}, item as JsonMap, meta.items ?? {}));
    }
  }
  if (additions.length === 0 && !order) return merged;

  // The order apimachinery gives (normalizeElementOrder): the patch's items in the patch's
  // (or $setElementOrder's) order, the server's other items in theirs, merged so that an
  // item the server had keeps its place among the server's others, and an item new to the
  // server comes before the server items still to place.
  const wanted = order ?? additions;
  const fromPatch = merged.filter((item) => indexIn(wanted, item) >= 0).sort((a, b) => indexIn(wanted, a) - indexIn(wanted, b));
  const serverOnly = merged.filter((item) => indexIn(wanted, item) < 0);
  const result: unknown[] = [];
  let left = 0;
  let right = 0;
  while (left < serverOnly.length || right < fromPatch.length) {
    if (right >= fromPatch.length) {
      result.push(serverOnly[left++]);
    } else if (left >= serverOnly.length) {
      result.push(fromPatch[right++]);
    } else {
      const serverIndex = indexIn(server, serverOnly[left]);
      const patchItemServerIndex = indexIn(server, fromPatch[right]);
      if (serverIndex >= 0 && patchItemServerIndex >= 0 && serverIndex < patchItemServerIndex) result.push(serverOnly[left++]);
      else result.push(fromPatch[right++]);
    }
  }
  return result;
}

/** A $setElementOrder list must name the patch's items, in the patch's order (as kubectl insists). */
function checkOrder(additions: unknown[], order: unknown[], identity: (item: unknown) => unknown): void {
  let last = -1;
  for (const item of additions) {
    const position = order.findIndex((entry) => sameValue(identity(entry), identity(item)));
    if (position <= last) throw new PatchError(`the patch list's order does not match its $setElementOrder list: ${JSON.stringify(order)}`);
    last = position;
  }
}

/** A patch value placed where nothing was: merged into emptiness, so its directives are applied. */
function stripDirectives(value: unknown, meta: PatchMeta): unknown {
  if (Array.isArray(value)) return mergeList([], value, meta, undefined);
  if (isMap(value)) {
    const copy: JsonMap = { ...value };
    Reflect.deleteProperty(copy, directive);
    return mergeMap({}, copy, meta);
  }
  return value;
}
