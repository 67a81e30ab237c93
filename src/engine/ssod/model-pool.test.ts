import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrainHeadsResult, TrainItem } from '../types.js';
import { defaultHeadsConfig, trainHeads } from './index.js';
import { dropPool, headsWorkerCount, MIN_PARALLEL_ITEMS } from './model-pool.js';
import { syntheticFeatures } from './testing.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
});

const saved = process.env.SSOD_HEADS_WORKERS;
afterAll(() => dropPool());
afterEach(() => {
  if (saved === undefined) delete process.env.SSOD_HEADS_WORKERS;
  else process.env.SSOD_HEADS_WORKERS = saved;
});

const data = syntheticFeatures({ classes: 3, perClass: 30, ood: 20, seed: 5 });
const train: TrainItem[] = data.labels.flatMap((y, row) => (y >= 0 && row % 3 !== 0 ? [{ row, label: y }] : []));
const scoreRows = data.labels.flatMap((y, row) => (y < 0 || row % 3 === 0 ? [row] : []));
const config = defaultHeadsConfig({ epochs: 4, warmupEpochs: 1, batchSize: 32, folds: 3, seed: 11 });

async function run(workers: string): Promise<TrainHeadsResult> {
  process.env.SSOD_HEADS_WORKERS = workers;
  return trainHeads({ features: data.store, classes: ['a', 'b', 'c'], train, scoreRows, config });
}

describe('model pool', () => {
  it('trains the models on worker threads with exactly the sequential results', async () => {
    const seq = await run('1');
    const par = await run('2');
    expect(par.scores).toEqual(seq.scores);
    expect(par.thresholds).toEqual(seq.thresholds);
    expect(par.lossCurve).toEqual(seq.lossCurve);
    expect(par.model.weights).toEqual(seq.model.weights);
    expect(par.model.spec).toEqual(seq.model.spec);
    // The workers are kept between runs: a second run on them (new context, same jobs) gives the same models.
    const again = await run('2');
    expect(again.scores).toEqual(seq.scores);
    expect(again.model.weights).toEqual(seq.model.weights);
    expect((par.metrics.models as unknown[]).length).toBe(4);
    expect(seq.metrics.modelThreads).toBe(1);
    expect(par.metrics.modelThreads).toBe(2);
    // Only the thread count may differ.
    expect({ ...par.metrics, modelThreads: 1, timings: 0, phaseMs: 0 }).toEqual({
      ...seq.metrics,
      timings: 0,
      phaseMs: 0,
    });
  }, 60_000);

  it('stops the workers when the run is cancelled', async () => {
    process.env.SSOD_HEADS_WORKERS = '2';
    const ctl = new AbortController();
    const run = trainHeads({
      features: data.store,
      classes: ['a', 'b', 'c'],
      train,
      scoreRows,
      config,
      signal: ctl.signal,
      onProgress: () => ctl.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  }, 60_000);

  it('picks sequential for small runs and honours SSOD_HEADS_WORKERS', () => {
    delete process.env.SSOD_HEADS_WORKERS;
    expect(headsWorkerCount(MIN_PARALLEL_ITEMS - 1, 6)).toBe(1);
    expect(headsWorkerCount(MIN_PARALLEL_ITEMS, 6)).toBeLessThanOrEqual(2);
    process.env.SSOD_HEADS_WORKERS = '3';
    expect(headsWorkerCount(10, 2)).toBe(2);
    process.env.SSOD_HEADS_WORKERS = 'zero';
    expect(() => headsWorkerCount(10, 2)).toThrow(/SSOD_HEADS_WORKERS/);
  });
});
