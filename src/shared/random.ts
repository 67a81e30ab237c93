// Seeded randomness, the one implementation: every shuffle, split, crop and initial weight that must repeat for a
// seed draws from createRng, in the engine, the services, the renderer's demo data and the benchmarks alike.

/** mulberry32: small, fast, good enough for shuffles and initialisers. Returns values in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
