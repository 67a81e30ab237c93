// Synthetic feature maps for tests: each ID class has a foreground direction on a few positions and every image
// shares a background direction elsewhere, so the right positions, classes and OOD images are known.
import { createRng, normals } from './rng.js';
import { createMemoryStore } from './memory-store.js';
import type { FeatureLayout, FeatureStore } from '../types.js';

export interface SyntheticSpec {
  classes: number;
  /** Images per ID class. */
  perClass: number;
  /** OOD images (a foreground direction no class has). */
  ood: number;
  /** Extra images of a hidden sub-type: class `clusterOf` foreground plus a direction of their own. */
  cluster?: number;
  clusterOf?: number;
  side?: number;
  channels?: number;
  noise?: number;
  seed?: number;
}

export interface SyntheticData {
  store: FeatureStore;
  layout: FeatureLayout;
  /** Row -> label: class index, -1 for OOD, -2 for the hidden cluster. */
  labels: number[];
}

export function syntheticFeatures(spec: SyntheticSpec): SyntheticData {
  const side = spec.side ?? 4;
  const C = spec.channels ?? 16;
  const P = side * side;
  const rng = createRng(spec.seed ?? 1);
  const noise = spec.noise ?? 0.3;
  const dirs = Array.from({ length: spec.classes + 3 }, () => normals(C, 1, rng).map((x) => Math.abs(x)));
  const background = dirs[spec.classes]!;
  const oodDir = dirs[spec.classes + 1]!;
  const clusterDir = dirs[spec.classes + 2]!;
  const labels: number[] = [];
  for (let k = 0; k < spec.classes; k++) for (let i = 0; i < spec.perClass; i++) labels.push(k);
  for (let i = 0; i < spec.ood; i++) labels.push(-1);
  for (let i = 0; i < (spec.cluster ?? 0); i++) labels.push(-2);
  const n = labels.length;
  const layout: FeatureLayout = { mapH: side, mapW: side, mapC: C, pooledC: C };
  const maps = new Float32Array(n * P * C);
  const pooled = new Float32Array(n * C);
  labels.forEach((y, i) => {
    // Foreground: a centred block of positions; the rest is background.
    for (let j = 0; j < P; j++) {
      const r = Math.floor(j / side);
      const c = j % side;
      const fg = r >= 1 && r < side - 1 && c >= 1 && c < side - 1;
      const eps = normals(C, noise, rng);
      for (let ch = 0; ch < C; ch++) {
        let v: number;
        if (!fg) v = background[ch]!;
        else if (y >= 0) v = dirs[y]![ch]!;
        else if (y === -1) v = oodDir[ch]!;
        else v = 0.5 * dirs[spec.clusterOf ?? 0]![ch]! + clusterDir[ch]!;
        v = Math.max(0, v + eps[ch]!);
        maps[(i * P + j) * C + ch] = v;
        pooled[i * C + ch]! += v / P;
      }
    }
  });
  return { store: createMemoryStore(layout, maps, pooled), layout, labels };
}
