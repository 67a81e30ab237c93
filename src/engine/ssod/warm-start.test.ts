import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { auroc } from '../metrics/index.js';
import { OOD_LABEL, type TrainItem } from '../types.js';
import { defaultHeadsConfig, foldsOf, trainHeads } from './index.js';
import { syntheticFeatures } from './testing.js';
import { inValSplit, keyFold, keyHash, keyedRun } from './warm-start.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
});

const keyOf = (row: number): string => `sha-${row.toString(16).padStart(8, '0')}`;

describe('content-hash folds', () => {
  // Run 1: 300 images in 3 classes. Run 2 after review: 40 removed, 30 added, 20 relabelled, 10 rejected.
  const run1: TrainItem[] = Array.from({ length: 300 }, (_, r) => ({ row: r, label: r % 3, key: keyOf(r) }));
  const run2: TrainItem[] = [
    ...run1.slice(40).map((it, j) => ({
      ...it,
      label: j < 20 ? (it.label + 1) % 3 : j < 30 ? OOD_LABEL : it.label,
    })),
    ...Array.from({ length: 30 }, (_, j) => ({ row: 300 + j, label: j % 3, key: keyOf(300 + j) })),
  ].reverse();

  it("give an image the same fold whatever else is in the run, so fold k's start never saw fold k", () => {
    const k = 5;
    const f1 = new Map(run1.map((it, i) => [it.key!, foldsOf(run1, k, 42)[i]!]));
    const folds2 = foldsOf(run2, k, 42);
    const f2 = new Map(run2.map((it, i) => [it.key!, folds2[i]!]));
    for (const [key, fold] of f2) if (f1.has(key)) expect(f1.get(key)).toBe(fold);
    for (let fold = 0; fold < k; fold++) {
      // What the previous run's fold model trained on, and what this run's same fold model scores.
      const trainedBefore = new Set(run1.filter((it) => f1.get(it.key!) !== fold).map((it) => it.key!));
      const heldNow = run2.filter((it) => f2.get(it.key!) === fold).map((it) => it.key!);
      expect(heldNow.length).toBeGreaterThan(20);
      expect(heldNow.filter((key) => trainedBefore.has(key))).toEqual([]);
    }
  });

  it('spread the images over every fold, and keep the seeded stratified folds for items without keys', () => {
    const folds = foldsOf(run1, 5, 42);
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.min(...sizes)).toBeGreaterThan(35);
    const unkeyed = run1.map(({ row, label }) => ({ row, label }));
    expect(keyedRun(unkeyed, 5)).toBe(false);
    expect(keyedRun(run1, 5)).toBe(true);
    // 100 images a class: enough for 5 folds at 10 a class and fold, not for 11 folds.
    expect(keyedRun(run1, 11)).toBe(false);
    const strat = foldsOf(unkeyed, 5, 42);
    expect([0, 1, 2, 3, 4].map((f) => strat.filter((x) => x === f).length)).toEqual([60, 60, 60, 60, 60]);
  });

  it('hash to well spread, salt-dependent values', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => keyOf(i));
    expect(new Set(keys.map((k) => keyHash(k, 1))).size).toBe(2000);
    expect(keys.filter((k) => keyFold(k, 5, 1) !== keyFold(k, 5, 2)).length).toBeGreaterThan(1200);
    const val = keys.filter((k) => inValSplit(k, 3, 42, 0.1)).length;
    expect(val).toBeGreaterThan(140);
    expect(val).toBeLessThan(260);
    // Each model's early-stopping split is its own.
    expect(keys.filter((k) => inValSplit(k, 3, 42, 0.1) !== inValSplit(k, 4, 42, 0.1)).length).toBeGreaterThan(200);
  });
});

describe('a retrain warm-started from the previous run', () => {
  const data = syntheticFeatures({ classes: 3, perClass: 40, ood: 30, cluster: 24, clusterOf: 0, seed: 3 });
  const rows = (pred: (y: number) => boolean): number[] => data.labels.flatMap((y, r) => (pred(y) ? [r] : []));
  const idRows = rows((y) => y >= 0);
  const clusterRows = rows((y) => y === -2);
  const oodRows = rows((y) => y === -1);
  const classes = ['a', 'b', 'c'];
  const config = defaultHeadsConfig({ epochs: 8, warmupEpochs: 2, batchSize: 32, folds: 3, seed: 7 });
  const item = (row: number, label: number): TrainItem => ({ row, label, key: keyOf(row) });
  const first = [...idRows.map((r) => item(r, data.labels[r]!)), ...clusterRows.map((r) => item(r, 0))];
  // The review: half of the cluster rejected as OOD.
  const reviewed = first.map((it, i) =>
    clusterRows.includes(it.row) && i % 2 === 0 ? { ...it, label: OOD_LABEL } : it,
  );
  const input = { features: data.store, classes, scoreRows: oodRows, config };

  it('starts every model from its predecessor, trains fewer epochs and scores as well as a cold retrain', async () => {
    const r1 = await trainHeads({ ...input, train: first });
    expect(r1.warm).toBeDefined();
    expect(r1.metrics.warmStart).toMatchObject({ used: 0, of: 4 });
    const cold = await trainHeads({ ...input, train: reviewed });
    const warm = await trainHeads({ ...input, train: reviewed, warmStart: r1.warm! });
    expect(warm.metrics.warmStart).toMatchObject({ used: 4, of: 4 });
    // A warm run hands on its start: retraining again with the same decisions gives the same scores.
    expect(warm.warm).toBe(r1.warm);
    const again = await trainHeads({ ...input, train: reviewed, warmStart: warm.warm! });
    expect(again.scores.map((s) => s.scores)).toEqual(warm.scores.map((s) => s.scores));
    const epochs = (r: typeof warm): number[] => (r.metrics.models as { epochs: number }[]).map((m) => m.epochs);
    expect(Math.max(...epochs(warm))).toBeLessThanOrEqual(4);
    expect(Math.min(...epochs(cold))).toBeGreaterThan(4);
    // Out of fold, the held-out cluster images still rank above the ID images, as in the cold retrain.
    const rank = (r: typeof warm, scorer: string): number => {
      const by = new Map(r.scores.map((s) => [s.row, s.scores[scorer]!]));
      const held = reviewed.filter((it) => it.label !== OOD_LABEL && clusterRows.includes(it.row));
      return auroc(
        idRows.map((row) => by.get(row)!),
        held.map((it) => by.get(it.row)!),
      );
    };
    for (const scorer of ['ssod', 'msp'])
      expect(rank(warm, scorer)).toBeGreaterThanOrEqual(Math.min(0.9, rank(cold, scorer) - 0.05));
    expect(warm.metrics.oofIdAccuracy as number).toBeGreaterThanOrEqual((cold.metrics.oofIdAccuracy as number) - 0.05);
  });

  it('trains from scratch when the classes changed, and says why', async () => {
    const r1 = await trainHeads({ ...input, train: first });
    const renamed = await trainHeads({ ...input, classes: ['a', 'b', 'd'], train: first, warmStart: r1.warm! });
    expect(renamed.metrics.warmStart).toMatchObject({ used: 0 });
    expect((renamed.metrics.warmStart as { reason: string }).reason).toMatch(/^cold: .*classes/);
  });
});
