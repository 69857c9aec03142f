// Durations as the CRD writes them (Go's time.ParseDuration subset: "1h30m", "2.5s", "500ms"),
// which the schema's pattern has already checked.

const unitSeconds: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds in a duration like "1h30m"; throws on text the CRD's pattern would refuse. */
export function durationSeconds(text: string): number {
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(text)) throw new Error(`"${text}" is not a duration like 30s, 5m or 1h30m`);
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/([0-9]+(\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(amount) * unitSeconds[unit!]!;
  // Milliseconds are the finest unit: keep float noise out of the snapshot's hash.
  return Math.round(total * 1000) / 1000;
}
