// End-to-end mode through the services on the real engine process (what `ssod train DIR --mode end-to-end
// --backbone small-cnn --backend cpu` runs): tiny 16x16 images, a few steps of the pure-JS cpu backend.
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForkedEngine, type EngineClient } from '../../engine/host/engine-client.js';
import type { ImageRow, RunSummary, TrainOptions } from '../../shared/dto.js';
import { createServices, type Services } from '../create-services.js';
import { BLUE, GREEN, RED, colourPng, type Rgb } from '../testing/curate-fixture.js';
import { endToEndCurve, type FineTunedBackbone } from './train-end-to-end.js';

let dir: string;
let services: Services;
const E2E: TrainOptions = { mode: 'end-to-end', backbone: 'small-cnn', backend: 'cpu', epochs: 2, folds: 2, seed: 5 };

async function images(folder: string, prefix: string, rgb: Rgb, count: number, seed0: number): Promise<void> {
  for (let i = 0; i < count; i++) await colourPng(join(folder, `${prefix}${i}.png`), rgb, seed0 + i, 16);
}

async function train(s: Services, options: TrainOptions): Promise<{ run?: RunSummary; error?: string }> {
  const result = await s.api.jobs.wait((await s.api.jobs.train(options)).id);
  if (result.outcome === 'done') return { run: result.result as RunSummary };
  return { error: result.error ?? result.outcome };
}

async function rows(): Promise<ImageRow[]> {
  return (await services.api.images.list({ limit: 10_000, sortBy: 'path' })).rows;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-e2e-services-'));
  const data = join(dir, 'data');
  await images(join(data, 'train', 'red'), 'r', RED, 8, 1);
  await images(join(data, 'train', 'blue'), 'b', BLUE, 8, 100);
  await images(join(data, 'inbox'), 'red', RED, 2, 200);
  await images(join(data, 'inbox'), 'green', GREEN, 3, 300);
  services = createServices({ dataDir: join(dir, 'home') });
  await services.api.projects.create(join(dir, 'project'));
  for (const role of ['train', 'inbox'] as const) {
    const source = await services.api.sources.add(join(data, role), role);
    expect((await services.api.jobs.wait((await services.api.jobs.scan(source.id)).id)).outcome).toBe('done');
  }
}, 60_000);

afterAll(async () => {
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('end-to-end mode', () => {
  it('is refused on wasm with a clear message, before any run is recorded', async () => {
    const { error } = await train(services, { ...E2E, backend: 'wasm' });
    expect(error).toMatch(/end-to-end mode needs convolution gradients: wasm cannot train convolutions/);
    expect(await services.api.runs.list()).toEqual([]);
  }, 60_000);

  it('trains small-cnn end to end on a forced cpu, stores the run, scores every image, and rescoring uses the fine-tuned backbone', async () => {
    const { run, error } = await train(services, E2E);
    expect(error).toBeUndefined();
    const detail = await services.api.runs.get(run!.id);
    expect(detail).toMatchObject({ backbone: 'small-cnn', backend: 'cpu', status: 'done', classes: ['blue', 'red'] });
    expect(detail.config).toMatchObject({ mode: 'end-to-end', seed: 5 });
    const tuned = detail.config.fineTunedBackbone as FineTunedBackbone;
    expect(tuned).toMatchObject({ base: 'small-cnn', inputSize: 16, trainedImages: 16, undecodable: 0 });
    expect(tuned.spec).toBe(`tfjs:${tuned.modelPath}#map`);
    expect(tuned.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((detail.config.identity as Record<string, string>).weightsSha256).toBe(tuned.sha256);
    const e2eCurve = detail.lossCurve.filter((p) => p.phase === 'end-to-end');
    expect(e2eCurve).toHaveLength(tuned.steps);
    expect(detail.lossCurve.some((p) => p.phase !== 'end-to-end')).toBe(true);

    const all = await rows();
    expect(all).toHaveLength(21);
    for (const r of all) {
      expect(Object.keys(r.scores).sort()).toEqual([...detail.scorers].sort());
      expect(typeof r.flagged).toBe('boolean');
    }

    // A new inbox image after training: `ssod score` extracts it with the fine-tuned backbone only.
    const inbox = (await services.api.sources.list()).find((s) => s.role === 'inbox')!;
    await colourPng(join(dir, 'data', 'inbox', 'late.png'), GREEN, 999, 16);
    expect((await services.api.jobs.wait((await services.api.jobs.scan(inbox.id)).id)).outcome).toBe('done');
    const scored = await services.api.jobs.wait((await services.api.jobs.score()).id);
    expect(scored.outcome).toBe('done');
    expect((await rows()).find((r) => r.relPath === 'late.png')?.scores.ssod).toEqual(expect.any(Number));
    const featureFolders = await readdir(join(dir, 'project', 'cache', 'features'));
    expect(featureFolders.filter((f) => f.startsWith('tfjs-')).length).toBeGreaterThan(0);
    expect(featureFolders.filter((f) => f.startsWith('small-cnn'))).toEqual([]);
  }, 120_000);

  it('is refused on a cpu backend the user did not force', async () => {
    // An engine that fell back to cpu on its own (here: started on cpu, reporting no --backend).
    const engine: EngineClient = createForkedEngine({ backend: 'cpu', workers: 1 });
    const unforced: EngineClient = {
      ...engine,
      status: async () => {
        const { forcedBackend: _forced, ...status } = await engine.status();
        return status;
      },
    };
    const other = createServices({ dataDir: join(dir, 'home2'), engineFactory: () => unforced });
    try {
      await other.api.projects.open(join(dir, 'project'));
      const { error } = await train(other, { ...E2E, backend: undefined });
      expect(error).toMatch(/pure-JS cpu backend is very slow; pass --backend cpu/);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('keeps a long end-to-end loss curve short', () => {
    expect(endToEndCurve([3, 2, 1])).toEqual([
      { epoch: 1, phase: 'end-to-end', loss: 3 },
      { epoch: 2, phase: 'end-to-end', loss: 2 },
      { epoch: 3, phase: 'end-to-end', loss: 1 },
    ]);
    const long = endToEndCurve(Array.from({ length: 1001 }, (_, i) => i));
    expect(long.length).toBeLessThanOrEqual(500);
    expect(long[0]).toEqual({ epoch: 3, phase: 'end-to-end', loss: 1 });
    expect(long.at(-1)?.epoch).toBe(1001);
  });
});
