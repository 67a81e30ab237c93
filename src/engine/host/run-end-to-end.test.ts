// The train-end-to-end job in this process on the cpu backend: tiny images, a tiny small-cnn, a few steps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import { selectBackend } from '../backends/select-backend.js';
import { loadBackbone } from '../backbones/load-backbone.js';
import { buildSmallCnn, smallCnnBackbone } from '../backbones/small-cnn.js';
import { decodeForBackbone } from '../backbones/preprocess.js';
import type { BackendChoice } from '../types.js';
import { loadEngineDeps } from './engine-deps.js';
import type { EngineJobContext } from './job-context.js';
import type { EndToEndRequest, EngineOptions, EngineProgress } from './protocol.js';
import { runEndToEnd } from './run-end-to-end.js';

const SIZE = 16;
let dir: string;
let cpu: BackendChoice;
let items: EndToEndRequest['items'];

/** Class 0: bright top-left quarter; class 1: bright bottom-right; OOD: bright stripes across the middle. */
async function png(path: string, kind: 0 | 1 | 'ood', seed: number): Promise<void> {
  const buf = Buffer.alloc(SIZE * SIZE * 3);
  let s = seed * 7919 + 1;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      s = (s * 16807) % 2147483647;
      const h = SIZE / 2;
      const on = kind === 0 ? x < h && y < h : kind === 1 ? x >= h && y >= h : y % 4 < 2;
      buf.fill(Math.max(0, Math.min(255, (on ? 210 : 40) + (s % 41) - 20)), (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
    }
  }
  await sharp(buf, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png()
    .toFile(path);
}

function context(backend: BackendChoice, options: EngineOptions, progress: EngineProgress[] = []): EngineJobContext {
  return {
    deps: undefined as unknown as EngineJobContext['deps'], // set in beforeAll
    backend,
    options,
    workers: 1,
    signal: new AbortController().signal,
    pool: {},
    progress: (p) => progress.push({ ...p, jobId: 1, rate: 0, etaSeconds: null }),
  };
}

let deps: EngineJobContext['deps'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-e2e-job-'));
  cpu = await selectBackend('cpu');
  deps = await loadEngineDeps();
  items = [];
  for (let i = 0; i < 12; i++) {
    const kind = i % 2 === 0 ? 0 : 1;
    const path = join(dir, `img${i}.png`);
    await png(path, kind, i);
    items.push({ sha256: String(i).padStart(64, '0'), path, label: kind });
  }
  const ood = join(dir, 'ood.png');
  await png(ood, 'ood', 99);
  items.push({ sha256: 'f'.repeat(64), path: ood, label: -1 });
  items.push({ sha256: 'e'.repeat(64), path: join(dir, 'missing.png'), label: 0 });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function request(over: Partial<EndToEndRequest> = {}): EndToEndRequest {
  return {
    kind: 'train-end-to-end',
    items,
    classes: 2,
    backbone: 'small-cnn',
    inputSize: SIZE,
    widths: [4, 8, 8],
    steps: 24,
    batchSize: 13,
    learningRate: 0.01,
    seed: 3,
    outDir: join(dir, 'models'),
    ...over,
  };
}

describe('train-end-to-end job', () => {
  it('fine-tunes small-cnn on cpu (loss falls) and saves a backbone the tfjs: loader reads', async () => {
    const progress: EngineProgress[] = [];
    const ctx = { ...context(cpu, { backend: 'cpu' }, progress), deps };
    const result = await runEndToEnd(request(), ctx);
    expect(result.trained).toBe(13);
    expect(result.failed).toEqual([expect.objectContaining({ path: join(dir, 'missing.png'), code: 'io-error' })]);
    expect(result.losses).toHaveLength(24);
    const head = result.losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const tail = result.losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(tail).toBeLessThan(head * 0.8);
    expect(progress.filter((p) => p.phase === 'end-to-end').at(-1)).toMatchObject({ done: 24, total: 24 });
    expect(result.spec).toBe(`tfjs:${result.modelJsonPath}#map`);

    const loaded = await loadBackbone(result.spec);
    expect(loaded.identity.weightsSha256).toBe(result.sha256);
    expect(loaded.preprocess).toEqual(result.preprocess);
    expect(loaded.layout).toEqual({ mapH: 4, mapW: 4, mapC: 8, pooledC: 8 });
    // The saved weights are the trained ones: the map differs from the same small-cnn before training.
    const pixels = await decodeForBackbone(items[0]!.path, result.preprocess);
    const untrained = smallCnnBackbone(buildSmallCnn({ inputSize: SIZE, widths: [4, 8, 8], seed: 3 }), 3);
    const [a, b] = [await loaded.extract(pixels, 1), await untrained.extract(pixels, 1)];
    const diff = a.maps.reduce((m, v, i) => Math.max(m, Math.abs(v - b.maps[i]!)), 0);
    expect(diff).toBeGreaterThan(1e-3);
    loaded.dispose();
    untrained.dispose();

    // Same seed, backend and data: the same backbone, byte for byte.
    const again = await runEndToEnd(request(), { ...context(cpu, { backend: 'cpu' }), deps });
    expect(again.sha256).toBe(result.sha256);
    expect(again.losses).toEqual(result.losses);

    // A saved backbone is itself a tfjs: layers model that can be fine-tuned further.
    const further = await runEndToEnd(request({ backbone: result.spec, inputSize: undefined, steps: 3 }), {
      ...context(cpu, { backend: 'cpu' }),
      deps,
    });
    expect(further).toMatchObject({ inputSize: SIZE, mapLayer: 'map', steps: 3 });
    expect(further.sha256).not.toBe(result.sha256);
  });

  it('refuses wasm, unforced cpu and the folded mobilenet_v2 with clear messages', async () => {
    const wasm: BackendChoice = { name: 'wasm', skipped: {}, trainsConvolutions: false };
    const refusal = async (req: EndToEndRequest, ctx: EngineJobContext): Promise<string> => {
      try {
        await runEndToEnd(req, ctx);
      } catch (e) {
        expect(isAppError(e, 'refused')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(await refusal(request(), { ...context(wasm, {}), deps })).toMatch(/wasm cannot train convolutions/);
    expect(await refusal(request(), { ...context(cpu, {}), deps })).toMatch(/--backend cpu/);
    expect(await refusal(request({ backbone: 'mobilenet_v2' }), { ...context(cpu, { backend: 'cpu' }), deps })).toMatch(
      /folded inference graph/,
    );
  });

  it('stops at the next step when cancelled', async () => {
    const abort = new AbortController();
    const ctx: EngineJobContext = {
      ...context(cpu, { backend: 'cpu' }),
      deps,
      signal: abort.signal,
      progress: (p) => {
        if (p.phase === 'end-to-end' && p.done === 2) abort.abort();
      },
    };
    await expect(runEndToEnd(request({ steps: 50 }), ctx)).rejects.toMatchObject({ code: 'cancelled' });
  });
});
