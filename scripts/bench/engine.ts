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
import type { ExtractResult, ImageItem } from '../../src/engine/host/protocol.js';
import { openFeatureCache } from '../../src/engine/features/feature-cache.js';
import type { FeatureLayout } from '../../src/engine/types.js';
import { energyShareTop, spectrumBackend } from './spectrum.js';
import { createRng } from '../../src/engine/ssod/rng.js';

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

/** Writes `rows` synthetic records (5 classes) and returns their shas and labels. Maps: class means plus Gaussian
 * noise at every position. Pooled features, by default, have the spectrum of real pooled features (a shared
 * profile, class means and a few dozen latent factors, with a small noise floor: ~99.8% of the energy of the
 * L2-normalised rows in 128 of 960 directions, printed by the run); `--full-rank` gives them iid noise in every
 * channel instead (no real backbone produces that; the worst case for exact KNN search). */
async function synthesiseCache(
  cacheDir: string,
  key: string,
  layout: FeatureLayout,
  rows: number,
): Promise<{ records: { sha256: string; label: number }[]; pooledSample: Float32Array }> {
  const cache = await openFeatureCache(cacheDir, key, layout);
  const rand = createRng(7);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const classes = 5;
  const C = layout.pooledC;
  const mapN = layout.mapH * layout.mapW * layout.mapC;
  const means = Array.from({ length: classes }, () => Float32Array.from({ length: layout.mapC }, () => rand() * 3));
  const profile = Float32Array.from({ length: C }, () => rand() * 2);
  const classPooled = Array.from({ length: classes }, () => Float32Array.from({ length: C }, () => 0.5 * gauss()));
  const FACTORS = 32;
  const loadings = Array.from({ length: FACTORS }, (_, r) =>
    Float32Array.from({ length: C }, () => (0.35 * gauss()) / Math.sqrt(1 + r)),
  );
  const records: { sha256: string; label: number }[] = [];
  const sampleRows = Math.min(rows, 1000);
  const pooledSample = new Float32Array(sampleRows * C);
  const maps = new Float32Array(mapN);
  const pooled = new Float32Array(C);
  for (let i = 0; i < rows; i++) {
    const label = i % classes;
    const mean = means[label] ?? new Float32Array(layout.mapC);
    for (let j = 0; j < mapN; j++) maps[j] = Math.max(0, (mean[j % layout.mapC] ?? 0) + gauss());
    if (FULL_RANK) {
      for (let j = 0; j < C; j++) pooled[j] = Math.max(0, (mean[j % layout.mapC] ?? 0) + 0.5 * gauss());
    } else {
      for (let j = 0; j < C; j++) pooled[j] = profile[j]! + classPooled[label]![j]! + 0.08 * gauss();
      for (let r = 0; r < FACTORS; r++) {
        const z = gauss();
        const l = loadings[r]!;
        for (let j = 0; j < C; j++) pooled[j]! += z * l[j]!;
      }
    }
    if (i < sampleRows) pooledSample.set(pooled, i * C);
    const sha256 = createHash('sha256').update(`synthetic-${key}-${i}`).digest('hex');
    cache.append(sha256, maps, pooled);
    records.push({ sha256, label });
  }
  await cache.close();
  return { records, pooledSample };
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function main(): Promise<void> {
  console.log(`command: node bin/run-ts.js scripts/bench/engine.ts ${process.argv.slice(2).join(' ')}`.trim());
  console.log(
    `machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, ${mb(totalmem())} RAM, ` +
      `node ${process.versions.node}, load average ${loadavg()[0]?.toFixed(1)} (shared machine: figures scale with it)`,
  );
  const root = await mkdtemp(join(tmpdir(), 'ssod-bench-engine-'));
  const cacheDir = join(root, 'cache');
  const engine = createForkedEngine({ workers: WORKERS, ...(BACKEND ? { backend: BACKEND } : {}) });
  try {
    const status = await engine.status();
    console.log(`engine: backend ${status.backend.name}, skipped ${JSON.stringify(status.backend.skipped)}`);

    let layout: FeatureLayout = { mapH: 14, mapW: 14, mapC: 96, pooledC: 960 };
    let key = 'bench/synthetic-14x14x96';
    if (!SKIP_EXTRACT) {
      const imgDir = join(root, 'images');
      await mkdir(imgDir);
      let t = performance.now();
      const items = await generateImages(imgDir, IMAGES);
      console.log(`generated ${IMAGES} 640x480 JPEGs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      for (const size of [224, 128]) {
        t = performance.now();
        const r: ExtractResult = await engine.extract({
          items,
          backbone: { spec: 'mobilenet_v2', inputSize: size },
          cacheDir,
          batchSize: 8,
        });
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
        if (size === 224) {
          layout = r.layout;
          key = `${r.backboneKey}/bench-synthetic`;
        }
        const again = await engine.extract({ items, backbone: { spec: 'mobilenet_v2', inputSize: size }, cacheDir });
        console.log(
          `  re-run @${size}: ${again.cached} cached, ${again.extracted} extracted, ${again.seconds.toFixed(2)} s`,
        );
      }
    }

    let t = performance.now();
    const { records: all, pooledSample } = await synthesiseCache(cacheDir, key, layout, ROWS);
    await spectrumBackend();
    console.log(
      `wrote ${ROWS} synthetic cache records (${layout.mapH}x${layout.mapW}x${layout.mapC} + ${layout.pooledC}) in ` +
        `${((performance.now() - t) / 1000).toFixed(1)} s; pooled features ${FULL_RANK ? 'full-rank (iid noise)' : 'with a real spectrum'}: ` +
        `${(100 * energyShareTop(pooledSample, layout.pooledC, 128)).toFixed(2)}% of the energy in 128 directions ` +
        `(real pooled MobileNetV2 features: 99.81%)`,
    );
    const scoreN = Math.round(ROWS * 0.02);
    const train = all.slice(0, ROWS - scoreN);
    const inbox = all.slice(ROWS - scoreN).map((r) => r.sha256);
    t = performance.now();
    let lastPhase = '';
    const trained = await engine.train(
      {
        cacheDir,
        backboneKey: key,
        classes: ['c0', 'c1', 'c2', 'c3', 'c4'],
        train,
        score: inbox,
        modelOut: join(root, 'model.json'),
        config: {
          ...(EPOCHS ? { epochs: Number(EPOCHS), warmupEpochs: Math.min(2, Number(EPOCHS) - 1) } : {}),
          ...(FOLDS ? { folds: Number(FOLDS) } : {}),
        },
      },
      (p) => {
        if (p.phase !== lastPhase) {
          lastPhase = p.phase;
          process.stdout.write(`  phase ${p.phase} (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
        }
      },
    );
    const trainSeconds = (performance.now() - t) / 1000;
    console.log(
      `train heads + ${trained.scores.length - inbox.length} out-of-fold scores + ${inbox.length} inbox scores ` +
        `(${ROWS} cached images): ${trainSeconds.toFixed(1)} s, scorers ${trained.scorers.join(', ')}`,
    );
    t = performance.now();
    const rescored = await engine.score({ modelPath: trained.modelPath, cacheDir, items: all.map((r) => r.sha256) });
    console.log(`rescore ${rescored.length} cached images: ${((performance.now() - t) / 1000).toFixed(1)} s`);
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
