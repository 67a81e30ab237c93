// Seeded randomness: every shuffle, split and initial weight comes from here, so a seed reproduces a run.

// The generator itself is the one in src/shared/random.ts (mulberry32), shared with the services and the renderer.
export { createRng } from '../../shared/random.js';

export function shuffleInPlace<T>(xs: T[], rng: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
  return xs;
}

/** Normal(0, std) values by Box-Muller. */
export function normals(n: number, std: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** A child seed, so independent parts (folds, models) do not share one stream. */
export function deriveSeed(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
}
