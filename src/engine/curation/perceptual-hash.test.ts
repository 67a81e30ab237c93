import { describe, expect, it } from 'vitest';
import { createRng } from '../ssod/rng.js';
import { dHash, hammingDistance, hashDistance, imageHashes, pHash, resizeGrey } from './perceptual-hash.js';
import { crop, downscale, mapPixels, scene } from './testing.js';

describe('perceptual hashes', () => {
  it('counts differing bits', () => {
    expect(hammingDistance([0, 0], [0, 0])).toBe(0);
    expect(hammingDistance([0xffffffff, 0], [0, 0])).toBe(32);
    expect(hammingDistance([1, 3], [0, 0])).toBe(3);
  });

  it('area-averages when resizing', () => {
    const src = new Float32Array([0, 10, 20, 30]);
    expect([...resizeGrey(src, 2, 2, 1, 1)]).toEqual([15]);
    expect([...resizeGrey(src, 2, 2, 2, 2)]).toEqual([0, 10, 20, 30]);
  });

  it('gives the same hash to a resized, recompressed, colour-shifted or slightly cropped copy', () => {
    const base = scene(1, 96, 72);
    const h = imageHashes(base);
    const rng = createRng(7);
    const copies = [
      downscale(base, 2),
      mapPixels(base, (v) => v + (rng() - 0.5) * 12),
      mapPixels(base, (v, c) => v * (c === 0 ? 1.1 : 0.95) + 8),
      crop(base, 2),
    ];
    for (const copy of copies) expect(hashDistance(h, imageHashes(copy))).toBeLessThanOrEqual(16);
  });

  it('tells different scenes apart', () => {
    const hashes = Array.from({ length: 12 }, (_, i) => imageHashes(scene(100 + i)));
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) expect(hashDistance(hashes[i]!, hashes[j]!)).toBeGreaterThan(24);
    }
  });

  it('reads grey and RGBA pixels and refuses a wrong buffer size', () => {
    const grey = { data: new Uint8Array(16 * 16).map((_, i) => (i % 16) * 16), width: 16, height: 16, channels: 1 };
    expect(dHash(grey)).toEqual(
      dHash({
        ...grey,
        data: new Uint8Array(16 * 16 * 4).map((_, i) => (i % 4 === 3 ? 255 : grey.data[i >> 2]!)),
        channels: 4,
      }),
    );
    expect(() => pHash({ data: new Uint8Array(10), width: 4, height: 4, channels: 3 })).toThrow(RangeError);
  });
});
