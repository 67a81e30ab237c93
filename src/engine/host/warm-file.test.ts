import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WarmStart } from '../types.js';
import { loadWarm, saveWarm, warmPath } from './warm-file.js';

const dir = await mkdtemp(join(tmpdir(), 'ssod-warm-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const stats = (n: number, v: number): { mean: Float32Array; std: Float32Array } => ({
  mean: new Float32Array(n).fill(v),
  std: new Float32Array(n).fill(v + 1),
});
const coldReason = async (path: string, key: string): Promise<string> => {
  const r = await loadWarm(path, key);
  return 'cold' in r ? r.cold : 'warm';
};
const warm: WarmStart = {
  fingerprint: '{"scheme":"x"}',
  models: {
    0: {
      arrays: { clsW: Float32Array.of(1, 2, 3), oodB: Float32Array.of(-0.5) },
      mapStats: stats(2, 0),
      pooledStats: stats(3, 1),
    },
    2: {
      arrays: { clsW: Float32Array.of(4, 5, 6), oodB: Float32Array.of(0.25) },
      mapStats: stats(2, 2),
      pooledStats: stats(3, 3),
    },
  },
};

describe('warm-start file', () => {
  it('round-trips every model, weights and statistics, beside the model JSON', async () => {
    const path = warmPath(join(dir, 'run-3.json'));
    expect(path).toBe(join(dir, 'run-3.warm.bin'));
    await saveWarm(path, 'mobilenet@96', warm);
    expect(await loadWarm(path, 'mobilenet@96')).toEqual(warm);
  });

  it('means a cold start, with the reason, when missing, corrupt or made on other features', async () => {
    const path = join(dir, 'run-4.warm.bin');
    expect(await coldReason(path, 'k')).toMatch(/no warm-start file/);
    await saveWarm(path, 'other', warm);
    expect(await coldReason(path, 'k')).toMatch(/other features/);
    await writeFile(path, Buffer.from([200, 0, 0, 0, 123]));
    expect(await coldReason(path, 'k')).toMatch(/unreadable/);
  });
});
