// Speed of SSOD heads on cached features: training + out-of-fold scoring of N images, and rescoring N, on wasm.
// Features are the quality benchmark's cached Fashion-MNIST maps (block_12_add 8x8x96, pooled block_16 960),
// tiled to N rows. Run scripts/bench/quality.ts once first (it extracts and caches them).
//   node bin/run-ts.js scripts/bench/heads-speed.ts [--n 10000] [--batch 128] [--epochs 12]
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createMemoryStore, defaultHeadsConfig, scoreWithHeads, trainHeads } from '../../src/engine/ssod/index.js';
import { knnStats } from '../../src/engine/ssod/knn.js';
import { phaseMs, resetPhases } from '../../src/engine/ssod/profile.js';
import { loadSet } from '../data/bench-features.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const n = Number(opt('--n', '10000'));
await tf.setBackend('wasm');
const set = loadSet('/tmp/ssod-bench/features-128-500', 'train');
if (!set) throw new Error('run scripts/bench/quality.ts first (feature cache missing)');
const labels = (set.extra.labels as number[] | undefined) ?? [];
const src = set.maps.block_12_add!;
const pooledSrc = set.pooled.block_16_expand_relu!;
const mapSize = 8 * 8 * 96;
const maps = new Float32Array(n * mapSize);
const pooled = new Float32Array(n * 960);
for (let i = 0; i < n; i++) {
  maps.set(src.subarray((i % set.n) * mapSize, ((i % set.n) + 1) * mapSize), i * mapSize);
  pooled.set(pooledSrc.subarray((i % set.n) * 960, ((i % set.n) + 1) * 960), i * 960);
}
const store = createMemoryStore({ mapH: 8, mapW: 8, mapC: 96, pooledC: 960 }, maps, pooled);
// Labels follow file order of the train set: 500 per class in class order.
const train = Array.from({ length: n }, (_, row) => ({
  row,
  label: labels[row % set.n] ?? Math.floor((row % set.n) / 500),
}));
const config = defaultHeadsConfig({ batchSize: Number(opt('--batch', '128')), epochs: Number(opt('--epochs', '12')) });
const cpuSec = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
const phases = (): string =>
  Object.entries(phaseMs)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `  ${k}: ${(v / 1000).toFixed(1)} s`)
    .join('\n');
let t = Date.now();
let cpu = process.cpuUsage();
const result = await trainHeads({
  features: store,
  classes: ['0', '1', '2', '3', '4', '5'],
  train,
  scoreRows: [],
  config,
});
const trainMs = Date.now() - t;
const trainCpu = cpuSec(process.cpuUsage(cpu));
console.log(`train + OOF phases (wall):\n${phases()}`);
resetPhases();
t = Date.now();
cpu = process.cpuUsage();
await scoreWithHeads(
  result.model,
  store,
  Array.from({ length: n }, (_, i) => i),
);
const scoreMs = Date.now() - t;
const scoreCpu = cpuSec(process.cpuUsage(cpu));
console.log(`rescore phases (wall):\n${phases()}`);
console.log(
  `KNN (whole run): ${knnStats.pairs} pairs bounded, ${((100 * knnStats.candidates) / Math.max(1, knnStats.pairs)).toFixed(2)}% left by the bounds, ${((100 * knnStats.exactDots) / Math.max(1, knnStats.pairs)).toFixed(2)}% given the exact product, ${knnStats.fullBlocks} blocks fell back to the full product`,
);
console.log(
  `heads training + ${config.folds}-fold out-of-fold scoring of ${n} images: ${(trainMs / 1000).toFixed(1)} s wall, ${trainCpu.toFixed(1)} CPU-s; ` +
    `rescore ${n}: ${(scoreMs / 1000).toFixed(1)} s wall, ${scoreCpu.toFixed(1)} CPU-s; ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; backend ${tf.getBackend()}, ${cpus().length} cores (shared); ` +
    `load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(
        ' ',
      )}; batch ${config.batchSize}, epochs ${config.epochs}, stopped at ${JSON.stringify((result.metrics.models as { epochs: number }[]).map((m) => m.epochs))}`,
);
