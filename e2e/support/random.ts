// A seeded random source for generated test inputs: the same seed gives the same inputs, so a
// failure can be replayed.

export interface Random {
  /** A whole number from 0 to max - 1. */
  int(max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny and seedable; plenty to pick test inputs. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return { int, chance: (p) => next() < p, pick: (items) => items[int(items.length)]! };
}
