// The adapt jobs in this process on wasm: real block-12 maps in a feature cache, a short adapt run, then the
// ordinary train job on the adapted features it cached (heads on trained features), and new images' features.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptedBackbone, loadAdapted } from '../adapt/index.js';
import { fashionBlock12Maps } from '../adapt/testing/fashion-maps.js';
import { selectBackend } from '../backends/select-backend.js';
import { mobilenetPreprocess } from '../backbones/mobilenet-v2.js';
import { openFeatureCache, readCacheLayout } from '../features/feature-cache.js';
import type { BackendChoice } from '../types.js';
import { loadEngineDeps } from './engine-deps.js';
import type { EngineJobContext } from './job-context.js';
import type { AdaptRequest, EngineProgress } from './protocol.js';
import { runAdaptFeatures, runTrainAdapt } from './run-adapt.js';
import { runTrain } from './run-heads.js';

const N = 64;
const BASE_KEY = 'test-block12';
let dir: string;
let backend: BackendChoice;
let deps: EngineJobContext['deps'];
let shas: string[];
let labels: number[];

const sha = (i: number): string => createHash('sha256').update(`image ${i}`).digest('hex');

function context(signal = new AbortController().signal, progress: EngineProgress[] = []): EngineJobContext {
  return {
    deps,
    backend,
    options: {},
    workers: 1,
    signal,
    pool: {},
    progress: (p) => progress.push({ ...p, jobId: 1, rate: 0, etaSeconds: null }),
  };
}

function request(modelOut: string): AdaptRequest {
  return {
    kind: 'train-adapt',
    cacheDir: dir,
    backboneKey: BASE_KEY,
    classes: '0123456789'.split(''),
    train: shas.slice(0, 60).map((s, i) => ({ sha256: s, label: labels[i]! })),
    score: [shas[60]!],
    config: { epochs: 1, warmupEpochs: 1, backgroundClusters: 4 },
    preprocess: mobilenetPreprocess(96),
    modelOut,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-adapt-job-'));
  backend = await selectBackend('wasm');
  deps = await loadEngineDeps();
  const real = await fashionBlock12Maps(N, 96);
  labels = Array.from(real.labels);
  shas = Array.from({ length: N }, (_, i) => sha(i));
  const cache = await openFeatureCache(dir, BASE_KEY, real.layout);
  const m = real.layout.mapH * real.layout.mapW * real.layout.mapC;
  shas.forEach((s, i) =>
    cache.append(
      s,
      real.maps.subarray(i * m, (i + 1) * m),
      real.pooled.subarray(i * real.layout.pooledC, (i + 1) * real.layout.pooledC),
    ),
  );
  await cache.close();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train-adapt job', () => {
  it('saves the adapted top, caches adapted features, and the train job trains heads on them', async () => {
    const progress: EngineProgress[] = [];
    const modelOut = join(dir, 'adapted.json');
    const r = await runTrainAdapt(request(modelOut), context(undefined, progress));
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.written).toBe(61);
    expect(await readCacheLayout(dir, r.adaptedKey)).toEqual(r.layout);
    expect(progress.some((p) => p.phase === 'adapt' && p.message?.startsWith('train'))).toBe(true);
    expect(existsSync(join(dir, 'adapted.checkpoint', 'adapt-checkpoint.json'))).toBe(false);
    const { model, sha256 } = await loadAdapted(modelOut);
    expect(sha256).toBe(r.sha256);
    const backbone = await adaptedBackbone(model, sha256);
    expect(backbone.key).toBe(r.adaptedKey);
    backbone.dispose();
    const heads = await runTrain(
      {
        kind: 'train',
        cacheDir: dir,
        backboneKey: r.adaptedKey,
        classes: '0123456789'.split(''),
        train: shas.slice(0, 60).map((s, i) => ({ sha256: s, label: labels[i]! })),
        score: [shas[60]!],
        config: { folds: 2, epochs: 2 },
        modelOut: join(dir, 'heads.json'),
      },
      context(),
    );
    expect(heads.scores).toHaveLength(61);
    for (const s of heads.scores) for (const v of Object.values(s.scores)) expect(Number.isFinite(v)).toBe(true);
    const more = await runAdaptFeatures(
      { kind: 'adapt-features', cacheDir: dir, backboneKey: BASE_KEY, modelPath: modelOut, items: shas.slice(60) },
      context(),
    );
    expect(more).toMatchObject({ adaptedKey: r.adaptedKey, written: 3, cached: 1 });
  }, 600_000);

  it('writes nothing when cancelled mid-epoch', async () => {
    const abort = new AbortController();
    const modelOut = join(dir, 'cancelled.json');
    const ctx = context(abort.signal);
    ctx.progress = (p): void => {
      if (p.message?.startsWith('train')) abort.abort();
    };
    await expect(runTrainAdapt(request(modelOut), ctx)).rejects.toMatchObject({ code: 'cancelled' });
    expect(existsSync(modelOut)).toBe(false);
  }, 600_000);
});
