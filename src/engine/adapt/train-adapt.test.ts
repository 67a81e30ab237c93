import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { foldedMobileNetV2Graph } from '../backbones/folded-graph.js';
import { selectBackend } from '../backends/select-backend.js';
import { createMemoryStore } from '../ssod/memory-store.js';
import { OOD_LABEL, type FeatureStore, type FoldedConvUnit, type TrainItem } from '../types.js';
import { adaptedFeatureStore, adaptMaps } from './adapted-store.js';
import { nextEpochOverruns, trainAdapt, type AdaptProgress } from './train-adapt.js';
import { fashionBlock12Maps } from './testing/fashion-maps.js';

const CLASSES = '0123456789'.split('');
const N = 120;
let store: FeatureStore;
let train: TrainItem[];
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'adapt-'));
  dirs.push(d);
  return d;
};
const FAST = { epochs: 2, warmupEpochs: 1, batchSize: 32, backgroundClusters: 4, cropShare: 0.5 };

beforeAll(async () => {
  await selectBackend('wasm');
  const real = await fashionBlock12Maps(N, 96);
  store = createMemoryStore(real.layout, real.maps, real.pooled);
  train = Array.from(real.labels, (label, row) => ({ row, label }));
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('trainAdapt on real block-12 maps', () => {
  it('trains the chosen blocks with the joint loss and leaves the frozen ones alone', async () => {
    const phases = new Set<string>();
    const r = await trainAdapt({
      features: store,
      classes: CLASSES,
      train: [...train, { row: 0, label: OOD_LABEL }],
      config: { ...FAST, trainableFrom: 'block_16' },
      onProgress: (p: AdaptProgress) => phases.add(p.phase),
    });
    expect([...phases]).toEqual(expect.arrayContaining(['prepare', 'warm-up', 'sample', 'train', 'validate']));
    // The heads read the map's 128 dominant channels (config.mapChannels), fitted on the training images.
    expect(r.layout).toEqual({ mapH: 3, mapW: 3, mapC: 128, pooledC: 128 });
    expect([r.projection?.c, r.projection?.k]).toEqual([1280, 128]);
    expect(r.lossCurve.filter((l) => l.phase === 'adapt')).toHaveLength(2);
    for (const l of r.lossCurve) expect(Number.isFinite(l.loss)).toBe(true);
    expect(r.sampling[0]!.oodShare).toBeGreaterThan(0);
    const original = foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' });
    const before = adaptedFeatureStore({ ...r, top: original }, store);
    const after = adaptedFeatureStore(r, store);
    const [a, b] = [await before.pooled([1, 2]), await after.pooled([1, 2])];
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-3)).toBe(true);
    const unit = (name: string): FoldedConvUnit => r.top.units.find((u) => u.output === name) as FoldedConvUnit;
    const origUnit = (name: string): FoldedConvUnit => original.units.find((u) => u.output === name) as FoldedConvUnit;
    expect(unit('block_15_expand_relu').filter).toEqual(origUnit('block_15_expand_relu').filter);
    expect(unit('out_relu').filter).not.toEqual(origUnit('out_relu').filter);
  }, 300_000);

  it('trains the same with the frozen blocks held once per image as with them run on every pass', async () => {
    const noCrops = { ...FAST, cropShare: 0, trainableFrom: 'block_16' as const };
    const held = await trainAdapt({ features: store, classes: CLASSES, train, config: noCrops });
    const rerun = await trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      config: noCrops,
      frozenCacheMaxBytes: 0,
    });
    expect(held.lossCurve.map((l) => l.phase)).toEqual(rerun.lossCurve.map((l) => l.phase));
    held.lossCurve.forEach((l, i) => {
      expect(l.loss).toBeCloseTo(rerun.lossCurve[i]!.loss, 3);
      if (l.valLoss !== undefined) expect(l.valLoss).toBeCloseTo(rerun.lossCurve[i]!.valLoss!, 3);
    });
    expect(held.valAccuracy).toBeCloseTo(rerun.valAccuracy!, 6);
  }, 300_000);

  it('resumes from the last epoch checkpoint, and starts clean from a torn one', async () => {
    const dir = tempDir();
    const first = await trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      config: { ...FAST, epochs: 1 },
      checkpointDir: dir,
    });
    expect(first.resumedFromEpoch).toBeUndefined();
    const resumed = await trainAdapt({ features: store, classes: CLASSES, train, config: FAST, checkpointDir: dir });
    expect(resumed.resumedFromEpoch).toBe(1);
    expect(resumed.lossCurve.filter((l) => l.phase === 'adapt').map((l) => l.epoch)).toEqual([1, 2]);
    const bin = readdirSync(dir).find((n) => n.endsWith('.bin'))!;
    truncateSync(join(dir, bin), 100);
    const clean = await trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      config: { ...FAST, epochs: 1 },
      checkpointDir: dir,
    });
    expect(clean.resumedFromEpoch).toBeUndefined();
  }, 300_000);
});

describe('trainAdapt when things go wrong', () => {
  it('stops on cancel mid-epoch with a clear error, keeping the previous checkpoint', async () => {
    const dir = tempDir();
    await trainAdapt({ features: store, classes: CLASSES, train, config: { ...FAST, epochs: 1 }, checkpointDir: dir });
    const files = readdirSync(dir).sort();
    const abort = new AbortController();
    const run = trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      config: { ...FAST, epochs: 3 },
      checkpointDir: dir,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase === 'train' && p.epoch === 2) abort.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(dir).sort()).toEqual(files);
  }, 300_000);

  it('stops on a NaN loss and says so', async () => {
    // A top whose last unit emits NaN (its ReLU6 removed, a NaN bias): every loss is NaN from the first step.
    const top = foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' });
    const last = top.units.at(-1) as FoldedConvUnit;
    const bias = last.bias.slice();
    bias[0] = NaN;
    const poisoned = { ...top, units: [...top.units.slice(0, -1), { ...last, relu6: false, bias }] };
    const run = trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      top: poisoned,
      config: { ...FAST, warmupEpochs: 0 },
    });
    await expect(run).rejects.toThrow(/diverged .*previous model stays current/);
  }, 300_000);

  it('refuses bad input with a clear message', async () => {
    await expect(
      trainAdapt({ features: store, classes: ['only'], train: train.map((t) => ({ ...t, label: 0 })) }),
    ).rejects.toThrow(/at least 2 classes/);
    const wrong = createMemoryStore(
      { mapH: 2, mapW: 2, mapC: 8, pooledC: 1 },
      new Float32Array(2 * 32),
      new Float32Array(2),
    );
    await expect(
      trainAdapt({
        features: wrong,
        classes: ['a', 'b'],
        train: [
          { row: 0, label: 0 },
          { row: 1, label: 1 },
        ],
      }),
    ).rejects.toThrow(/96 channels/);
    await expect(trainAdapt({ features: store, classes: CLASSES, train, config: { gamma: 2 } })).rejects.toBeInstanceOf(
      AppError,
    );
    await expect(
      trainAdapt({
        features: store,
        classes: ['a', 'b', 'c'],
        train: [
          { row: 0, label: 0 },
          { row: 1, label: 1 },
        ],
      }),
    ).rejects.toThrow(/"c" has no training image/);
  });
});

describe('the training budget', () => {
  it('starts no joint epoch that the last one says would overrun it', () => {
    expect(nextEpochOverruns(50, [30], 100)).toBe(false);
    expect(nextEpochOverruns(80, [30], 100)).toBe(true);
    expect(nextEpochOverruns(80, [], 100)).toBe(false);
    expect(nextEpochOverruns(1e6, [30])).toBe(false);
  });

  it('stops after the first joint epoch when the budget is spent, and says so', async () => {
    const r = await trainAdapt({
      features: store,
      classes: CLASSES,
      train,
      config: { ...FAST, cropShare: 0, epochs: 3 },
      budgetSeconds: 0.001,
    });
    expect(r.epochsRun).toBe(1);
    expect(r.stopReason).toBe('budget');
    expect(r.warnings.join(' ')).toMatch(/stopped after joint epoch 1 of 3/);
  }, 300_000);
});

describe('adapted features', () => {
  it('gives adapted features equal to running the trained top directly', async () => {
    const r = await trainAdapt({ features: store, classes: CLASSES, train, config: { ...FAST, epochs: 1 } });
    const adapted = adaptedFeatureStore(r, store);
    const direct = adaptMaps(r.top, await store.maps([3, 4]), 2, store.layout, r.projection);
    expect(await adapted.maps([3, 4])).toEqual(direct.maps);
    expect(await adapted.pooled([4])).toEqual(direct.pooled.slice(128));
  }, 300_000);
});
