// The extract job on the ONNX path, through a real engine process: ONNX Runtime is the default where it loads,
// the run records it, its cached features match a forced tfjs run, and forcing it where it cannot run is an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors.js';
import { openFeatureCache } from '../features/feature-cache.js';
import { writeFashionJpegs } from '../onnx/testing/fashion-jpegs.js';
import { createForkedEngine } from './engine-client.js';
import type { ExtractResult, ImageItem } from './protocol.js';

let dir: string;
let items: ImageItem[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-extract-onnx-'));
  const paths = await writeFashionJpegs(join(dir, 'images'), 5, 300);
  items = await Promise.all(
    paths.map(async (path) => ({
      path,
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    })),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function extractWith(backend: string | undefined, cacheDir: string): Promise<ExtractResult> {
  const engine = createForkedEngine({ workers: 1, ...(backend ? { backend } : {}) });
  try {
    return await engine.extract({ items, backbone: { spec: 'mobilenet_v2', inputSize: 96 }, cacheDir });
  } finally {
    await engine.close();
  }
}

async function pooledOf(cacheDir: string, r: ExtractResult): Promise<Float32Array> {
  const cache = await openFeatureCache(cacheDir, r.backboneKey, r.layout);
  try {
    return await cache.featureStore(items.map((it) => it.sha256)).pooled(items.map((_, i) => i));
  } finally {
    await cache.close();
  }
}

describe('extraction on ONNX Runtime', () => {
  it('is the default on CPU, records why faster runtimes were skipped, and matches tfjs', async () => {
    const onnxDir = join(dir, 'onnx');
    const r = await extractWith(undefined, onnxDir);
    expect(r.backend.name).toBe('onnxruntime');
    expect(r.backend.skipped['tensorflow-gpu']).toBe('not installed');
    expect(r.identity['runtime']).toMatch(/^onnxruntime-node@/);
    expect(r.extracted).toBe(items.length);
    expect(r.stages?.inferSeconds).toBeGreaterThan(0);
    const tfjsDir = join(dir, 'tfjs');
    const t = await extractWith('wasm', tfjsDir);
    expect(t.backend.name).toBe('wasm');
    expect(t.backend.skipped.onnxruntime).toBe('not tried (--backend wasm)');
    expect(t.backboneKey).toBe(r.backboneKey); // one feature cache for both runtimes
    const [a, b] = [await pooledOf(onnxDir, r), await pooledOf(tfjsDir, t)];
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    expect(d).toBeLessThan(1e-4);
  });

  it('a conversion that cannot be made falls back to tfjs and the run says why', async () => {
    const blocked = join(dir, 'not-a-folder');
    await writeFile(blocked, 'a file where the models folder should be');
    const engine = createForkedEngine({ workers: 1 });
    try {
      const backbone = { spec: 'mobilenet_v2', inputSize: 96, modelCacheDir: blocked };
      const r = await engine.extract({ items, backbone, cacheDir: join(dir, 'fallback') });
      expect(r.backend.name).toBe('wasm');
      expect(r.backend.skipped.onnxruntime).toMatch(/^cannot convert: .*not-a-folder/);
      expect(r.extracted).toBe(items.length);
    } finally {
      await engine.close();
    }
  });

  it('forcing onnxruntime for a backbone without a conversion is a clear error', async () => {
    const engine = createForkedEngine({ workers: 1, backend: 'onnxruntime' });
    try {
      const error: unknown = await engine
        .extract({ items, backbone: { spec: 'small-cnn', inputSize: 32 }, cacheDir: join(dir, 'small') })
        .catch((e: unknown) => e);
      expect(isAppError(error, 'invalid-argument')).toBe(true);
      expect((error as Error).message).toBe(
        'backend "onnxruntime" is not available: no ONNX conversion for backbone small-cnn',
      );
    } finally {
      await engine.close();
    }
  });
});
