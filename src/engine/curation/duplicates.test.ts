import { describe, expect, it } from 'vitest';
import { createRng } from '../ssod/rng.js';
import {
  buildGroups,
  nearCandidates,
  confirmPairs,
  DEFAULT_NEAR_OPTIONS,
  distinctRows,
  relationsOf,
  suggestKeeper,
  type DuplicateItem,
} from './duplicates.js';
import { imageHashes, type ImageHashes } from './perceptual-hash.js';
import { crop, downscale, mapPixels, scene } from './testing.js';
import { matrix, normaliseRows } from './vectors.js';

function item(id: number, over: Partial<DuplicateItem> = {}): DuplicateItem {
  return { id, sha256: `sha${id}`, className: 'a', role: 'train', width: 64, height: 48, bytes: 1000, ...over };
}

describe('duplicate groups', () => {
  it('groups exact copies by content hash and names the relation', () => {
    const items = [
      item(0, { sha256: 'x' }),
      item(1, { sha256: 'x', className: 'b' }),
      item(2, { sha256: 'y' }),
      item(3, { sha256: 'y', role: 'inbox', className: null }),
      item(4, { sha256: 'z' }),
      item(5, { sha256: 'z' }),
      item(6),
    ];
    const { rowItems } = distinctRows(items);
    const groups = buildGroups(items, rowItems, []);
    expect(groups.map((g) => [g.kind, g.members, g.relations])).toEqual([
      ['exact', [0, 1], ['conflicting-labels']],
      ['exact', [2, 3], ['leak']],
      ['exact', [4, 5], ['within-class']],
    ]);
  });

  it('suggests the largest, then the sharpest, and says why', () => {
    const items = [item(0, { width: 32, height: 24 }), item(1), item(2, { sharpness: 5 }), item(3, { sharpness: 9 })];
    expect(suggestKeeper(items, [0, 1])).toEqual({ keeper: 1, reason: 'largest (64×48)' });
    expect(suggestKeeper(items, [2, 3]).keeper).toBe(3);
    expect(suggestKeeper(items, [2, 3]).reason).toMatch(/sharpest/);
    expect(suggestKeeper(items, [1, 0, 2]).keeper).toBe(2);
  });

  it('reports both conflicting labels and a leak when both apply', () => {
    const items = [item(0), item(1, { className: 'b' }), item(2, { role: 'inbox', className: null })];
    expect(relationsOf(items, [0, 1, 2])).toEqual(['conflicting-labels', 'leak']);
  });
});

describe('near duplicate groups', () => {
  it('finds planted near copies from features and confirms them by hash, not look-alikes', () => {
    // 40 distinct scenes; scenes 0-3 get a resized, a noisy, a colour-shifted and a cropped copy.
    const rng = createRng(5);
    const base = Array.from({ length: 40 }, (_, i) => scene(200 + i));
    const copies = [
      downscale(base[0]!, 2),
      mapPixels(base[1]!, (v) => v + (rng() - 0.5) * 10),
      mapPixels(base[2]!, (v) => v * 0.9 + 10),
      crop(base[3]!, 2),
    ];
    const images = [...base, ...copies];
    const hashes: ImageHashes[] = images.map((p) => imageHashes(p));
    // Features: copies sit close to their original; scene 10 gets a decoy at the same cosine that is another image.
    const dim = 16;
    const data = new Float32Array(images.length * dim).map(() => rng() - 0.5);
    const near = (dst: number, src: number, eps: number): void => {
      for (let j = 0; j < dim; j++) data[dst * dim + j] = data[src * dim + j]! + (rng() - 0.5) * eps;
    };
    [0, 1, 2, 3].forEach((src, k) => near(40 + k, src, 0.05));
    near(11, 10, 0.05);
    const m = normaliseRows(matrix(data, images.length, dim));
    const items = images.map((p, i) => item(i, { width: p.width, height: p.height }));
    const pairs = nearCandidates(m, 0.95, 4);
    expect(pairs.map((p) => [p.a, p.b]).sort()).toEqual(
      [
        [0, 40],
        [1, 41],
        [10, 11],
        [2, 42],
        [3, 43],
      ].sort(),
    );
    const confirmed = confirmPairs(pairs, (r) => hashes[r], DEFAULT_NEAR_OPTIONS.maxHashDistance);
    const groups = buildGroups(items, distinctRows(items).rowItems, confirmed);
    expect(groups.map((g) => g.members).sort()).toEqual([
      [0, 40],
      [1, 41],
      [2, 42],
      [3, 43],
    ]);
    const g0 = groups.find((g) => g.members[0] === 0)!;
    expect(g0.kind).toBe('near');
    expect(g0.keeper).toBe(0);
    expect(g0.similarity).toBeGreaterThan(0.95);
  });

  it('joins chains transitively and absorbs exact copies into a near group', () => {
    const items = [item(0, { sha256: 's' }), item(1, { sha256: 's' }), item(2), item(3)];
    const { rowItems } = distinctRows(items);
    expect(rowItems).toEqual([[0, 1], [2], [3]]);
    const groups = buildGroups(items, rowItems, [
      { a: 0, b: 1, similarity: 0.97 },
      { a: 1, b: 2, similarity: 0.99 },
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.members).toEqual([0, 1, 2, 3]);
    expect(groups[0]!.similarity).toBe(0.97);
  });

  it('reports nothing for one image or all-distinct images, and one group for all-identical images', () => {
    expect(buildGroups([item(0)], [[0]], [])).toEqual([]);
    const same = [0, 1, 2].map((i) => item(i, { sha256: 'same' }));
    expect(buildGroups(same, distinctRows(same).rowItems, []).map((g) => g.members)).toEqual([[0, 1, 2]]);
  });
});
