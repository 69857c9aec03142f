// What Envoy's regular expressions (RE2) refuse that a user may write: a pattern Envoy refuses
// would have it reject the whole route table, so translators check user patterns first. RE2 has
// no lookaround and no backreferences; the rest of JavaScript's syntax that RE2 lacks is rare
// enough that JavaScript's parser stands in for RE2's. Pure.

/** Longer patterns risk Envoy's program size limit, which cannot be checked here. */
export const maxPatternLength = 1024;

// The constructs JavaScript's regexes have and RE2's (Envoy's) lack, outside character classes.
function re2Lacks(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      // RE2 refuses \1 … \9 inside a class as well; \k is a backreference only outside one.
      if (/[1-9]/.test(next) || (!inClass && next === 'k')) return 'a backreference';
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
      // A ] first in a class is literal in RE2.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
      return 'a lookbehind';
    } else if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i)) {
      return 'a lookahead';
    }
  }
  return undefined;
}

/** Why RE2 would refuse `pattern`, or undefined. A leading (?i) is RE2's and allowed. */
export function re2Problem(pattern: string): string | undefined {
  if (pattern.length > maxPatternLength) return `is longer than ${maxPatternLength} characters, which Portico accepts at most`;
  try {
    new RegExp(pattern.replace(/^\(\?i\)/, ''));
  } catch (error) {
    return `is not a regular expression (${error instanceof Error ? error.message : String(error)})`;
  }
  const lacking = re2Lacks(pattern);
  return lacking ? `uses ${lacking}, which Envoy's RE2 lacks` : undefined;
}

/** How many capture groups `pattern` has (the highest $n a rewrite may use). */
export function captureGroups(pattern: string): number {
  // An alternative that matches the empty string makes exec() report every group.
  return (new RegExp(`${pattern.replace(/^\(\?i\)/, '')}|`).exec('')?.length ?? 1) - 1;
}
