import { describe, expect, it } from 'vitest';
import {
  decideMode,
  DEFAULT_ADAPT_BUDGET_SECONDS,
  estimateAdaptSeconds,
  followAdaptedTop,
  runBudget,
  type AdaptRecord,
} from './adapt-step.js';

const extract = {
  backboneKey: 'mobilenet_v2:block12',
  preprocess: {
    size: 96,
    fit: 'squash' as const,
    mean: [0, 0, 0] as [number, number, number],
    std: [1, 1, 1] as [number, number, number],
    channels: 3 as const,
  },
  layout: { mapH: 6, mapW: 6, mapC: 96, pooledC: 960 },
};
const record: AdaptRecord = {
  modelPath: '/p/models/adapt-run-3.json',
  sha256: 'a'.repeat(64),
  adaptedKey: 'mobilenet_v2+adapted:aaa',
  baseKey: extract.backboneKey,
  inputSize: 96,
  seconds: 40,
  trainedInRun: 3,
};

describe('decideMode', () => {
  it('adapts when asked, and refuses a backbone whose top it cannot train', () => {
    expect(decideMode({ mode: 'adapt' }, undefined, extract, 100)).toMatchObject({ mode: 'adapt', adapt: 'train' });
    expect(() => decideMode({ mode: 'adapt', backbone: 'small-cnn' }, undefined, extract, 100)).toThrow(/mobilenet_v2/);
    expect(decideMode({ mode: 'heads' }, undefined, extract, 100)).toMatchObject({ mode: 'heads', adapt: 'none' });
  });

  it('says why an automatic run does not adapt, and fits an asked-for adaptation to the budget', () => {
    const small = decideMode({}, undefined, extract, 500);
    expect(small).toMatchObject({ mode: 'heads', adapt: 'none', budgetSeconds: DEFAULT_ADAPT_BUDGET_SECONDS });
    expect(small.reason).toMatch(/fits the budget.*0 reviewed OOD.*10 needed/);
    // With enough reviewed OOD to validate on, both modes are trained and compete.
    const validate = decideMode({}, undefined, extract, 500, true, 12);
    expect(validate).toMatchObject({ mode: 'heads', adapt: 'validate', epochs: 6 });
    expect(validate.reason).toMatch(/12 reviewed OOD/);
    expect(decideMode({ budget: 5 }, undefined, extract, 500, true, 12).adapt).toBe('none');
    expect(decideMode({ mode: 'heads' }, undefined, extract, 500, true, 12).adapt).toBe('none');
    const tight = decideMode({ budget: 5 }, undefined, extract, 500);
    expect(tight).toMatchObject({ mode: 'heads', adapt: 'none' });
    expect(tight.reason).toMatch(/over the 0 s the budget of 5 s \(--budget\) leaves it/);
    expect(decideMode({ mode: 'adapt' }, undefined, extract, 500).epochs).toBe(6);
    const short = decideMode({ mode: 'adapt', budget: 60 }, undefined, extract, 10_000);
    expect(short.epochs).toBeLessThan(6);
    expect(short.epochs).toBeGreaterThanOrEqual(1);
    expect(short.estimatedSeconds).toBeLessThanOrEqual(estimateAdaptSeconds(10_000, 96, 6));
    expect(estimateAdaptSeconds(10_000, 224)).toBeGreaterThan(estimateAdaptSeconds(10_000, 96));
  });

  it('gives the adapt step what the whole run budget leaves after extraction, the heads and storing the run', () => {
    const at128 = { ...extract, preprocess: { ...extract.preprocess, size: 128 }, layout: { ...extract.layout } };
    const b = runBudget(300, 25, 10_000, 128);
    expect(b.adaptSeconds).toBeCloseTo(300 - 25 - b.headsSeconds - b.otherSeconds, 6);
    expect(b.trainSeconds).toBeLessThan(b.adaptSeconds);
    const d = decideMode({ mode: 'adapt' }, undefined, { ...at128, seconds: 25 }, 10_000);
    expect(d.budget).toEqual(b);
    // The predicted whole run stays within the budget, and says how it was shared.
    expect(25 + d.estimatedSeconds! + b.headsSeconds + b.otherSeconds).toBeLessThanOrEqual(300);
    expect(d.reason).toMatch(/extraction took 25 s/);
    // A slower extraction leaves fewer joint epochs; one that takes the whole budget still leaves one.
    const slow = decideMode({ mode: 'adapt' }, undefined, { ...at128, seconds: 120 }, 10_000);
    expect(slow.epochs!).toBeLessThan(d.epochs!);
    const none = decideMode({ mode: 'adapt' }, undefined, { ...at128, seconds: 400 }, 10_000);
    expect(none).toMatchObject({ epochs: 1, budget: { adaptSeconds: 0, trainSeconds: 1 } });
    // Validating both modes trains the heads twice: less is left for adapting.
    expect(runBudget(300, 25, 10_000, 128, 2).adaptSeconds).toBeCloseTo(b.adaptSeconds - b.headsSeconds, 6);
  });

  it("reuses the current run's adapted top on a retrain, unless re-adaptation is asked for", () => {
    const previous = { metrics: { adapt: { record } } };
    expect(decideMode({}, previous, extract, 500)).toMatchObject({ adapt: 'reuse', reuse: record });
    expect(decideMode({ mode: 'adapt' }, previous, extract, 500)).toMatchObject({ adapt: 'train' });
    // Features of another base (another input size) cannot be fed to that top.
    expect(decideMode({}, previous, { ...extract, backboneKey: 'other' }, 500).adapt).toBe('none');
    // A rejected adaptation is not reused.
    expect(decideMode({}, { metrics: { adapt: { rejected: record } } }, extract, 500).adapt).toBe('none');
  });
});

describe('followAdaptedTop', () => {
  const previous = { metrics: { adapt: { record: { ...record, inputSize: 128 } } } };

  it("makes a plain retrain extract at the adapted top's input size, so the top is reused", () => {
    expect(followAdaptedTop({}, previous)).toEqual({ inputSize: 128 });
    expect(followAdaptedTop({ seed: 2, budget: 60 }, previous)).toEqual({ seed: 2, budget: 60, inputSize: 128 });
  });

  it('leaves explicit options and runs without an adapted top alone', () => {
    expect(followAdaptedTop({ inputSize: 224 }, previous)).toEqual({ inputSize: 224 });
    expect(followAdaptedTop({ mode: 'heads' }, previous)).toEqual({ mode: 'heads' });
    expect(followAdaptedTop({ mode: 'adapt' }, previous)).toEqual({ mode: 'adapt' });
    expect(followAdaptedTop({ backbone: 'small-cnn' }, previous)).toEqual({ backbone: 'small-cnn' });
    expect(followAdaptedTop({}, undefined)).toEqual({});
    expect(followAdaptedTop({}, { metrics: { adapt: { rejected: record } } })).toEqual({});
  });
});
