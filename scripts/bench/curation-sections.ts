// Sections of `npm run bench:curation` beyond the neighbour index: label issues (synthetic timing at 100,000 and
// the planted-noise measurement on Fashion-MNIST), and the 2-D map.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { findLabelIssues, probsFromTop, type ProbabilityTable } from '../../src/engine/curation/label-issues.js';
import { pcaLayout, umapLayout } from '../../src/engine/curation/embedding-map.js';
import { clusteredVectors } from '../../src/engine/curation/testing.js';
import { createRng, normals, shuffleInPlace } from '../../src/engine/ssod/rng.js';
import { extractGrey, loadMobileNetV2, loadSet, saveSet } from '../data/bench-features.js';
import { loadFashion, pickPerClass } from '../data/fashion-mnist.js';
import { oofSoftmax } from './curation-softmax.js';

function rssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function benchLabels(n: number): void {
  const m = 10;
  const rng = createRng(3);
  const probs = new Float32Array(n * m);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const logits = normals(m, 1, rng);
    logits[i % m] = logits[i % m]! + 3;
    const mx = Math.max(...logits);
    const e = Array.from(logits, (v) => Math.exp(v - mx));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => (probs[i * m + j] = v / z));
    labels[i] = rng() < 0.05 ? (i + 1) % m : i % m;
  }
  const t0 = performance.now();
  const r = findLabelIssues({ probs, n, m }, labels);
  console.log(
    `\n## label issues over ${n} images, ${m} classes: ${((performance.now() - t0) / 1000).toFixed(2)} s ` +
      `(${r.ranked.filter((x) => x.isIssue).length} issues, ${r.estimatedErrors.toFixed(0)} estimated errors)`,
  );
}

/** Seconds from the start at which each progress phase first reported, e.g. "map-reduce 0.0, map 12.3". */
function phaseClock(): { onProgress: (p: { phase: string }) => void; line: () => string } {
  const t0 = performance.now();
  const first = new Map<string, number>();
  return {
    onProgress: (p) => void (first.has(p.phase) || first.set(p.phase, (performance.now() - t0) / 1000)),
    line: () => [...first].map(([k, v]) => `${k} from ${v.toFixed(1)} s`).join(', '),
  };
}

export async function benchMap(n: number, reduceTo?: number, sampleSize?: number): Promise<void> {
  const m = clusteredVectors(Math.ceil(n / 100), 100, 960, 0.6, 9);
  const t0 = performance.now();
  pcaLayout(m);
  const pca = (performance.now() - t0) / 1000;
  const clock = phaseClock();
  const t1 = performance.now();
  const options = {
    onProgress: clock.onProgress,
    ...(reduceTo !== undefined ? { reduceTo } : {}),
    ...(sampleSize !== undefined ? { sampleSize } : {}),
  };
  const layout = await umapLayout(m, options);
  const umap = (performance.now() - t1) / 1000;
  console.log(
    `\n## map of ${m.rows} vectors (960-d, ${m.rows / 100} clusters): PCA layout ${pca.toFixed(1)} s; UMAP ` +
      `(reduce to ${reduceTo ?? 'default'} dims, sample ${sampleSize ?? 'default'}) ${umap.toFixed(1)} s ` +
      `(${clock.line()}); nearest map neighbour in the same cluster ${(100 * mapPurity(layout, 100)).toFixed(1)}% ` +
      `of 2,000 probes; peak RSS ${rssMiB()} MiB`,
  );
}

/** Share of probe points whose nearest other point on the map is of their own cluster (rows i, cluster i / per). */
function mapPurity(layout: Float32Array, perCluster: number): number {
  const n = layout.length / 2;
  const rng = createRng(5);
  let same = 0;
  const probes = 2000;
  for (let p = 0; p < probes; p++) {
    const i = Math.floor(rng() * n);
    let [best, bestD] = [-1, Infinity];
    for (let j = 0; j < n; j++) {
      const d = (layout[2 * i]! - layout[2 * j]!) ** 2 + (layout[2 * i + 1]! - layout[2 * j + 1]!) ** 2;
      if (j !== i && d < bestD) [best, bestD] = [j, d];
    }
    if (Math.floor(best / perCluster) === Math.floor(i / perCluster)) same++;
  }
  return same / probes;
}

interface Measured {
  k: number;
  precision: number;
  recall: number;
}

function topK(ranked: { index: number }[], planted: Set<number>, ks: number[]): Measured[] {
  return ks.map((k) => {
    const hits = ranked.slice(0, k).filter((r) => planted.has(r.index)).length;
    return { k, precision: hits / k, recall: hits / planted.size };
  });
}

/** Features of `perClass` Fashion-MNIST training images of every class, cached under `work`. */
async function fashionFeatures(
  work: string,
  perClass: number,
): Promise<{ x: Float32Array; d: number; labels: Int32Array }> {
  const layer = 'block_16_expand_relu';
  const tr = loadFashion('train');
  const idx = pickPerClass(tr.labels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], perClass);
  const labels = Int32Array.from(idx, (i) => tr.labels[i]!);
  const dir = `${work}/curation-fmnist-${perClass}`;
  let set = loadSet(dir, 'train');
  if (!set) {
    await tf.setBackend('wasm');
    const { model, outs } = await loadMobileNetV2(96, [layer]);
    const pixels = new Uint8Array(idx.length * 784);
    idx.forEach((i, k) => pixels.set(tr.images.pixels.subarray(i * 784, (i + 1) * 784), k * 784));
    const t0 = Date.now();
    const extracted = await extractGrey(model, outs, [], pixels, idx.length, 28, 96);
    console.error(`extracted ${idx.length} images in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    saveSet(dir, 'train', extracted, {});
    set = { ...extracted, extra: {} };
  }
  const x = set.pooled[layer]!;
  return { x, d: x.length / idx.length, labels };
}

/** Fashion-MNIST with 5% of the labels moved to another class: top-k precision and recall of the ranking. */
export async function benchFashionNoise(work: string, perClass: number): Promise<void> {
  const { x, d, labels: truth } = await fashionFeatures(work, perClass);
  const n = truth.length;
  const rng = createRng(16);
  const noisy = Int32Array.from(truth);
  const planted = new Set(shuffleInPlace([...Array(n).keys()], rng).slice(0, Math.round(n * 0.05)));
  for (const i of planted) noisy[i] = (truth[i]! + 1 + Math.floor(rng() * 9)) % 10;
  const t0 = performance.now();
  const probs = oofSoftmax(x, n, d, noisy, 10, 5, 7);
  const trainS = (performance.now() - t0) / 1000;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const row = probs.probs.subarray(i * 10, (i + 1) * 10);
    if (row.indexOf(Math.max(...row)) === truth[i]) right++;
  }
  const ks = [50, planted.size, 2 * planted.size];
  console.log(`\n## label issues on Fashion-MNIST (${n} training images, 10 classes, ${planted.size} labels moved)`);
  console.log(
    `out-of-fold probabilities: 5-fold softmax regression on MobileNetV2 block_16_expand_relu pooled features (96 px), ${trainS.toFixed(1)} s; accuracy against the true labels ${(right / n).toFixed(3)}`,
  );
  console.log(
    '| probabilities | ranking | CL issues (precision / recall) | ' +
      ks.map((k) => `top-${k} precision / recall`).join(' | ') +
      ' |',
  );
  console.log('|---|---|---|' + ks.map(() => '---|').join(''));
  const tops = Array.from({ length: n }, (_, i) =>
    Array.from(probs.probs.subarray(i * 10, (i + 1) * 10), (p, c): [number, number] => [c, p])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
  );
  const tables: [string, ProbabilityTable][] = [
    ['all 10', probs],
    ['top-5 as stored', probsFromTop(tops, 10)],
  ];
  for (const [name, table] of tables) {
    for (const ranking of ['self-confidence', 'normalized-margin'] as const) {
      const r = findLabelIssues(table, noisy, ranking);
      const issues = r.ranked.filter((q) => q.isIssue);
      const hit = issues.filter((q) => planted.has(q.index)).length;
      const cells = topK(r.ranked, planted, ks).map((q) => `${q.precision.toFixed(3)} / ${q.recall.toFixed(3)}`);
      console.log(
        `| ${name} | ${ranking} | ${issues.length} issues: ${(hit / Math.max(1, issues.length)).toFixed(3)} / ${(hit / planted.size).toFixed(3)} | ${cells.join(' | ')} |`,
      );
    }
  }
}
