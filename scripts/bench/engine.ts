// `npm run bench`: engine throughput on this machine, through the real engine process.
//   1. extraction (decode + forward + cache write) of generated 640x480 JPEGs at input 224 and 128, default
//      backbone (folded MobileNetV2), one worker thread per core, batch 8;
//   2. heads training + out-of-fold scoring of N cached images (default 10,000), then a rescore of all N;
//   3. peak RSS of the engine process and of this process.
// Training rows are synthetic features written straight into the cache with the layout the backbone reported
// (extracting 10,000 real images would take minutes and measure step 1 again); they have class structure so
// the trainer does real work. Options: --images N (default 400), --rows N (default 10000), --workers N,
// --backend NAME, --skip-extract, --full-rank (pooled features without a real spectrum: KNN's worst case),
// --epochs E and --folds K (heads config; defaults are the app's).
import { cpus, availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { createForkedEngine } from '../../src/engine/host/engine-client.js';
import type { EngineClient } from '../../src/engine/host/engine-client-interface.js';
import type { ExtractResult, ImageItem } from '../../src/engine/host/protocol.js';
import { openFeatureCache } from '../../src/engine/features/feature-cache.js';
import type { FeatureLayout, HeadsConfig } from '../../src/engine/types.js';
import { energyShareTop, spectrumBackend } from './spectrum.js';
import { createRng } from '../../src/shared/random.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const IMAGES = Number(arg('images', '400'));
const ROWS = Number(arg('rows', '10000'));
const WORKERS = Number(arg('workers', String(availableParallelism())));
const BACKEND = arg('backend');
const SKIP_EXTRACT = process.argv.includes('--skip-extract');
const FULL_RANK = process.argv.includes('--full-rank');
const EPOCHS = arg('epochs');
const FOLDS = arg('folds');

/** 640x480 JPEGs: a random two-colour gradient plus noise, so every file differs and decodes like a photo. */
async function generateImages(dir: string, n: number): Promise<ImageItem[]> {
  const W = 640;
  const H = 480;
  const items: ImageItem[] = [];
  const rand = createRng(42);
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(W * H * 3);
    const a = [rand() * 255, rand() * 255, rand() * 255];
    const b = [rand() * 255, rand() * 255, rand() * 255];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const t = (x + y) / (W + H);
        const o = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) raw[o + c] = (a[c] ?? 0) * (1 - t) + (b[c] ?? 0) * t + (rand() - 0.5) * 60;
      }
    }
    const jpeg = await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const path = join(dir, `img-${String(i).padStart(5, '0')}.jpg`);
    await sharp(jpeg).toFile(path);
    items.push({ path, sha256: createHash('sha256').update(jpeg).digest('hex') });
  }
  return items;
}

interface SyntheticRecord {
  sha256: string;
  label: number;
}

const CLASSES = 5;
const FACTORS = 32;

type Gauss = () => number;

/** Pooled-feature generator: by default a shared profile, class means and FACTORS latent factors over a small
 * noise floor (the spectrum of real pooled features); with `--full-rank` iid noise in every channel. */
function pooledGenerator(C: number, mapMeans: Float32Array[], rand: () => number, gauss: Gauss) {
  const profile = Float32Array.from({ length: C }, () => rand() * 2);
  const classPooled = Array.from({ length: CLASSES }, () => Float32Array.from({ length: C }, () => 0.5 * gauss()));
  const loadings = Array.from({ length: FACTORS }, (_, r) =>
    Float32Array.from({ length: C }, () => (0.35 * gauss()) / Math.sqrt(1 + r)),
  );
  return (label: number, pooled: Float32Array): void => {
    const mean = mapMeans[label]!;
    if (FULL_RANK) {
      for (let j = 0; j < C; j++) pooled[j] = Math.max(0, (mean[j % mean.length] ?? 0) + 0.5 * gauss());
      return;
    }
    for (let j = 0; j < C; j++) pooled[j] = profile[j]! + classPooled[label]![j]! + 0.08 * gauss();
    for (let r = 0; r < FACTORS; r++) {
      const z = gauss();
      const l = loadings[r]!;
      for (let j = 0; j < C; j++) pooled[j]! += z * l[j]!;
    }
  };
}

/** Writes `rows` synthetic records (5 classes) and returns their shas and labels. Maps: class means plus Gaussian
 * noise at every position. Pooled features, by default, have the spectrum of real pooled features (~99.8% of the
 * energy of the L2-normalised rows in 128 of 960 directions, printed by the run); `--full-rank` gives them iid
 * noise in every channel instead (no real backbone produces that; the worst case for exact KNN search). */
async function synthesiseCache(
  cacheDir: string,
  key: string,
  layout: FeatureLayout,
  rows: number,
): Promise<{ records: SyntheticRecord[]; pooledSample: Float32Array }> {
  const cache = await openFeatureCache(cacheDir, key, layout);
  const rand = createRng(7);
  const gauss: Gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const C = layout.pooledC;
  const mapN = layout.mapH * layout.mapW * layout.mapC;
  const means = Array.from({ length: CLASSES }, () => Float32Array.from({ length: layout.mapC }, () => rand() * 3));
  const fillPooled = pooledGenerator(C, means, rand, gauss);
  const records: SyntheticRecord[] = [];
  const sampleRows = Math.min(rows, 1000);
  const pooledSample = new Float32Array(sampleRows * C);
  const maps = new Float32Array(mapN);
  const pooled = new Float32Array(C);
  for (let i = 0; i < rows; i++) {
    const label = i % CLASSES;
    const mean = means[label]!;
    for (let j = 0; j < mapN; j++) maps[j] = Math.max(0, (mean[j % layout.mapC] ?? 0) + gauss());
    fillPooled(label, pooled);
    if (i < sampleRows) pooledSample.set(pooled, i * C);
    const sha256 = createHash('sha256').update(`synthetic-${key}-${i}`).digest('hex');
    cache.append(sha256, maps, pooled);
    records.push({ sha256, label });
  }
  await cache.close();
  return { records, pooledSample };
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const since = (t: number): string => ((performance.now() - t) / 1000).toFixed(1);

function printMachine(): void {
  console.log(`command: node bin/run-ts.js scripts/bench/engine.ts ${process.argv.slice(2).join(' ')}`.trim());
  console.log(
    `machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, ${mb(totalmem())} RAM, ` +
      `node ${process.versions.node}, load average ${loadavg()[0]?.toFixed(1)} (shared machine: figures scale with it)`,
  );
}

function printExtraction(size: number, r: ExtractResult): void {
  console.log(
    `extract @${size}: ${r.imagesPerSecond.toFixed(1)} images/s (${r.extracted} images in ` +
      `${r.extractSeconds.toFixed(1)} s; job incl. worker start ${r.seconds.toFixed(1)} s), backend ` +
      `${r.backend.name}, ${r.workers} worker threads x 1 wasm thread, batch 8, map ` +
      `${r.layout.mapH}x${r.layout.mapW}x${r.layout.mapC}, pooled ${r.layout.pooledC}, failed ${r.failed.length}`,
  );
  const perCpu = r.extracted / r.cpuSeconds;
  console.log(
    `  CPU: ${r.cpuSeconds.toFixed(1)} s for ${r.extracted} images = ${perCpu.toFixed(1)} images per CPU-second; ` +
      `x ${availableParallelism()} cores = ${(perCpu * availableParallelism()).toFixed(1)} images/s if the ` +
      `machine were idle (estimate; the measured figure above is what this run got)`,
  );
}

interface CacheTarget {
  layout: FeatureLayout;
  key: string;
}

/** Step 1: extraction at 224 and 128, then a re-run that must come from the cache. The synthetic rows go under
 * the layout and key the 224 extraction reported, so training reads them as it would real features. */
async function benchExtraction(engine: EngineClient, root: string, cacheDir: string): Promise<CacheTarget> {
  const imgDir = join(root, 'images');
  await mkdir(imgDir);
  const t = performance.now();
  const items = await generateImages(imgDir, IMAGES);
  console.log(`generated ${IMAGES} 640x480 JPEGs in ${since(t)} s`);
  let target: CacheTarget | undefined;
  for (const size of [224, 128]) {
    const backbone = { spec: 'mobilenet_v2', inputSize: size };
    const r = await engine.extract({ items, backbone, cacheDir, batchSize: 8 });
    printExtraction(size, r);
    if (size === 224) target = { layout: r.layout, key: `${r.backboneKey}/bench-synthetic` };
    const again = await engine.extract({ items, backbone, cacheDir });
    console.log(
      `  re-run @${size}: ${again.cached} cached, ${again.extracted} extracted, ${again.seconds.toFixed(2)} s`,
    );
  }
  return target!;
}

async function writeSyntheticRows(cacheDir: string, { layout, key }: CacheTarget): Promise<SyntheticRecord[]> {
  const t = performance.now();
  const { records, pooledSample } = await synthesiseCache(cacheDir, key, layout, ROWS);
  await spectrumBackend();
  console.log(
    `wrote ${ROWS} synthetic cache records (${layout.mapH}x${layout.mapW}x${layout.mapC} + ${layout.pooledC}) in ` +
      `${since(t)} s; pooled features ${FULL_RANK ? 'full-rank (iid noise)' : 'with a real spectrum'}: ` +
      `${(100 * energyShareTop(pooledSample, layout.pooledC, 128)).toFixed(2)}% of the energy in 128 directions ` +
      `(real pooled MobileNetV2 features: 99.81%)`,
  );
  return records;
}

function headsConfig(): Partial<HeadsConfig> {
  return {
    ...(EPOCHS ? { epochs: Number(EPOCHS), warmupEpochs: Math.min(2, Number(EPOCHS) - 1) } : {}),
    ...(FOLDS ? { folds: Number(FOLDS) } : {}),
  };
}

/** Step 2: heads training with out-of-fold scores on 98% of the rows and inbox scores on the other 2%, then a
 * rescore of every row with the trained model. */
async function benchTraining(
  engine: EngineClient,
  root: string,
  cacheDir: string,
  target: CacheTarget,
  all: SyntheticRecord[],
): Promise<void> {
  const scoreN = Math.round(ROWS * 0.02);
  const inbox = all.slice(ROWS - scoreN).map((r) => r.sha256);
  let t = performance.now();
  let lastPhase = '';
  const trained = await engine.train(
    {
      cacheDir,
      backboneKey: target.key,
      classes: Array.from({ length: CLASSES }, (_, c) => `c${c}`),
      train: all.slice(0, ROWS - scoreN),
      score: inbox,
      modelOut: join(root, 'model.json'),
      config: headsConfig(),
    },
    (p) => {
      if (p.phase === lastPhase) return;
      lastPhase = p.phase;
      process.stdout.write(`  phase ${p.phase} (${since(t)} s)\n`);
    },
  );
  console.log(
    `train heads + ${trained.scores.length - inbox.length} out-of-fold scores + ${inbox.length} inbox scores ` +
      `(${ROWS} cached images): ${since(t)} s, scorers ${trained.scorers.join(', ')}`,
  );
  t = performance.now();
  const rescored = await engine.score({ modelPath: trained.modelPath, cacheDir, items: all.map((r) => r.sha256) });
  console.log(`rescore ${rescored.length} cached images: ${since(t)} s`);
}

async function main(): Promise<void> {
  printMachine();
  const root = await mkdtemp(join(tmpdir(), 'ssod-bench-engine-'));
  const cacheDir = join(root, 'cache');
  const engine = createForkedEngine({ workers: WORKERS, ...(BACKEND ? { backend: BACKEND } : {}) });
  try {
    const status = await engine.status();
    console.log(`engine: backend ${status.backend.name}, skipped ${JSON.stringify(status.backend.skipped)}`);
    const target = SKIP_EXTRACT
      ? { layout: { mapH: 14, mapW: 14, mapC: 96, pooledC: 960 }, key: 'bench/synthetic-14x14x96' }
      : await benchExtraction(engine, root, cacheDir);
    const all = await writeSyntheticRows(cacheDir, target);
    await benchTraining(engine, root, cacheDir, target, all);
    const after = await engine.status();
    console.log(`load average now ${loadavg()[0]?.toFixed(1)}`);
    console.log(
      `peak RSS: engine process ${mb(after.memory.maxRssBytes)}, this process ${mb(process.resourceUsage().maxRSS * 1024)}`,
    );
  } finally {
    await engine.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
