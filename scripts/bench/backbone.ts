// ms/image of the bundled MobileNetV2, stock Layers model vs BatchNormalization folded into fused convs, at
// 224/160/128, batch 8, on one backend in one process. Run: node bin/run-ts.js scripts/bench/backbone.ts
//   [--backend wasm] [--batch 8] [--reps 5] [--sizes 224,160,128] [--map block_12_add] [--pooled block_16_expand_relu]
import * as tf from '@tensorflow/tfjs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { describeBackend, parseBackendName, selectBackend } from '../../src/engine/backends/select-backend.js';
import { loadBackbone } from '../../src/engine/backbones/load-backbone.js';
import { DEFAULT_MAP_LAYER, DEFAULT_POOLED_LAYER } from '../../src/engine/backbones/mobilenet-v2.js';
import type { Backbone } from '../../src/engine/types.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '8' },
    reps: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '224,160,128' },
    map: { type: 'string', default: DEFAULT_MAP_LAYER },
    pooled: { type: 'string', default: DEFAULT_POOLED_LAYER },
  },
});
const batch = Number(values.batch);
const reps = Number(values.reps);
const sizes = values.sizes.split(',').map(Number);

const choice = await selectBackend(parseBackendName(values.backend));
console.log(`command: node bin/run-ts.js scripts/bench/backbone.ts ${process.argv.slice(2).join(' ')}`.trim());
console.log(
  `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `load avg ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (shared machine)`,
);
console.log(
  `backend: ${describeBackend(choice)}; simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads 1, processes 1; ` +
    `node ${process.version}, tfjs ${tf.version.tfjs}`,
);
console.log(`batch ${batch}, ${reps} timed batches after 2 warm-up; map ${values.map}, pooled ${values.pooled}`);

function input(size: number): Float32Array {
  const x = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1009) / 1009;
  return x;
}

/** Median wall ms per image over `reps` batches, and this process's CPU ms per image (user + system): on a
 * shared, overloaded machine the CPU figure is what one free core would give. */
async function time(backbone: Backbone, x: Float32Array): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 2; i++) await backbone.extract(x, batch);
  const perImage: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await backbone.extract(x, batch);
    perImage.push((performance.now() - t0) / batch);
  }
  const cpu = process.cpuUsage(cpu0);
  perImage.sort((a, b) => a - b);
  return {
    wall: perImage[Math.floor(perImage.length / 2)] ?? NaN,
    cpu: (cpu.user + cpu.system) / 1000 / (reps * batch),
  };
}

console.log('\nsize | stock ms/img (cpu ms) | folded ms/img (cpu ms) | speed-up | folded img/s | max |map diff|');
for (const size of sizes) {
  const options = { inputSize: size, mapLayer: values.map, pooledLayer: values.pooled };
  const stock = await loadBackbone('mobilenet_v2', { ...options, variant: 'stock' });
  const folded = await loadBackbone('mobilenet_v2', options);
  const x = input(size);
  const [a, b] = [await stock.extract(x, batch), await folded.extract(x, batch)];
  let diff = 0;
  for (let i = 0; i < a.maps.length; i++) diff = Math.max(diff, Math.abs((a.maps[i] ?? 0) - (b.maps[i] ?? 0)));
  const s = await time(stock, x);
  const f = await time(folded, x);
  console.log(
    `${size} | ${s.wall.toFixed(1)} (${s.cpu.toFixed(1)}) | ${f.wall.toFixed(1)} (${f.cpu.toFixed(1)}) | ` +
      `${(s.wall / f.wall).toFixed(2)}x | ${(1000 / f.wall).toFixed(1)} | ${diff.toExponential(1)}`,
  );
  stock.dispose();
  folded.dispose();
}
