import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { OOD_LABEL, type TrainHeadsResult, type TrainItem } from '../types.js';
import { Scratch } from './batch.js';
import { defaultHeadsConfig, trainHeads } from './index.js';
import { syntheticFeatures } from './testing.js';

describe('Scratch', () => {
  it('hands a buffer out again, grown when asked for more, as views of the asked length', () => {
    const s = new Scratch();
    const a = s.take('x', 4).fill(7);
    const b = s.take('x', 3);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(3);
    expect(Array.from(b)).toEqual([7, 7, 7]); // not cleared: callers overwrite
    const c = s.take('x', 10);
    expect(c.length).toBe(10);
    expect(c.buffer).not.toBe(a.buffer);
    expect(s.take('y', 2).buffer).not.toBe(c.buffer);
  });
});

// The cpu backend keeps the very array a tensor was made of, where wasm copies it: the trainer's reused batch
// buffers are only safe if every tensor made from one is disposed before the buffer is written again. Training
// the same heads on both backends checks it (a tensor reading a rewritten buffer would train on another batch).
describe('batch buffers on the cpu backend', () => {
  it('train the same heads as on wasm, reviewed OOD included', async () => {
    const data = syntheticFeatures({ classes: 3, perClass: 30, ood: 12, seed: 9 });
    const train: TrainItem[] = data.labels.map((y, row) => ({ row, label: y >= 0 ? y : OOD_LABEL }));
    const config = defaultHeadsConfig({ epochs: 4, warmupEpochs: 1, batchSize: 16, folds: 2, seed: 4 });
    const run = async (name: string): Promise<TrainHeadsResult> => {
      if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      await tf.setBackend(name);
      return trainHeads({ features: data.store, classes: ['a', 'b', 'c'], train, scoreRows: [], config });
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.lossCurve.length).toBe(wasm.lossCurve.length);
    cpu.lossCurve.forEach((p, i) => expect(p.loss).toBeCloseTo(wasm.lossCurve[i]!.loss, 3));
    const ssod = (r: TrainHeadsResult): number[] => r.scores.map((s) => s.scores.ssod!);
    const [a, b] = [ssod(cpu), ssod(wasm)];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 2));
  }, 60_000);
});
