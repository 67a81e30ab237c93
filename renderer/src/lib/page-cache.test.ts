import { describe, expect, it } from 'vitest';
import { PageCache, type Page } from './page-cache.js';

function source(total: number) {
  const calls: number[] = [];
  const fetch = (offset: number, limit: number): Promise<Page<number>> => {
    calls.push(offset);
    const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
    return Promise.resolve({ total, offset, rows });
  };
  return { calls, fetch };
}

describe('PageCache', () => {
  it('fetches only missing pages, once', async () => {
    const s = source(1000);
    const c = new PageCache(s.fetch, 100);
    await Promise.all([c.ensure(0, 250), c.ensure(50, 150)]);
    expect(s.calls).toEqual([0, 100, 200]);
    expect(c.get(249)).toBe(249);
    expect(c.total).toBe(1000);
    await c.ensure(0, 300);
    expect(s.calls).toHaveLength(3);
  });

  it('evicts least recently used pages', async () => {
    const s = source(1000);
    const c = new PageCache(s.fetch, 100, 2);
    await c.ensure(0, 100);
    await c.ensure(100, 200);
    c.get(5); // page 0 is now more recent than page 1
    await c.ensure(200, 300);
    expect(c.cachedPages().sort()).toEqual([0, 2]);
  });

  it('ignores answers for a query that was reset', async () => {
    let release: () => void = () => {};
    const c = new PageCache<number>(
      (offset) =>
        new Promise((resolve) => {
          release = () => resolve({ total: 1, offset, rows: [42] });
        }),
      10,
    );
    const pending = c.ensure(0, 1);
    c.reset();
    release();
    await pending;
    expect(c.get(0)).toBeUndefined();
    expect(c.total).toBeNull();
  });

  it('updates cached rows in place and notifies', async () => {
    let changes = 0;
    const s = source(20);
    const c = new PageCache(s.fetch, 10, 10, () => changes++);
    await c.ensure(0, 20);
    const before = changes;
    expect(
      c.update(
        (r) => r === 7,
        () => 700,
      ),
    ).toBe(1);
    expect(c.get(7)).toBe(700);
    expect(changes).toBe(before + 1);
  });
});
