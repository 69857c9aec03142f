// What the fuzz tests share: their settings from the environment (PORTICO_FUZZ_SEED,
// PORTICO_FUZZ_ROUNDS, PORTICO_FUZZ_ROUND), one random stream per round so that any round
// replays alone, and sampling without repeats.
import { seededRandom, type Random } from './random.ts';

function envInteger(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${name}=${text}: expected an integer from 0 to ${max}`);
  return value;
}

export interface FuzzSettings {
  seed: number;
  rounds: number;
  /** Set: replay this round alone. */
  onlyRound?: number;
  seedText: string;
  /** Round n's own stream: it depends on (seed, n) alone. */
  roundRandom: (round: number) => Random;
}

/** The seed and rounds a fuzz test runs with: its defaults, unless the environment says otherwise. */
export function fuzzSettings(defaultSeed: number, defaultRounds: number): FuzzSettings {
  const seed = envInteger('PORTICO_FUZZ_SEED', defaultSeed, 0xffffffff);
  const onlyRound = process.env.PORTICO_FUZZ_ROUND ? envInteger('PORTICO_FUZZ_ROUND', 0) : undefined;
  return {
    seed,
    rounds: envInteger('PORTICO_FUZZ_ROUNDS', defaultRounds),
    ...(onlyRound === undefined ? {} : { onlyRound }),
    seedText: `0x${seed.toString(16)}`,
    roundRandom: (round) => seededRandom(seed ^ Math.imul(round + 1, 0x9e3779b9)),
  };
}

/** `count` distinct items, in random order. */
export function sample<T>(r: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  for (let i = 0; i < Math.min(count, pool.length); i++) {
    const j = i + r.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}
