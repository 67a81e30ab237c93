import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { isAppError } from '../../shared/errors.js';
import type { PreprocessSpec } from '../types.js';
import { decodeBatchForBackbone, decodeForBackbone } from './preprocess.js';

const spec = (size: number, fit: PreprocessSpec['fit'] = 'squash'): PreprocessSpec => ({
  size,
  fit,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  channels: 3,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preprocess-'));
  // Grey 8x4: left half black, right half white.
  const grey = Buffer.alloc(32);
  for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) grey[y * 8 + x] = 255;
  await sharp(grey, { raw: { width: 8, height: 4, channels: 1 } })
    .png()
    .toFile(join(dir, 'grey.png'));
  // A 2x1 red|blue JPEG tagged "rotate 90 clockwise" (EXIF orientation 6): displayed as 1x2, red on top.
  const rb = Buffer.from([255, 0, 0, 0, 0, 255]);
  await sharp(rb, { raw: { width: 2, height: 1, channels: 3 } })
    .resize(20, 10, { kernel: 'nearest' })
    .withMetadata({ orientation: 6 })
    .png()
    .toFile(join(dir, 'rot.png'));
  // Fully transparent RGBA: flattened to white.
  await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toFile(join(dir, 'clear.png'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('decodeForBackbone', () => {
  it('turns grey into 3 equal channels, pixels/255, squashed to size', async () => {
    const x = await decodeForBackbone(join(dir, 'grey.png'), spec(4));
    expect(x.length).toBe(4 * 4 * 3);
    expect([...x.subarray(0, 3)]).toEqual([0, 0, 0]); // top-left black
    expect([...x.subarray(3 * 3, 3 * 4)].map((v) => Math.round(v * 100) / 100)).toEqual([1, 1, 1]); // top-right white
  });

  it('pads the long side with black, keeping the aspect ratio', async () => {
    const x = await decodeForBackbone(join(dir, 'grey.png'), spec(8, 'pad'));
    // 8x4 in 8x8: rows 0-1 and 6-7 are padding; the image sits in rows 2-5.
    expect(x[(0 * 8 + 7) * 3]).toBe(0);
    expect(x[(4 * 8 + 7) * 3]).toBeCloseTo(1, 2);
  });

  it('crops to the centre square', async () => {
    const x = await decodeForBackbone(join(dir, 'grey.png'), spec(4, 'crop'));
    // Centre 4x4 of the 8x4 image: columns 2..5, so left two columns black, right two white.
    expect(x[0]).toBe(0);
    expect(x[3 * 3]).toBeCloseTo(1, 2);
  });

  it('applies EXIF orientation', async () => {
    const x = await decodeForBackbone(join(dir, 'rot.png'), spec(4));
    const top = [...x.subarray(0, 3)].map(Math.round);
    const bottom = [...x.subarray(3 * 4 * 3, 3 * 4 * 3 + 3)].map(Math.round);
    expect(top).toEqual([1, 0, 0]);
    expect(bottom).toEqual([0, 0, 1]);
  });

  it('normalises with mean and std', async () => {
    const x = await decodeForBackbone(join(dir, 'clear.png'), {
      ...spec(2),
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.5, 1],
    });
    expect([...x.subarray(0, 3)]).toEqual([2, 1, 0.5]);
  });

  it('fills a batch in order and reports unreadable files as AppError', async () => {
    const batch = await decodeBatchForBackbone([join(dir, 'clear.png'), join(dir, 'grey.png')], spec(4), 2);
    expect(batch.length).toBe(2 * 48);
    expect(batch[0]).toBeCloseTo(1, 5);
    expect(batch[48]).toBe(0);
    const error: unknown = await decodeForBackbone(join(dir, 'missing.png'), spec(4)).catch((e: unknown) => e);
    expect(isAppError(error, 'io-error')).toBe(true);
  });
});
