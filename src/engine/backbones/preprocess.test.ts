import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { isAppError } from '../../shared/errors.js';
import type { PreprocessSpec } from '../types.js';
import { cropPixels } from './crop.js';
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

describe('crops', () => {
  // A 40x30 noisy RGB image and the same region saved as its own file, cut by hand.
  const W = 40;
  const H = 30;
  const region = { left: 8, top: 6, width: 20, height: 15 };
  beforeAll(async () => {
    const px = Buffer.alloc(W * H * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7919 + ((i * i) % 251)) % 256;
    await sharp(px, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(join(dir, 'noisy.png'));
    await sharp(px, { raw: { width: W, height: H, channels: 3 } })
      .extract(region)
      .png()
      .toFile(join(dir, 'noisy-cut.png'));
  });

  it('gives the input of the pre-cropped file, rescaled to the backbone size', async () => {
    const crop = { x: 8 / W, y: 6 / H, w: 20 / W, h: 15 / H };
    for (const fit of ['squash', 'crop', 'pad'] as const) {
      const cropped = await decodeForBackbone(join(dir, 'noisy.png'), spec(16, fit), crop);
      const file = await decodeForBackbone(join(dir, 'noisy-cut.png'), spec(16, fit));
      expect(cropped).toEqual(file);
    }
    // And differs from the whole image, so the comparison above can fail.
    const whole = await decodeForBackbone(join(dir, 'noisy.png'), spec(16));
    expect(whole).not.toEqual(await decodeForBackbone(join(dir, 'noisy-cut.png'), spec(16)));
  });

  it('cuts the EXIF-oriented image: the top half of the rotated red|blue image is red', async () => {
    const x = await decodeForBackbone(join(dir, 'rot.png'), spec(4), { x: 0, y: 0, w: 1, h: 0.5 });
    for (let p = 0; p < 16; p++) expect([...x.subarray(p * 3, p * 3 + 3)].map(Math.round)).toEqual([1, 0, 0]);
  });

  it('keeps boxes inside the image and rejects bad ones', () => {
    expect(cropPixels({ x: 0.9, y: 0.9, w: 0.5, h: 0.5 }, 10, 10)).toEqual({ left: 9, top: 9, width: 1, height: 1 });
    expect(cropPixels({ x: 0, y: 0, w: 0.01, h: 1 }, 10, 10)).toEqual({ left: 0, top: 0, width: 1, height: 10 });
    expect(() => cropPixels({ x: 0, y: 0, w: 0, h: 1 }, 10, 10)).toThrow(/crop/);
    expect(() => cropPixels({ x: -0.1, y: 0, w: 0.5, h: 1 }, 10, 10)).toThrow(/crop/);
    expect(() => cropPixels({ x: 0, y: Number.NaN, w: 0.5, h: 1 }, 10, 10)).toThrow(/crop/);
  });
});
