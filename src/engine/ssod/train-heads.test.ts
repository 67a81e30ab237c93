import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { auroc } from '../metrics/index.js';
import { OOD_LABEL, type TrainItem } from '../types.js';
import { defaultHeadsConfig, deserializeHeads, scoreWithHeads, serializeHeads, trainHeads } from './index.js';
import { syntheticFeatures } from './testing.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
});

const data = syntheticFeatures({ classes: 3, perClass: 40, ood: 30, cluster: 24, clusterOf: 0, seed: 3 });
// The neck + bounded-head variant exercises every trained part; the default variant is checked separately below.
const config = defaultHeadsConfig({
  epochs: 6,
  warmupEpochs: 2,
  batchSize: 32,
  learningRate: 0.01,
  folds: 3,
  seed: 7,
  variant: { neck: 64, oodHead: 'prototype', inputNorm: true, ssodScore: 'fused' },
});
const rowsOf = (pred: (y: number) => boolean): number[] => data.labels.flatMap((y, r) => (pred(y) ? [r] : []));
// Train on 30 of each class; score the other 10 of each, the OOD images and the cluster.
const trainRows = rowsOf((y) => y >= 0).filter((r) => r % 40 < 30);
const testId = rowsOf((y) => y >= 0).filter((r) => r % 40 >= 30);
const oodRows = rowsOf((y) => y === -1);
const clusterRows = rowsOf((y) => y === -2);
const train: TrainItem[] = trainRows.map((row) => ({ row, label: data.labels[row]! }));
const classes = ['a', 'b', 'c'];

describe('trainHeads on synthetic maps', () => {
  it('separates clearly separable OOD, deterministically, and round-trips the model', async () => {
    const input = { features: data.store, classes, train, scoreRows: [...testId, ...oodRows], config };
    const r1 = await trainHeads(input);
    const byRow = new Map(r1.scores.slice(train.length).map((s) => [s.row, s]));
    const idS = testId.map((r) => byRow.get(r)!.scores.ssod!);
    const oodS = oodRows.map((r) => byRow.get(r)!.scores.ssod!);
    expect(auroc(idS, oodS)).toBeGreaterThan(0.95);
    // Out-of-fold predictions on ID training images are right.
    expect(r1.metrics.oofIdAccuracy).toBeGreaterThan(0.9);
    expect(r1.scores).toHaveLength(train.length + testId.length + oodRows.length);
    expect(r1.scores[0]!.heatmap).toHaveLength(16);
    expect(Object.keys(r1.thresholds)).toEqual(expect.arrayContaining(['ssod', 'msp', 'knn', 'mahalanobis']));

    const r2 = await trainHeads(input);
    expect(r2.scores.map((s) => s.scores)).toEqual(r1.scores.map((s) => s.scores));

    const { json, weights } = serializeHeads(r1.model);
    const again = await scoreWithHeads(deserializeHeads(json, weights), data.store, [...testId, ...oodRows]);
    again.forEach((s, i) => {
      const ref = byRow.get(s.row)!;
      expect(s.predicted).toBe(ref.predicted);
      expect(s.scores.ssod).toBeCloseTo(ref.scores.ssod!, 4);
      expect(s.heatmap[0]).toBeCloseTo(ref.heatmap[0]!, 5);
      expect(i).toBeGreaterThanOrEqual(0);
    });
  });

  it('raises a rejected cluster after retraining with it as reviewed OOD', async () => {
    // The cluster looks like class 0; half of it is reviewed as OOD, the other half is scored.
    const reviewed = clusterRows.slice(0, 12);
    const unseen = clusterRows.slice(12);
    const base = { features: data.store, classes, scoreRows: [...testId, ...unseen], config };
    const before = await trainHeads({ ...base, train: [...train, ...reviewed.map((row) => ({ row, label: 0 }))] });
    const after = await trainHeads({
      ...base,
      train: [...train, ...reviewed.map((row) => ({ row, label: OOD_LABEL }))],
    });
    const rank = (r: Awaited<ReturnType<typeof trainHeads>>): number => {
      const m = new Map(r.scores.slice(-(testId.length + unseen.length)).map((s) => [s.row, s.scores.ssod!]));
      return auroc(
        testId.map((x) => m.get(x)!),
        unseen.map((x) => m.get(x)!),
      );
    };
    expect(rank(after)).toBeGreaterThan(rank(before));
    expect(rank(after)).toBeGreaterThan(0.9);
  });

  it('separates OOD with the default variant too', async () => {
    const r = await trainHeads({
      features: data.store,
      classes,
      train,
      scoreRows: [...testId, ...oodRows],
      config: defaultHeadsConfig({ epochs: 4, folds: 2, seed: 1 }),
    });
    const m = new Map(r.scores.slice(train.length).map((s) => [s.row, s.scores.ssod!]));
    expect(
      auroc(
        testId.map((x) => m.get(x)!),
        oodRows.map((x) => m.get(x)!),
      ),
    ).toBeGreaterThan(0.95);
  });

  it('trains on augmented views without scoring them or holding them out', async () => {
    const small = defaultHeadsConfig({ epochs: 3, folds: 2, seed: 4 });
    const base = { features: data.store, classes, scoreRows: oodRows.slice(0, 5), config: small };
    const plain = await trainHeads({ ...base, train });
    // Views of the first 12 training images (rows of unseen same-class images stand in for their crops).
    const views: TrainItem[] = testId.slice(0, 12).map((row, j) => ({ row, label: train[j]!.label, source: j }));
    const widened = await trainHeads({ ...base, train: [...train, ...views] });
    expect(widened.scores).toHaveLength(train.length + 5);
    expect(widened.scores.slice(0, train.length).map((s) => s.row)).toEqual(train.map((t) => t.row));
    expect(widened.metrics.counts).toMatchObject({ train: train.length, augmented: 12 });
    // The views did train the heads.
    expect(widened.model.weights).not.toEqual(plain.model.weights);
    await expect(
      trainHeads({ ...base, train: [...train, ...views, { row: 0, label: 0, source: train.length }] }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('measures how alike the background positions are, and warns under the threshold', async () => {
    const run = (minBackgroundSpread: number): ReturnType<typeof trainHeads> =>
      trainHeads({
        features: data.store,
        classes,
        train,
        scoreRows: [],
        config: { ...config, epochs: 4, folds: 2, variant: { ...config.variant, minBackgroundSpread } },
      });
    const strict = await run(1000);
    const spread = strict.metrics.backgroundSpread as number;
    expect(spread).toBeGreaterThan(0);
    expect((strict.metrics.warnings as string[]).some((w) => w.includes('all alike'))).toBe(true);
    const lax = await run(0);
    expect(lax.metrics.backgroundSpread).toBeCloseTo(spread, 6);
    expect((lax.metrics.warnings as string[]).some((w) => w.includes('all alike'))).toBe(false);
  });

  it('stores every post-hoc rival and a calibrated scale beside the raw scores, and round-trips both', async () => {
    const r = await trainHeads({
      features: data.store,
      classes,
      train,
      scoreRows: [...testId, ...oodRows],
      config: defaultHeadsConfig({ epochs: 3, folds: 2, seed: 2 }),
    });
    expect(r.scorers).toEqual(expect.arrayContaining(['ssod-fused', 'gen', 'knn-map', 'rmds', 'vim', 'fdbd']));
    const scored = r.scores.slice(train.length);
    const byRow = new Map(scored.map((s) => [s.row, s]));
    const aurocOf = (s: string): number =>
      auroc(
        testId.map((x) => byRow.get(x)!.scores[s]!),
        oodRows.map((x) => byRow.get(x)!.scores[s]!),
      );
    // The synthetic OOD images have a foreground no class has: distance scorers separate them outright, while the
    // logits call them confidently ID (Energy near chance); ViM's residual recovers much of what Energy misses.
    for (const s of ['rmds', 'knn-map', 'mahalanobis']) expect(aurocOf(s)).toBeGreaterThan(0.95);
    expect(aurocOf('vim')).toBeGreaterThan(aurocOf('energy') + 0.2);
    for (const s of r.scores) {
      expect(Object.keys(s.calibrated).sort()).toEqual(Object.keys(s.scores).sort());
      for (const v of Object.values(s.calibrated)) expect(v >= 0 && v <= 1).toBe(true);
    }
    // Flagged <=> above the threshold, on either scale.
    for (const s of r.scores)
      for (const k of r.scorers)
        expect(s.calibrated[k]! > r.calibratedThresholds[k]!).toBe(s.scores[k]! > r.thresholds[k]!);
    // The training images' own held-out scores spread over the whole scale.
    const trainCal = r.scores.slice(0, train.length).map((s) => s.calibrated.ssod!);
    expect(Math.min(...trainCal)).toBe(0);
    expect(Math.max(...trainCal)).toBeGreaterThan(0.95);
    const { json, weights } = serializeHeads(r.model);
    const again = await scoreWithHeads(deserializeHeads(json, weights), data.store, [...testId, ...oodRows]);
    for (const s of again) {
      const ref = byRow.get(s.row)!;
      for (const k of ['rmds', 'vim', 'fdbd', 'gen', 'knn-map']) expect(s.scores[k]).toBeCloseTo(ref.scores[k]!, 3);
      expect(s.calibrated.ssod).toBeCloseTo(ref.calibrated.ssod!, 6);
    }
  });

  it('chooses the default SSOD estimate on given validation rows and reports the margin', async () => {
    const r = await trainHeads({
      features: data.store,
      classes,
      train,
      scoreRows: [],
      config: defaultHeadsConfig({ epochs: 3, folds: 2, seed: 2 }),
      validation: { id: testId, ood: { synthetic: oodRows } },
    });
    const choice = r.metrics.ssodDefault as { basis: string; scorer: string; auroc: Record<string, number> };
    expect(choice.basis).toBe('validation');
    expect(choice.auroc['rmds']).toBeGreaterThan(0.95);
    expect(r.metrics.ssodChoice).toContain(`ssod = ${choice.scorer}`);
    const best = Math.max(choice.auroc['ssod-head']!, choice.auroc['ssod-density']!, choice.auroc['ssod-fused']!);
    expect(choice.auroc[choice.scorer]).toBeGreaterThanOrEqual(best - 0.01);
  });

  it('refuses bad input and honours cancellation', async () => {
    await expect(
      trainHeads({ features: data.store, classes: ['x'], train, scoreRows: [], config }),
    ).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    const ac = new AbortController();
    ac.abort();
    await expect(
      trainHeads({ features: data.store, classes, train, scoreRows: [], config, signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
  });
});
