import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFeatureCache } from '../features/feature-cache.js';
import { createRng, normals } from '../ssod/rng.js';
import { runCuration } from './worker-client.js';

const layout = { mapH: 1, mapW: 1, mapC: 2, pooledC: 16 };
const key = 'test-backbone';
const sha = (i: number): string => i.toString(16).padStart(64, '0');

describe('curation worker', () => {
  let dir = '';
  const shas = Array.from({ length: 40 }, (_, i) => sha(i + 1));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssod-curation-'));
    const cache = await openFeatureCache(dir, key, layout);
    const rng = createRng(2);
    const vecs = shas.map(() => normals(16, 1, rng));
    // Rows 30..32 are near copies of rows 0..2.
    for (let c = 0; c < 3; c++) vecs[30 + c] = vecs[c]!.map((v) => v + (rng() - 0.5) * 0.01);
    shas.forEach((s, i) => cache.append(s, new Float32Array(2), vecs[i]!));
    await cache.flush();
    await cache.close();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('finds the planted near pairs on its own thread, and lists contents without features', async () => {
    const progress: string[] = [];
    const r = await runCuration(
      { kind: 'near-pairs', cacheDir: dir, backboneKey: key, shas: [...shas, sha(999)], minCosine: 0.95 },
      (p) => progress.push(p.phase),
    );
    if (r.kind !== 'near-pairs') throw new Error(r.kind);
    expect(r.pairs.map((p) => [p.a, p.b])).toEqual([
      [0, 30],
      [1, 31],
      [2, 32],
    ]);
    expect(r.missing).toEqual([40]);
    expect(progress).toContain('read-features');
  });

  it('answers "more like this" nearest first, the query itself excluded', async () => {
    const r = await runCuration({ kind: 'similar', cacheDir: dir, backboneKey: key, shas, query: sha(2), k: 3 });
    if (r.kind !== 'similar') throw new Error(r.kind);
    expect(r.neighbours[0]!.row).toBe(31);
    expect(r.neighbours).toHaveLength(3);
    expect(r.neighbours.some((n) => n.row === 1)).toBe(false);
    // A cached content outside the searched rows (a dropped file) is answered too, nothing left out.
    const outside = await runCuration({
      kind: 'similar',
      cacheDir: dir,
      backboneKey: key,
      shas: shas.filter((s) => s !== sha(2)),
      query: sha(2),
      k: 2,
    });
    if (outside.kind !== 'similar') throw new Error(outside.kind);
    expect(outside.neighbours.map((n) => n.row)).toContain(30);
    expect(outside.neighbours[0]!.similarity).toBeGreaterThan(0.99);
  });

  it('lays out a map, refuses an unknown query and a missing cache, and stops when cancelled', async () => {
    const r = await runCuration({ kind: 'map', method: 'pca', cacheDir: dir, backboneKey: key, shas });
    if (r.kind !== 'map') throw new Error(r.kind);
    expect(r.layout).toHaveLength(80);
    await expect(
      runCuration({ kind: 'similar', cacheDir: dir, backboneKey: key, shas, query: sha(999), k: 3 }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(
      runCuration({ kind: 'map', method: 'pca', cacheDir: dir, backboneKey: 'other', shas }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
    const ctl = new AbortController();
    const pending = runCuration(
      { kind: 'map', method: 'umap', cacheDir: dir, backboneKey: key, shas },
      undefined,
      ctl.signal,
    );
    ctl.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
  });
});
