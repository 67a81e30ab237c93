// Widening sampling with crops, through the services on the real engine process and SSOD trainer (only the
// backbone is the pixel-statistics double): automatic on a project whose objects fill the frame, off with
// crops: 0, forced with crops: 1 on a normal project; a crop extracts the features of the cut-out region; and the
// crop plan is seeded, bounded and leaves explicit OOD images alone.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForkedEngine } from '../../engine/host/engine-client.js';
import { openFeatureCache, readCacheLayout } from '../../engine/features/feature-cache.js';
import { OOD_LABEL } from '../../engine/types.js';
import type { RunSummary, TrainOptions } from '../../shared/dto.js';
import { createServices, type Services } from '../create-services.js';
import { BLUE, PIXEL_DEPS, RED, colourSet, pixelEngineFactory, type Rgb } from '../testing/curate-fixture.js';
import {
  CROP_SIDE,
  DEFAULT_CROPS,
  cropKey,
  decideWidening,
  planCrops,
  retrainWidening,
  type WidenedMetrics,
} from './widen-sampling.js';

const SIZE = 64;
const BORDER = 3;
const PATCH = 12;
const PATCHES = 4;

/** A class-coloured square filling the frame but for a thin border and a few small patches in the other class's
 * colour: at the 4×4 map of the pixel backbone every position is mostly object, so (almost) no position samples
 * as background; zoomed-in crops make a border or patch fill whole positions. */
async function framedPng(path: string, rgb: Rgb, other: Rgb, seed: number): Promise<void> {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const patches = Array.from({ length: PATCHES }, () => [
    Math.floor(next() * (SIZE - PATCH)),
    Math.floor(next() * (SIZE - PATCH)),
  ]);
  const buf = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const back =
        Math.min(x, y, SIZE - 1 - x, SIZE - 1 - y) < BORDER ||
        patches.some(([px, py]) => x >= px! && x < px! + PATCH && y >= py! && y < py! + PATCH);
      const base = back ? other : rgb;
      const noise = back ? 80 : 20;
      for (let c = 0; c < 3; c++)
        buf[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, base[c]! + Math.round(next() * noise) - noise / 2));
    }
  }
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(buf, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png()
    .toFile(path);
}

let dir: string;
let services: Services;
const TRAIN: TrainOptions = { epochs: 60, folds: 2, seed: 3, backbone: 'pixel' };

async function project(name: string, make: (data: string) => Promise<void>): Promise<void> {
  const data = join(dir, `${name}-data`);
  await make(data);
  await services.api.projects.create(join(dir, name));
  const source = await services.api.sources.add(data, 'train');
  const r = await services.api.jobs.wait((await services.api.jobs.scan(source.id)).id);
  expect(r.outcome).toBe('done');
}

async function train(options: TrainOptions): Promise<RunSummary> {
  const ref = await services.api.jobs.train(options);
  const result = await services.api.jobs.wait(ref.id);
  if (result.outcome !== 'done') throw new Error(`train ${result.outcome}: ${result.error ?? ''}`);
  return result.result as RunSummary;
}

const widenedOf = (run: RunSummary): WidenedMetrics | undefined => run.metrics.widened as WidenedMetrics | undefined;
const oodShare = (run: RunSummary): number => (run.metrics.samplingShare as { ood: number }).ood;
const counts = (run: RunSummary): { train: number; augmented: number } =>
  run.metrics.counts as { train: number; augmented: number };

let auto: RunSummary;
let autoRetrain: RunSummary;
let off: RunSummary;
let forced: RunSummary;
let forcedRetrain: RunSummary;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-widen-'));
  services = createServices({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
  await project('framed', async (data) => {
    for (let i = 0; i < 60; i++) {
      await framedPng(join(data, 'red', `red${i}.png`), RED, BLUE, i + 1);
      await framedPng(join(data, 'blue', `blue${i}.png`), BLUE, RED, i + 101);
    }
  });
  auto = await train(TRAIN);
  autoRetrain = await train(TRAIN);
  off = await train({ ...TRAIN, crops: 0 });
  await project('plain', async (data) => {
    await colourSet(join(data, 'red'), 'r', RED, 16, 1);
    await colourSet(join(data, 'blue'), 'b', BLUE, 16, 200);
  });
  forced = await train({ ...TRAIN, crops: 1 });
  forcedRetrain = await train(TRAIN);
}, 240_000);

afterAll(async () => {
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('widening sampling in a training run', () => {
  it('widens automatically when the background is degenerate, and the crops raise the background share', () => {
    const w = widenedOf(auto);
    expect(w).toBeDefined();
    expect(w).toMatchObject({ reason: 'degenerate-background', perImage: DEFAULT_CROPS, minOodShare: 0.02 });
    expect(w!.oodShareBefore).toBeLessThan(0.02);
    expect(w!.images).toBe(120);
    expect(w!.views).toBe(120 * DEFAULT_CROPS);
    expect(w!.oodShareAfter).toBeGreaterThan(w!.oodShareBefore);
    // The stored run is the widened one: its metrics are the retrained model's.
    expect(oodShare(auto)).toBe(w!.oodShareAfter);
    expect(counts(auto)).toMatchObject({ train: 120, augmented: w!.views });
    expect(auto.metrics.timings).toHaveProperty('widenExtractSeconds');
    // Still under the trainer's threshold here: the run says so.
    const warnings = auto.metrics.warnings as string[];
    if (w!.oodShareAfter < w!.minOodShare) expect(warnings.some((m) => /still degenerate/.test(m))).toBe(true);
  });

  it('scores only the real images (views never reach the run results)', async () => {
    const rows = (await services.api.images.list({ limit: 10_000, sortBy: 'path' })).rows;
    expect(rows.length).toBe(32); // the current project is 'plain'
    expect(rows.every((r) => r.scores && Object.keys(r.scores).length > 0)).toBe(true);
    expect((await services.api.runs.get(forced.id)).snapshot.images).toBe(32);
  });

  it('a retrain takes crops that raised the background share from the start (one training, same views)', () => {
    expect(widenedOf(auto)!.oodShareAfter).toBeGreaterThan(widenedOf(auto)!.oodShareBefore);
    expect(widenedOf(autoRetrain)).toMatchObject({
      reason: 'previous-run',
      perImage: DEFAULT_CROPS,
      views: widenedOf(auto)!.views,
    });
    expect(counts(autoRetrain).augmented).toBe(widenedOf(auto)!.views);
  });

  it('a retrain does not retry crops that did not raise the background share, and says so', () => {
    expect(widenedOf(forced)!.oodShareAfter).toBe(widenedOf(forced)!.oodShareBefore);
    expect(widenedOf(forcedRetrain)).toBeUndefined();
    expect(counts(forcedRetrain).augmented).toBe(0);
    expect((forcedRetrain.metrics.warnings as string[]).join('\n')).toMatch(
      new RegExp(`did not raise them in run ${forced.id}`),
    );
  });

  it('crops: 0 disables widening, even on a degenerate background', () => {
    expect(widenedOf(off)).toBeUndefined();
    expect(oodShare(off)).toBeLessThan(0.02);
    expect(oodShare(off)).toBe(widenedOf(auto)!.oodShareBefore);
    expect(counts(off).augmented).toBe(0);
    expect((off.metrics.warnings as string[]).some((m) => /still degenerate/.test(m))).toBe(false);
    expect(off.config).toMatchObject({ crops: 0 });
  });

  it('crops: N forces widening on a project that does not need it', () => {
    expect(widenedOf(forced)).toMatchObject({ reason: 'requested', perImage: 1, views: 32, images: 32 });
    expect(counts(forced)).toMatchObject({ train: 32, augmented: 32 });
  });

  it('is cancellable while extracting the crops: the run is marked cancelled and the current run stays', async () => {
    const phases: string[] = [];
    const stop = services.bus.on('job.progress', (p) => {
      phases.push(p.phase);
      if (p.phase === 'widen: extract crops') void services.api.jobs.cancel(p.jobId);
    });
    try {
      const ref = await services.api.jobs.train({ ...TRAIN, crops: 2 });
      const result = await services.api.jobs.wait(ref.id);
      expect(result.outcome).toBe('cancelled');
    } finally {
      stop();
    }
    expect(phases).toContain('widen: extract crops');
    const runs = await services.api.runs.list();
    expect(runs.find((r) => r.isCurrent)?.id).toBe(forcedRetrain.id);
    expect(runs.reduce((a, b) => (b.id > a.id ? b : a)).status).toBe('cancelled');
  });
});

describe('crop extraction', () => {
  it('gives the features of the cut-out region, rescaled (same as extracting a pre-cropped file)', async () => {
    const root = join(dir, 'crop-extract');
    const whole = join(root, 'whole.png');
    const cut = join(root, 'cut.png');
    await framedPng(whole, RED, BLUE, 7);
    const box = { left: 4, top: 10, width: 32, height: 40 };
    await sharp(whole).extract(box).png().toFile(cut);
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    const crop = { x: 4 / SIZE, y: 10 / SIZE, w: 32 / SIZE, h: 40 / SIZE };
    const items = [
      { sha256: sha('whole'), path: whole },
      { sha256: cropKey(sha('whole'), crop), path: whole, crop },
      { sha256: sha('cut'), path: cut },
    ];
    const cacheDir = join(root, 'cache');
    const engine = createForkedEngine({ depsModule: PIXEL_DEPS, workers: 1 });
    try {
      const r = await engine.extract({ items, cacheDir, backbone: { spec: 'pixel' } });
      expect(r.failed).toEqual([]);
      expect(r.extracted).toBe(3);
      const bad = await engine
        .extract({ items: [{ ...items[1]!, crop: { ...crop, w: 0 } }], cacheDir, backbone: { spec: 'pixel' } })
        .catch((e: unknown) => e);
      expect(String(bad)).toMatch(/crop/);
      const layout = await readCacheLayout(cacheDir, r.backboneKey);
      const cache = await openFeatureCache(cacheDir, r.backboneKey, layout!);
      try {
        const store = cache.featureStore(items.map((i) => i.sha256));
        const [maps, pooled] = [await store.maps([0, 1, 2]), await store.pooled([0, 1, 2])];
        const row = (a: Float32Array, k: number): number[] => [
          ...a.subarray((k * a.length) / 3, ((k + 1) * a.length) / 3),
        ];
        expect(row(maps, 1)).toEqual(row(maps, 2));
        expect(row(pooled, 1)).toEqual(row(pooled, 2));
        expect(row(pooled, 0)).not.toEqual(row(pooled, 1));
      } finally {
        await cache.close();
      }
    } finally {
      await engine.close();
    }
  });
});

describe('decideWidening', () => {
  const metrics = (ood: number): Record<string, unknown> => ({
    samplingShare: { id: 0.5, ood },
    ssodVariant: { minOodShare: 0.05 },
  });
  it('widens when the share is under the variant threshold, or when asked; never with crops: 0', () => {
    expect(decideWidening(undefined, metrics(0.01))).toEqual({
      reason: 'degenerate-background',
      perImage: DEFAULT_CROPS,
      oodShareBefore: 0.01,
      minOodShare: 0.05,
    });
    expect(decideWidening(undefined, metrics(0.06))).toBeNull();
    expect(decideWidening(undefined, {})).toBeNull();
    expect(decideWidening(0, metrics(0))).toBeNull();
    expect(decideWidening(3, metrics(0.5))).toMatchObject({ reason: 'requested', perImage: 3 });
  });
});

describe('retrainWidening', () => {
  const run = (widened?: Partial<WidenedMetrics>): { id: number; metrics: Record<string, unknown> } => ({
    id: 7,
    metrics: widened ? { widened } : {},
  });
  const w = { reason: 'degenerate-background' as const, perImage: 2, oodShareBefore: 0, minOodShare: 0.02 };
  it('repeats crops that helped up front, skips crops that did not, and otherwise decides after training', () => {
    expect(retrainWidening(undefined, run({ ...w, oodShareAfter: 0.05 }))).toEqual({
      kind: 'upfront',
      previousRun: 7,
      decision: { reason: 'previous-run', perImage: 2, oodShareBefore: 0, minOodShare: 0.02 },
    });
    // Raised, though still under the threshold: repeated too.
    expect(retrainWidening(undefined, run({ ...w, oodShareAfter: 0.01 }))).toMatchObject({ kind: 'upfront' });
    const skip = retrainWidening(undefined, run({ ...w, oodShareAfter: 0.001 }));
    expect(skip).toMatchObject({ kind: 'skip', record: { run: 7, perImage: 2 } });
    // The skipping run carries the record, so the retrain after it skips too (and names the run that tried).
    const next = { id: 8, metrics: { wideningNotRetried: (skip as { record: object }).record } };
    expect(retrainWidening(undefined, next)).toMatchObject({ kind: 'skip', record: { run: 7 } });
    expect((retrainWidening(undefined, next) as { warning: string }).warning).toMatch(/in run 7,/);
    expect(retrainWidening(undefined, run())).toEqual({ kind: 'decide-after' });
    expect(retrainWidening(undefined, null)).toEqual({ kind: 'decide-after' });
    // An explicit --crops (0 included) always wins over the previous run.
    expect(retrainWidening(0, run({ ...w, oodShareAfter: 0.05 }))).toEqual({ kind: 'decide-after' });
    expect(retrainWidening(3, run({ ...w, oodShareAfter: 0.01 }))).toEqual({ kind: 'decide-after' });
  });
});

describe('planCrops', () => {
  const train = Array.from({ length: 30 }, (_, i) => ({
    sha256: createHash('sha256').update(String(i)).digest('hex'),
    label: i % 10 === 9 ? OOD_LABEL : i % 2,
  }));
  const pathOf = (sha: string): string => `/img/${sha.slice(0, 8)}.png`;

  it('cuts K seeded crops of 35-70% per ID image, inside the image, keyed by image and box', () => {
    const views = planCrops(train, pathOf, { perImage: 3, seed: 5 });
    expect(views.length).toBe(27 * 3);
    for (const v of views) {
      const src = train[v.source]!;
      expect(src.label).not.toBe(OOD_LABEL);
      expect(v.label).toBe(src.label);
      expect(v.path).toBe(pathOf(src.sha256));
      expect(v.crop.w).toBe(v.crop.h);
      expect(v.crop.w).toBeGreaterThanOrEqual(CROP_SIDE.min);
      expect(v.crop.w).toBeLessThanOrEqual(CROP_SIDE.max);
      expect(v.crop.x + v.crop.w).toBeLessThanOrEqual(1);
      expect(v.crop.y + v.crop.h).toBeLessThanOrEqual(1);
      expect(v.sha256).toBe(cropKey(src.sha256, v.crop));
      expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(views.map((v) => v.sha256)).size).toBe(views.length);
    expect(planCrops(train, pathOf, { perImage: 3, seed: 5 })).toEqual(views);
    expect(planCrops(train, pathOf, { perImage: 3, seed: 6 })).not.toEqual(views);
  });

  it('caps the number of source images (a seeded choice) and skips images without a path', () => {
    const views = planCrops(train, pathOf, { perImage: 1, seed: 1, maxImages: 10 });
    expect(new Set(views.map((v) => v.source)).size).toBe(10);
    const other = planCrops(train, pathOf, { perImage: 1, seed: 2, maxImages: 10 });
    expect(other.map((v) => v.source)).not.toEqual(views.map((v) => v.source));
    expect(planCrops(train, () => undefined, { perImage: 2, seed: 1 })).toEqual([]);
  });
});
