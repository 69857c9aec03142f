/**
 * Whether a live object already has every field of the desired one, so that applying the
 * desired object would change nothing. Server-side apply only asserts the fields we send;
 * fields the apiserver defaults or other managers set are not ours to compare. Lists must
 * have the same length, each item holding the desired item's fields.
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === null || typeof desired !== 'object') return sameScalar(live, desired);
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((item, index) => containsDesired(live[index], item));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  const liveRecord = live as Record<string, unknown>;
  return Object.entries(desired).every(([key, value]) => {
    // An empty object or list we send is the same as one the apiserver omits.
    if (isEmpty(value) && (liveRecord[key] === undefined || isEmpty(liveRecord[key]))) return true;
    return containsDesired(liveRecord[key], value);
  });
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length === 0;
}

function sameScalar(live: unknown, desired: unknown): boolean {
  if (live === desired) return true;
  // The apiserver may store an int-or-string as the other form ("1" and 1 for a CPU limit).
  return (typeof live === 'number' || typeof live === 'string') && (typeof desired === 'number' || typeof desired === 'string') && String(live) === String(desired);
}
