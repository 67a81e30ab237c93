import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAppError } from '../../shared/errors.js';
import { cacheFolderName, openFeatureCache, readCacheLayout } from './feature-cache.js';
import { fakeFeatures, fakeSha, TEST_LAYOUT } from './fixtures/fake-features.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectRow(maps: Float32Array, pooled: Float32Array, row: number, i: number): void {
  const want = fakeFeatures(i);
  const n = want.maps.length;
  expect(Array.from(maps.subarray(row * n, (row + 1) * n))).toEqual(Array.from(want.maps));
  const p = want.pooled.length;
  expect(Array.from(pooled.subarray(row * p, (row + 1) * p))).toEqual(Array.from(want.pooled));
}

describe('feature cache', () => {
  it('appends, reopens, answers has() and reads rows in the order asked', async () => {
    const cache = await openFeatureCache(dir, 'mobilenet_v2@1#block_13', TEST_LAYOUT);
    for (let i = 0; i < 20; i++)
      expect(cache.append(fakeSha(i), fakeFeatures(i).maps, fakeFeatures(i).pooled)).toBe(true);
    expect(cache.append(fakeSha(3), fakeFeatures(3).maps, fakeFeatures(3).pooled)).toBe(false);
    // readable before flush (featureStore writes what is queued)
    const early = cache.featureStore([fakeSha(19)]);
    expectRow(await early.maps([0]), await early.pooled([0]), 0, 19);
    await cache.close();

    const again = await openFeatureCache(dir, 'mobilenet_v2@1#block_13', TEST_LAYOUT);
    expect(again.count).toBe(20);
    expect(again.has(fakeSha(7))).toBe(true);
    expect(again.has(fakeSha(20))).toBe(false);
    const order = [5, 0, 19, 5, 12];
    const store = again.featureStore(order.map(fakeSha));
    expect(store.count).toBe(5);
    expect(store.layout).toEqual(TEST_LAYOUT);
    const rows = [4, 0, 2, 1];
    const maps = await store.maps(rows);
    const pooled = await store.pooled(rows);
    rows.forEach((r, k) => expectRow(maps, pooled, k, order[r] ?? -1));
    // The same rows written into the caller's arrays (the row cache fills shared memory this way).
    const into = { maps: new Float32Array(maps.length).fill(-1), pooled: new Float32Array(pooled.length).fill(-1) };
    expect(store.readInto?.('maps', rows, into.maps)).toBe(true);
    expect(store.readInto?.('pooled', rows, into.pooled)).toBe(true);
    rows.forEach((r, k) => expectRow(into.maps, into.pooled, k, order[r] ?? -1));
    expect(await readCacheLayout(dir, 'mobilenet_v2@1#block_13')).toEqual(TEST_LAYOUT);
    await again.close();
  });

  it('reads many rows in batches without holding the whole cache', async () => {
    const cache = await openFeatureCache(dir, 'k', TEST_LAYOUT);
    for (let i = 0; i < 500; i++) cache.append(fakeSha(i), fakeFeatures(i).maps, fakeFeatures(i).pooled);
    await cache.flush();
    const store = cache.featureStore(Array.from({ length: 500 }, (_, i) => fakeSha(i)));
    for (let start = 0; start < 500; start += 64) {
      const rows = Array.from({ length: Math.min(64, 500 - start) }, (_, k) => start + k);
      const maps = await store.maps(rows);
      const pooled = await store.pooled(rows);
      expect(maps.length).toBe(rows.length * 30);
      rows.forEach((r, k) => expectRow(maps, pooled, k, r));
    }
    await cache.close();
  });

  it('refuses unknown shas, wrong shapes and a different layout for the same key', async () => {
    const cache = await openFeatureCache(dir, 'k', TEST_LAYOUT);
    cache.append(fakeSha(1), fakeFeatures(1).maps, fakeFeatures(1).pooled);
    expect(() => cache.featureStore([fakeSha(1), fakeSha(2)])).toThrow(/1 of 2 images/);
    expect(() => cache.append(fakeSha(3), new Float32Array(3), new Float32Array(7))).toThrow(/layout needs/);
    expect(() => cache.append('xyz', fakeFeatures(1).maps, fakeFeatures(1).pooled)).toThrow(/not a sha256/);
    await cache.close();
    const err = await openFeatureCache(dir, 'k', { ...TEST_LAYOUT, mapC: 6 }).catch((e: unknown) => e);
    expect(isAppError(err, 'invalid-argument')).toBe(true);
  });

  it('drops a torn tail and keeps appending aligned records after it', async () => {
    const cache = await openFeatureCache(dir, 'k', TEST_LAYOUT);
    for (let i = 0; i < 5; i++) cache.append(fakeSha(i), fakeFeatures(i).maps, fakeFeatures(i).pooled);
    await cache.close();
    const shard = join(dir, cacheFolderName('k'), 'shard-0000.ssf');
    const size = (await stat(shard)).size;
    await truncate(shard, size - 10); // record 4 torn
    const reopened = await openFeatureCache(dir, 'k', TEST_LAYOUT);
    expect(reopened.count).toBe(4);
    expect(reopened.has(fakeSha(4))).toBe(false);
    reopened.append(fakeSha(4), fakeFeatures(4).maps, fakeFeatures(4).pooled);
    reopened.append(fakeSha(5), fakeFeatures(5).maps, fakeFeatures(5).pooled);
    await reopened.close();
    const last = await openFeatureCache(dir, 'k', TEST_LAYOUT);
    expect(last.count).toBe(6);
    const store = last.featureStore([4, 5, 0].map(fakeSha));
    const maps = await store.maps([0, 1, 2]);
    const pooled = await store.pooled([0, 1, 2]);
    [4, 5, 0].forEach((i, k) => expectRow(maps, pooled, k, i));
    await last.close();
  });

  it('keeps every committed record readable when the writer is SIGKILLed mid-extraction', async () => {
    const script = fileURLToPath(new URL('./fixtures/killed-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const committed = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const all = [...out.matchAll(/committed (\d+)\n/g)];
        const n = Number(all.at(-1)?.[1] ?? 0);
        if (n >= 30) {
          child.kill('SIGKILL');
          resolve(n);
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`writer exited early: ${code} ${signal}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    const files = await readdir(join(dir, cacheFolderName('test/killed-writer')));
    expect(files).toContain('writer.lock'); // left behind by the dead writer, taken over below
    const cache = await openFeatureCache(dir, 'test/killed-writer', TEST_LAYOUT);
    expect(cache.count).toBeGreaterThanOrEqual(committed);
    const shas = Array.from({ length: committed }, (_, i) => fakeSha(i));
    const store = cache.featureStore(shas);
    const rows = shas.map((_, i) => i);
    const maps = await store.maps(rows);
    const pooled = await store.pooled(rows);
    rows.forEach((r) => expectRow(maps, pooled, r, r));
    // and the cache is writable again after the crash
    expect(cache.append(fakeSha(10_000), fakeFeatures(1).maps, fakeFeatures(1).pooled)).toBe(true);
    await cache.close();
  });
});
