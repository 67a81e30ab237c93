import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFeatureCache } from '../features/feature-cache.js';
import { createRng, normals } from '../ssod/rng.js';
import { WarmSimilar } from './similar-client.js';
import { SimilarHost } from './similar-host.js';
import { SimilarSession, type FeaturePlace } from './similar-session.js';

const layout = { mapH: 1, mapW: 1, mapC: 2, pooledC: 16 };
const key = 'test-backbone';
const sha = (i: number): string => i.toString(16).padStart(64, '0');

/** 40 contents; 30..32 near copies of 0..2. Content 40 is searched but only cached once a test appends it. */
describe('"more like this" kept warm', () => {
  let dir = '';
  const shas = Array.from({ length: 41 }, (_, i) => sha(i + 1));
  const vecs: Float32Array[] = [];
  const place = (): FeaturePlace => ({ cacheDir: dir, backboneKey: key, shas });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssod-similar-'));
    const rng = createRng(5);
    for (let i = 0; i < 41; i++) vecs.push(normals(16, 1, rng));
    for (let c = 0; c < 3; c++) vecs[30 + c] = vecs[c]!.map((v) => v + (rng() - 0.5) * 0.01);
    // The late content is a near copy of content 5.
    vecs[40] = vecs[5]!.map((v) => v + (rng() - 0.5) * 0.01);
    const cache = await openFeatureCache(dir, key, layout);
    shas.slice(0, 40).forEach((s, i) => cache.append(s, new Float32Array(2), vecs[i]!));
    await cache.close();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function appendLate(): Promise<void> {
    const cache = await openFeatureCache(dir, key, layout);
    cache.append(shas[40]!, new Float32Array(2), vecs[40]!);
    await cache.close();
  }

  it('a session answers nearest first without the query, skips contents without features, and sees new records', async () => {
    const session = await SimilarSession.open(place());
    try {
      expect(session.missing).toEqual([40]);
      const hits = await session.query(sha(2), 3);
      expect(hits[0]).toMatchObject({ row: 31 });
      expect(hits.map((h) => h.row)).not.toContain(1);
      expect(hits[0]!.similarity).toBeGreaterThan(hits[1]!.similarity);
      expect((await session.query(sha(6), 40)).map((h) => h.row)).not.toContain(40);
      await expect(session.query(sha(999), 3)).rejects.toMatchObject({ code: 'not-found' });
      expect(await session.stale()).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('the host asks for the contents of a key it does not hold, and reopens when the cache grew', async () => {
    const host = new SimilarHost();
    try {
      expect(await host.answer({ key: 'a', query: sha(1), k: 2 })).toBe('need-place');
      const first = await host.answer({ key: 'a', place: place(), query: sha(6), k: 2 });
      expect(first).not.toBe('need-place');
      expect((first as { row: number }[]).map((n) => n.row)).not.toContain(40);
      await appendLate();
      const after = await host.answer({ key: 'a', query: sha(6), k: 2 });
      expect((after as { row: number }[])[0]).toMatchObject({ row: 40 });
      expect(await host.answer({ key: 'b', query: sha(1), k: 2 })).toBe('need-place');
    } finally {
      await host.close();
    }
  });

  it('the warm thread is sent the contents once per key, answers every question, and ends on close', async () => {
    const warm = new WarmSimilar();
    let sent = 0;
    const counted = (): FeaturePlace => {
      sent++;
      return place();
    };
    try {
      const [a, b] = await Promise.all([
        warm.similar('k1', counted, sha(1), 2),
        warm.similar('k1', counted, sha(3), 2),
      ]);
      expect(a[0]).toMatchObject({ row: 30 });
      expect(b[0]).toMatchObject({ row: 32 });
      expect((await warm.similar('k1', counted, sha(2), 1))[0]).toMatchObject({ row: 31 });
      expect(sent).toBe(1);
      await expect(warm.similar('k1', counted, sha(999), 1)).rejects.toMatchObject({ code: 'not-found' });
      expect(warm.running).toBe(true);
      await warm.similar('k2', counted, sha(1), 1);
      expect(sent).toBe(2);
    } finally {
      await warm.close();
    }
    expect(warm.running).toBe(false);
    // A question after close starts a new thread, which is sent the contents again.
    try {
      expect((await warm.similar('k2', counted, sha(1), 1))[0]).toMatchObject({ row: 30 });
      expect(sent).toBe(3);
    } finally {
      await warm.close();
    }
  });
});
