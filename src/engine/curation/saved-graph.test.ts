import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixSource } from './pooled-source.js';
import { graphFingerprint, graphFolder, openOrBuildGraph } from './saved-graph.js';
import { clusteredVectors } from './testing.js';
import { row } from './vectors.js';

describe('saved "more like this" graph', () => {
  let dir = '';
  const m = clusteredVectors(24, 50, 16, 0.3, 5);
  const shas = Array.from({ length: m.rows }, (_, i) => i.toString(16).padStart(64, '0'));
  const place = (): { cacheDir: string; backboneKey: string; shas: string[] } => ({
    cacheDir: dir,
    backboneKey: 'test:key',
    shas,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssod-graph-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('builds once, then opens the saved file and answers the same', async () => {
    const first = await openOrBuildGraph(matrixSource(m), place(), { threads: 1 });
    expect(first.built).toBe(true);
    const again = await openOrBuildGraph(matrixSource(m), place(), { threads: 1 });
    expect(again.built).toBe(false);
    expect(again.path).toBe(first.path);
    expect(again.index.size).toBe(m.rows);
    for (const q of [0, 333, 1199]) {
      expect(again.index.search(row(m, q), 5)).toEqual(first.index.search(row(m, q), 5));
      expect(again.index.search(row(m, q), 1)[0]!.row).toBe(q);
    }
  });

  it('names another file when the contents or their features change, and keeps only the newest', async () => {
    const base = graphFingerprint(place(), []);
    expect(graphFingerprint(place(), [3])).not.toBe(base);
    expect(graphFingerprint({ ...place(), shas: [...shas].reverse() }, [])).not.toBe(base);
    expect(graphFingerprint({ ...place(), backboneKey: 'other' }, [])).not.toBe(base);
    const withMissing = await openOrBuildGraph(matrixSource(m, [3]), place(), { threads: 1 });
    expect(withMissing.built).toBe(true);
    expect(withMissing.index.size).toBe(m.rows - 1);
    expect(withMissing.index.search(row(m, 3), 3).some((n) => n.row === 3)).toBe(false);
    expect(await readdir(graphFolder(dir, 'test:key'))).toEqual([withMissing.path.split('/').pop()]);
  });
});
