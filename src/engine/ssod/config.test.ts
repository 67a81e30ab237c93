import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, defaultHeadsConfig, effectiveBatchSize, resolveConfig } from './config.js';
import { warmFingerprint } from './warm-start.js';

describe('effectiveBatchSize', () => {
  const v = { maxStepsPerEpoch: 48 };
  it('keeps the configured batch where an epoch has few steps', () => {
    expect(effectiveBatchSize(128, 3000, v)).toBe(128); // 24 steps
    expect(effectiveBatchSize(128, 48 * 128, v)).toBe(128);
  });
  it('doubles the batch for large sets, at most 8x', () => {
    expect(effectiveBatchSize(128, 48 * 128 + 1, v)).toBe(256);
    expect(effectiveBatchSize(128, 9000, v)).toBe(256); // 36 steps
    expect(effectiveBatchSize(128, 45_000, v)).toBe(1024);
    expect(effectiveBatchSize(128, 1_000_000, v)).toBe(1024);
  });
  it('keeps a batch of large maps under MAX_BATCH_BYTES', () => {
    const bytes14 = 14 * 14 * 96 * 4; // 128 of them: 9.2 MiB
    expect(effectiveBatchSize(128, 9000, v, bytes14)).toBe(128);
    const bytes6 = 6 * 6 * 96 * 4; // 13.5 KiB: up to 512 fit
    expect(effectiveBatchSize(128, 9000, v, bytes6)).toBe(256);
    expect(effectiveBatchSize(128, 45_000, v, bytes6)).toBe(512);
    expect(512 * bytes6).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('never changes the batch when switched off', () => {
    expect(effectiveBatchSize(128, 1_000_000, { maxStepsPerEpoch: 0 })).toBe(128);
  });
  it('is part of the recorded variant and checked', () => {
    expect(resolveConfig(defaultHeadsConfig()).maxStepsPerEpoch).toBe(48);
    expect(() => resolveConfig(defaultHeadsConfig({ variant: { maxStepsPerEpoch: -1 } }))).toThrow(/maxStepsPerEpoch/);
  });
});

describe('warm-start knobs', () => {
  it('stop a warm start at its first epoch without progress by default, checked where they enter', () => {
    const v = resolveConfig(defaultHeadsConfig());
    expect(v.warmPatience).toBe(1);
    expect(v.warmPatience).toBeLessThan(v.patience);
    expect(() => resolveConfig(defaultHeadsConfig({ variant: { warmPatience: 0 } }))).toThrow(/warmPatience/);
  });

  it('do not change what a model is: runs differing only there still chain', () => {
    const layout = { mapH: 6, mapW: 6, mapC: 96, pooledC: 960 };
    const config = defaultHeadsConfig();
    const base = resolveConfig(config);
    const fp = (v: typeof base): string => warmFingerprint(['a', 'b'], layout, config, v);
    expect(fp({ ...base, warmPatience: 3, warmEpochs: 8 })).toBe(fp(base));
    expect(fp({ ...base, patience: 5 })).not.toBe(fp(base));
  });
});
