// Seeded randomness: every random kill moment, mutation and choice can be replayed from the printed seed.
import { createRng } from '../../../src/shared/random.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

/** The app's one seeded generator (src/shared/random.ts) with the helpers test schedules need. */
export function rng(seed: number): Rng {
  const next = createRng(seed);
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

/** The seed for a run: SSOD_RELIABILITY_SEED when set (to replay a failure), else fixed so CI is reproducible. */
export function baseSeed(): number {
  const env = process.env.SSOD_RELIABILITY_SEED;
  return env ? Number(env) : 20240601;
}

/** A positive integer from the environment (sizes that CI keeps small and a long run makes large). */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}
