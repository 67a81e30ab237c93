// The engine process with the real dependencies (no fakes): sharp decoding, the small-cnn backbone on the cpu
// backend, per-item reporting of a corrupt file. Separate from engine-client.test.ts to keep each file short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openFeatureCache } from '../features/feature-cache.js';
import { createForkedEngine } from './engine-client.js';
import type { ImageItem } from './protocol.js';

let dir: string;
let cacheDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-engine-real-'));
  cacheDir = join(dir, 'cache');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('engine process with real dependencies', () => {
  it('extracts real images with the real small-cnn backbone and reports a corrupt file per item', async () => {
    const real = createForkedEngine({ workers: 1, backend: 'cpu' });
    try {
      const items: ImageItem[] = [];
      for (let i = 0; i < 3; i++) {
        const png = await sharp({
          create: { width: 40, height: 30, channels: 3, background: { r: 80 * i, g: 20, b: 200 } },
        })
          .png()
          .toBuffer();
        const path = join(dir, `real-${i}.png`);
        await writeFile(path, png);
        items.push({ path, sha256: createHash('sha256').update(png).digest('hex') });
      }
      const broken = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
      await writeFile(join(dir, 'broken.jpg'), broken);
      items.push({ path: join(dir, 'broken.jpg'), sha256: createHash('sha256').update(broken).digest('hex') });
      const r = await real.extract({ items, backbone: { spec: 'small-cnn', inputSize: 32 }, cacheDir });
      expect(r.backend.name).toBe('cpu');
      expect(r.extracted).toBe(3);
      expect(r.failed.map((f) => f.path)).toEqual([join(dir, 'broken.jpg')]);
      expect(r.layout.mapH * r.layout.mapW * r.layout.mapC).toBeGreaterThan(0);
      const cache = await openFeatureCache(cacheDir, r.backboneKey, r.layout);
      const pooled = await cache.featureStore(items.slice(0, 3).map((it) => it.sha256)).pooled([0, 1, 2]);
      expect(pooled.every(Number.isFinite)).toBe(true);
      await cache.close();
    } finally {
      await real.close();
    }
  });
});
