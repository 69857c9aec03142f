// RFC 6902 JSON patches as Kyverno applies them, with three leniencies it documents:
// - `add` creates the parents its path lacks (a list where the next token is an index or `-`,
//   padded with nulls up to that index; a map otherwise);
// - a negative index counts from the end: `-1` is the last item (for `add`, after it);
// - `remove` of a path that does not exist does nothing.
// Each operation applies to what the ones before it made; the first that fails fails the patch.
import { applyPatch, Pointer, type Operation } from 'rfc6902';
import type { JsonPatchOperation } from '../../api/gatewayinstallation.ts';
import { PatchError } from './strategic-merge.ts';

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

const index = /^-?(0|[1-9]\d*)$/;

/**
 * The pointer with negative list indexes made positive against `document`; `last` is true for
 * the target of an `add`, where `-1` means after the last item.
 */
function resolvePointer(document: unknown, path: string, last: boolean): string {
  const tokens = Pointer.fromJSON(path).tokens.slice(1);
  let current: unknown = document;
  const resolved = tokens.map((token, position) => {
    if (Array.isArray(current) && index.test(token) && token.startsWith('-')) {
      const length = current.length + (last && position === tokens.length - 1 ? 1 : 0);
      const offset = Number(token);
      if (offset >= -length) token = String(length + offset);
    }
    current = isContainer(current) ? (current as Record<string, unknown>)[token] : undefined;
    return token;
  });
  return new Pointer(['', ...resolved]).toString();
}

/** Whether the path names something in `document`. */
function exists(document: unknown, path: string): boolean {
  let current: unknown = document;
  for (const token of Pointer.fromJSON(path).tokens.slice(1)) {
    if (Array.isArray(current) ? !(index.test(token) && Number(token) >= 0 && Number(token) < current.length) : !isContainer(current) || !Object.hasOwn(current, token)) return false;
    current = (current as Record<string, unknown>)[token];
  }
  return true;
}

/** Creates the parents of `path` that `document` lacks. */
function ensureParents(document: unknown, path: string): void {
  const tokens = Pointer.fromJSON(path).tokens.slice(1);
  let current: unknown = document;
  tokens.slice(0, -1).forEach((token, position) => {
    if (!isContainer(current)) return;
    const container = current as Record<string, unknown>;
    if (container[token] === undefined || container[token] === null) {
      if (Array.isArray(current) && index.test(token)) while (current.length < Number(token)) current.push(null);
      const next = tokens[position + 1]!;
      const nextIndex = index.test(next) ? Math.max(Number(next), 0) : next === '-' ? 0 : undefined;
      container[token] = nextIndex === undefined ? {} : new Array<unknown>(nextIndex).fill(null);
    }
    current = container[token];
  });
}

/** Applies `operations` to `document` in place. */
export function applyJson6902(document: Record<string, unknown>, operations: JsonPatchOperation[]): void {
  operations.forEach((operation, position) => {
    const path = resolvePointer(document, operation.path, operation.op === 'add');
    const from = operation.from === undefined ? undefined : resolvePointer(document, operation.from, false);
    if (operation.op === 'remove' && !exists(document, path)) return;
    if (operation.op === 'add') ensureParents(document, path);
    const [result] = applyPatch(document, [{ ...operation, path, ...(from === undefined ? {} : { from }) } as Operation]);
    if (result) throw new PatchError(`operation ${position} (${operation.op} ${operation.path}): ${result.message}`);
  });
}
