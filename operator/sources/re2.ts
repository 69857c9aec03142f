// What Envoy's regular expressions (RE2) refuse that a user may write: a pattern Envoy refuses
// would have it reject the whole route table, so translators check user patterns first. RE2 has
// no lookaround and no backreferences; the rest of JavaScript's syntax that RE2 lacks is rare
// enough that JavaScript's parser stands in for RE2's. Pure.

/** Longer patterns risk Envoy's program size limit, which cannot be checked here. */
export const maxPatternLength = 1024;

/** Why RE2 would refuse `pattern`, or undefined. A leading (?i) is RE2's and allowed. */
export function re2Problem(pattern: string): string | undefined {
  if (pattern.length > maxPatternLength) return `a regular expression of ${pattern.length} characters is longer than the ${maxPatternLength} Portico accepts`;
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not RE2 syntax';
  if (/\\[1-9]/.test(pattern)) return 'backreferences (\\1 …) are not RE2 syntax';
  try {
    new RegExp(pattern.replace(/^\(\?i\)/, ''));
  } catch (error) {
    return `not a regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** How many capture groups `pattern` has (the highest $n a rewrite may use). */
export function captureGroups(pattern: string): number {
  // An alternative that matches the empty string makes exec() report every group.
  return (new RegExp(`${pattern.replace(/^\(\?i\)/, '')}|`).exec('')?.length ?? 1) - 1;
}
