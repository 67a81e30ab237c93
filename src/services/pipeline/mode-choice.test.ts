import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { AdaptJobResult, ExtractResult, ShaScore, TrainRequest } from '../../engine/host/protocol.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import type { ModeDecision } from './adapt-step.js';
import { compareModes, MODE_SWITCH_MARGIN, validateModes } from './mode-choice.js';

function score(sha256: string, ssod: number): ShaScore {
  return { sha256, row: 0, predicted: 0, top: [], scores: { ssod }, calibrated: {}, heatmap: [] };
}

/** ID images id0..id3 and OOD images ood0..ood3; `oodHigh` of the OOD ones score above every ID image. */
function scores(oodHigh: number): ShaScore[] {
  const id = [0.1, 0.2, 0.3, 0.4].map((v, i) => score(`id${i}`, v));
  const ood = [0, 1, 2, 3].map((i) => score(`ood${i}`, i < oodHigh ? 0.9 : 0.05));
  return [...id, ...ood];
}
const ID = new Set(['id0', 'id1', 'id2', 'id3']);
const OOD = new Set(['ood0', 'ood1', 'ood2', 'ood3']);

describe('compareModes', () => {
  it('keeps heads mode unless adapt separates reviewed OOD from held-out ID better', () => {
    const adaptWins = compareModes(scores(2), scores(4), ID, OOD);
    expect(adaptWins.winner).toBe('adapt');
    expect(adaptWins.adapt).toBe(1);
    expect(adaptWins.heads).toBe(0.5);
    expect(adaptWins.margin).toBe(0.5);
    expect(adaptWins.message).toMatch(/adapt mode won.*4 held-out ID vs 4 reviewed OOD/);
    const headsWins = compareModes(scores(4), scores(1), ID, OOD);
    expect(headsWins.winner).toBe('heads');
    expect(headsWins.margin).toBeLessThan(-MODE_SWITCH_MARGIN);
  });

  it('keeps heads mode on a tie and when nothing can be compared', () => {
    expect(compareModes(scores(3), scores(3), ID, OOD).winner).toBe('heads');
    const none = compareModes(scores(3), scores(3), new Set(['missing']), OOD);
    expect(none.winner).toBe('heads');
    expect(none.message).toMatch(/no held-out ID/);
  });

  it('reads only the images it is given: held-out ID, not the images the top trained on', () => {
    // A trained-on ID image scoring high would lower AUROC; it is not in the held-out set, so it does not count.
    const adapt = [...scores(4), score('fitted', 0.99)];
    expect(compareModes(scores(2), adapt, ID, OOD).adapt).toBe(1);
  });
});

const extract = {
  backboneKey: 'base',
  preprocess: { size: 128 },
  layout: { mapH: 4, mapW: 4, mapC: 96, pooledC: 960 },
} as unknown as ExtractResult;

function fakeEngine(seen: { train?: { sha256: string; label: number }[] }): EngineClient {
  const summary = {
    heldOutRows: [0, 1, 2, 3],
    warnings: [],
    layout: extract.layout,
  } as unknown as AdaptJobResult['summary'];
  return {
    adaptFeatures: () => Promise.reject(new Error('not used')),
    trainAdapt: (req: { train: { sha256: string; label: number }[] }) => {
      seen.train = req.train;
      // Held-out rows index the request's train list: id0..id3 come first in it.
      return Promise.resolve({
        adaptedKey: 'adapted',
        modelPath: '/m/adapt.json',
        sha256: 'a'.repeat(64),
        layout: { mapH: 4, mapW: 4, mapC: 1280, pooledC: 1280 },
        summary,
        written: 8,
        backend: { name: 'cpu' },
        seconds: 1,
      } as unknown as AdaptJobResult);
    },
  } as unknown as EngineClient;
}

function fixture(
  adaptOodHigh: number,
): Parameters<typeof validateModes>[0] & { seen: { train?: unknown[] }; asked: string[] } {
  const seen: { train?: { sha256: string; label: number }[] } = {};
  const asked: string[] = [];
  const request: Omit<TrainRequest, 'kind'> = {
    cacheDir: '/c',
    backboneKey: 'base',
    classes: ['a', 'b'],
    train: [
      ...[...ID].map((sha256, i) => ({ sha256, label: i % 2 })),
      ...[...OOD].map((sha256) => ({ sha256, label: -1 })),
    ],
    score: [],
    modelOut: '/m/run-7.json',
  };
  const decision: ModeDecision = { mode: 'heads', adapt: 'validate', reason: 'fits', budgetSeconds: 300, epochs: 6 };
  const ctx = { progress: () => undefined, signal: new AbortController().signal } as unknown as JobContext;
  return {
    project: { featuresDir: '/c', modelsDir: '/m' } as unknown as ProjectHandle,
    engine: fakeEngine(seen),
    decision,
    extract,
    request,
    runId: 7,
    ctx,
    seen,
    asked,
    trainHeads: (r) => {
      asked.push(`${r.backboneKey} ${r.modelOut}`);
      return Promise.resolve({
        result: { scores: r.backboneKey === 'adapted' ? scores(adaptOodHigh) : scores(2), metrics: {} },
      });
    },
  };
}

describe('validateModes', () => {
  it('trains heads on both feature sets, keeps the reviewed OOD out of the top, and keeps adapt when it wins', async () => {
    const f = fixture(4);
    const { outcome, heads } = await validateModes(f);
    expect(f.asked).toEqual(['base /m/run-7-pretrained.json', 'adapted /m/run-7.json']);
    expect(f.seen.train?.map((t) => (t as { label: number }).label)).toEqual([0, 1, 0, 1]);
    expect(outcome.decision).toMatchObject({ mode: 'adapt', adapt: 'train' });
    expect(outcome.decision.reason).toMatch(/adapt mode won/);
    expect(outcome.extract.backboneKey).toBe('adapted');
    expect(f.request.backboneKey).toBe('adapted');
    expect(heads.result.scores).toEqual(scores(4));
    expect(outcome.validation).toMatchObject({ winner: 'adapt', heldOutId: 4, reviewedOod: 4 });
  });

  it('keeps heads mode and its model when adapting validates worse', async () => {
    const f = fixture(0);
    const { outcome, heads } = await validateModes(f);
    expect(outcome.decision).toMatchObject({ mode: 'heads', adapt: 'none' });
    expect(outcome.record).toBeUndefined();
    expect(f.request.backboneKey).toBe('base');
    expect(heads.result.scores).toEqual(scores(2));
  });
});
