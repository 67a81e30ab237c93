// Adapt-mode speed: seconds per joint epoch over 10,000 cached block-12 maps at input 128 and 224 (per trainable
// subset), and the whole adapt run at 10,000 images, on this machine's tfjs backend. Maps are synthetic (random
// normal, the block-12 shape): the cost of an epoch depends on shapes, not values. Epoch figures are measured on
// a fixed number of steps and scaled to 10,000 maps (said in every line); `--run N` also times a whole trainAdapt
// on N synthetic maps. `--choices` instead compares adapt-mode choices on real data, validation only: Fashion-MNIST
// classes 0-6 as ID (train / validation split of the test file), classes 7-9 as near-OOD and synthetic textures
// and bright strokes as far-OOD, AUROC of the adapt run's bounded head and held-out ID accuracy per choice.
// Usage: npm run bench:adapt [-- --steps 12] [--run 1000 [--frozen-cache off] [--batch 64]] [--sizes 128,224] [--choices]
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../../src/engine/backends/select-backend.js';
import { foldedMobileNetV2Graph, runFoldedGraph } from '../../src/engine/backbones/folded-graph.js';
import { GroupAdam } from '../../src/engine/adapt/adam-groups.js';
import { frozenForward } from '../../src/engine/adapt/adapt-data.js';
import { HeadVariables, initialHeads } from '../../src/engine/adapt/adapt-heads.js';
import { adaptLoss, classTargets } from '../../src/engine/adapt/adapt-loss.js';
import { defaultAdaptConfig, type TrainableFrom } from '../../src/engine/adapt/config.js';
import { DifferentiableTop } from '../../src/engine/adapt/differentiable-top.js';
import { splitTop, truncateTop } from '../../src/engine/adapt/top-split.js';
import { drawViews, viewTensor } from '../../src/engine/adapt/views.js';
import { trainAdapt } from '../../src/engine/adapt/index.js';
import { createMemoryStore } from '../../src/engine/ssod/memory-store.js';
import { createRng, normals } from '../../src/engine/ssod/rng.js';
import { commandLine, machineLine } from './machine.js';
import { compareChoices } from './adapt-choices.js';

const IMAGES = 10_000;
const CLASSES = 10;
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    run: { type: 'string', default: '0' },
    sizes: { type: 'string', default: '128,224' },
    from: { type: 'string', default: 'block_16,block_13' },
    choices: { type: 'boolean', default: false },
    // `--frozen-cache off` runs the frozen blocks on every pass (the build before the cache), for an A/B.
    'frozen-cache': { type: 'string', default: 'on' },
    batch: { type: 'string' },
  },
});

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const cpuSecondsSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
const emit = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, load: load() }));

interface EpochCost {
  stepSeconds: number;
  forwardSecondsPerMap: number;
}

/** Joint-training steps (crops, frozen part, loss, Adam) and the fused forward that sampling and validation use. */
function measure(size: number, from: TrainableFrom, steps: number): EpochCost {
  const config = defaultAdaptConfig();
  const side = size / 16;
  const whole = truncateTop(foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' }), 'out_relu');
  const split = splitTop(whole, from);
  const top = new DifferentiableTop(split.trainable);
  const rng = createRng(1);
  const b = config.batchSize;
  const labels = Array.from({ length: b }, (_, i) => i % CLASSES);
  const heads = new HeadVariables(initialHeads(normals(b * 1280, 1, rng).map(Math.abs), labels, CLASSES, 8));
  const adam = new GroupAdam({ ...top.variables(), ...heads.vars }, () => 1e-4);
  const maps = normals(b * side * side * 96, 1, rng);
  const p = Math.ceil(side / 2) ** 2;
  const t = { ...classTargets(labels, CLASSES), targets: new Float32Array(b * p), weights: new Float32Array(b * p) };
  for (let i = 0; i < t.weights.length; i++) [t.targets[i], t.weights[i]] = [i % 2, 1 / (b * p)];
  const step = (): void => {
    const x = frozenForward(split.frozen, viewTensor(maps, b, [side, side, 96], drawViews(b, 0.5, 0.5, rng)));
    adam.minimize(() => tf.tidy(() => adaptLoss(top.forward(x)[0]!, t, heads.tensors(), 8)));
    x.dispose();
  };
  step(); // first step builds kernels and packs weights
  let t0 = performance.now();
  for (let s = 0; s < steps; s++) step();
  const stepSeconds = (performance.now() - t0) / 1000 / steps;
  const x = tf.tensor4d(maps, [b, side, side, 96]);
  tf.dispose(runFoldedGraph(whole, x));
  t0 = performance.now();
  for (let s = 0; s < 3; s++) tf.dispose(runFoldedGraph(whole, x));
  const forwardSecondsPerMap = (performance.now() - t0) / 1000 / 3 / b;
  x.dispose();
  top.dispose();
  heads.dispose();
  return { stepSeconds, forwardSecondsPerMap };
}

/** An epoch over 10,000 images: the steps over the training share, plus the sampling pass (train + validation)
 * and the validation pass, both fused forwards. */
function epochSeconds(c: EpochCost): number {
  const config = defaultAdaptConfig();
  const fit = IMAGES * (1 - config.valFraction);
  return Math.ceil(fit / config.batchSize) * c.stepSeconds + IMAGES * (1 + config.valFraction) * c.forwardSecondsPerMap;
}

async function wholeRun(n: number, size: number): Promise<void> {
  const side = size / 16;
  const rng = createRng(2);
  const store = createMemoryStore(
    { mapH: side, mapW: side, mapC: 96, pooledC: 1 },
    normals(n * side * side * 96, 1, rng),
    new Float32Array(n),
  );
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await trainAdapt({
    features: store,
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`),
    train: Array.from({ length: n }, (_, row) => ({ row, label: row % CLASSES })),
    ...(values['frozen-cache'] === 'off' ? { frozenCacheMaxBytes: 0 } : {}),
    ...(values.batch ? { config: { batchSize: Number(values.batch) } } : {}),
  });
  emit({
    bench: 'adapt-run',
    inputSize: size,
    frozenCache: values['frozen-cache'],
    batch: r.config.batchSize,
    images: n,
    synthetic: true,
    seconds: (performance.now() - t0) / 1000,
    epochsRun: r.epochsRun,
    secondsPerEpoch: r.secondsPerEpoch,
    scaledTo10k: ((performance.now() - t0) / 1000) * (IMAGES / n),
    // CPU seconds of this process: on a loaded machine the wall time grows with the load, its CPU time far less;
    // on an idle one the two agree (one wasm thread).
    cpuSeconds: cpuSecondsSince(cpu0),
    cpuScaledTo10k: cpuSecondsSince(cpu0) * (IMAGES / n),
  });
}

async function main(): Promise<void> {
  const backend = await selectBackend();
  console.log(machineLine());
  console.log(commandLine('bench:adapt'));
  if (values.choices) {
    await compareChoices();
    return;
  }
  const steps = Number(values.steps);
  const config = defaultAdaptConfig();
  for (const size of values.sizes.split(',').map(Number)) {
    for (const from of values.from.split(',') as TrainableFrom[]) {
      const c = measure(size, from, steps);
      const epoch = epochSeconds(c);
      // Warm-up pools every map once; the adapted features of every image are written once at the end.
      const whole = config.epochs * epoch + 2 * IMAGES * c.forwardSecondsPerMap;
      emit({
        bench: 'adapt-epoch',
        backend: backend.name,
        inputSize: size,
        trainableFrom: from,
        batch: config.batchSize,
        stepsTimed: steps,
        secondsPerStep: c.stepSeconds,
        forwardMsPerMap: c.forwardSecondsPerMap * 1000,
        secondsPerEpochAt10k: epoch,
        wholeAdaptSecondsAt10k: whole,
        epochs: config.epochs,
        estimate: `synthetic maps; ${steps} steps timed and scaled to 10,000 images`,
      });
    }
  }
  const run = Number(values.run);
  if (run > 0) await wholeRun(run, Number(values.sizes.split(',')[0]));
}

await main();
