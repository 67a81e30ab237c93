import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import {
  classCounts,
  errorCounts,
  findMissingBySha,
  getImage,
  getImageByPath,
  iterateImages,
  knownFiles,
  listClasses,
  listErrors,
  markMissing,
  markSeen,
  statusCounts,
  upsertScanned,
} from './images-repo.js';
import { appendDecisions, history } from './review-repo.js';
import { addSource, beginScan, getSource, listSources, touchScan } from './sources-repo.js';
import { addScannedSource, errorFile, memoryProject, scannedFile } from './testing.js';

describe('sources', () => {
  it('adds, refuses duplicates, lists with counts per status', () => {
    const db = memoryProject();
    const { sourceId } = addScannedSource(db, '/data/train', 'train', [
      scannedFile('cat/1.png'),
      scannedFile('dog/2.png'),
      errorFile('dog/bad.png', 'truncated'),
    ]);
    addSource(db, '/data/inbox', 'inbox');
    expect(() => addSource(db, '/data/train', 'inbox')).toThrow(/already a source/);
    const [train, inbox] = listSources(db);
    expect(train).toMatchObject({ id: sourceId, path: '/data/train', role: 'train', lastScanAt: null });
    expect(train?.counts).toEqual({ ok: 2, error: 1, missing: 0 });
    expect(inbox?.counts).toEqual({ ok: 0, error: 0, missing: 0 });
    touchScan(db, sourceId, '2024-02-02T00:00:00.000Z');
    expect(getSource(db, sourceId).lastScanAt).toBe('2024-02-02T00:00:00.000Z');
    expect(
      isAppError(
        captured(() => getSource(db, 999)),
        'not-found',
      ),
    ).toBe(true);
  });
});

describe('images', () => {
  it('upserts a batch and returns ids in input order; a rescan updates in place', () => {
    const db = memoryProject();
    const { sourceId, ids } = addScannedSource(db, '/t', 'train', [scannedFile('a/1.png'), scannedFile('b/2.png')]);
    expect(ids).toHaveLength(2);
    const gen = beginScan(db, sourceId);
    const again = upsertScanned(db, sourceId, gen, [
      scannedFile('b/2.png', { size: 5, sha256: 'new' }),
      scannedFile('a/3.png'),
    ]);
    expect(again[0]).toBe(ids[1]);
    expect(again[1]).not.toBe(ids[0]);
    const row = getImage(db, ids[1] ?? 0);
    expect(row).toMatchObject({ relPath: 'b/2.png', path: '/t/b/2.png', class: 'b', sha256: 'new', status: 'ok' });
    expect(row.decision).toBeNull();
    expect(row.scores).toEqual({});
    const known = knownFiles(db, sourceId);
    expect([...known.keys()].sort()).toEqual(['a/1.png', 'a/3.png', 'b/2.png']);
    expect(known.get('b/2.png')).toMatchObject({ id: ids[1], size: 5, sha256: 'new', status: 'ok' });
    expect(listClasses(db)).toEqual(['a', 'b']);
  });

  it('marks unseen files missing, never deletes them, and revives them when seen again', () => {
    const db = memoryProject();
    const { sourceId, ids } = addScannedSource(db, '/t', 'train', [
      scannedFile('a/1.png'),
      errorFile('a/2.png', 'zero-byte'),
    ]);
    const gen = beginScan(db, sourceId);
    expect(markMissing(db, sourceId, gen)).toBe(2);
    expect(statusCounts(db)).toEqual({ ok: 0, error: 0, missing: 2 });
    const gen2 = beginScan(db, sourceId);
    markSeen(db, ids, gen2);
    expect(markMissing(db, sourceId, gen2)).toBe(0);
    expect(statusCounts(db)).toEqual({ ok: 1, error: 1, missing: 0 });
    expect(errorCounts(db)).toEqual({ 'zero-byte': 1 });
  });

  it('a moved file keeps its id and review history (identity by sha256)', () => {
    const db = memoryProject();
    const { sourceId, ids } = addScannedSource(db, '/t', 'train', [scannedFile('a/1.png', { sha256: 'S' })]);
    const id = ids[0] ?? 0;
    appendDecisions(db, { imageIds: [id], action: 'keep', reviewer: 'ann', runId: null });
    const gen = beginScan(db, sourceId);
    // Mid-scan: not yet marked missing, but not seen by this scan either.
    const candidates = findMissingBySha(db, sourceId, 'S', gen);
    expect(candidates.map((c) => c.id)).toEqual([id]);
    const [moved] = upsertScanned(db, sourceId, gen, [scannedFile('b/renamed.png', { sha256: 'S', id })]);
    expect(moved).toBe(id);
    expect(markMissing(db, sourceId, gen)).toBe(0);
    expect(getImage(db, id)).toMatchObject({ relPath: 'b/renamed.png', class: 'b', status: 'ok' });
    expect(getImage(db, id).decision?.action).toBe('keep');
    expect(history(db, { imageId: id })).toHaveLength(1);
    expect(getImageByPath(db, sourceId, 'a/1.png')).toBeNull();
    // Already seen this scan: no longer a candidate.
    expect(findMissingBySha(db, sourceId, 'S', gen)).toEqual([]);
  });

  it('a move onto a path another row holds falls back to a plain upsert', () => {
    const db = memoryProject();
    const { sourceId, ids } = addScannedSource(db, '/t', 'train', [scannedFile('a/1.png'), scannedFile('a/2.png')]);
    const gen = beginScan(db, sourceId);
    const [id] = upsertScanned(db, sourceId, gen, [scannedFile('a/2.png', { id: ids[0] })]);
    expect(id).toBe(ids[1]);
    expect(getImage(db, ids[0] ?? 0).relPath).toBe('a/1.png');
  });

  it('counts classes and errors; lists errors; streams images', () => {
    const db = memoryProject();
    addScannedSource(db, '/t', 'train', [
      scannedFile('cat/1.png'),
      scannedFile('cat/2.png'),
      scannedFile('dog/1.png'),
      errorFile('dog/x.png', 'not-an-image'),
      errorFile('dog/y.png', 'truncated'),
      errorFile('dog/z.png', 'truncated'),
    ]);
    addScannedSource(db, '/i', 'inbox', [scannedFile('u.png'), errorFile('v.png', 'truncated')]);
    expect(classCounts(db)).toEqual([
      { name: 'cat', count: 2 },
      { name: 'dog', count: 1 },
    ]);
    expect(errorCounts(db)).toEqual({ 'not-an-image': 1, truncated: 3 });
    expect(listErrors(db, { errorCode: 'truncated' }).map((r) => r.relPath)).toEqual([
      'dog/y.png',
      'dog/z.png',
      'v.png',
    ]);
    expect(listErrors(db, { limit: 1, offset: 1 }).map((r) => r.relPath)).toEqual(['dog/y.png']);
    const inbox = [...iterateImages(db, { role: 'inbox' })];
    expect(inbox.map((r) => [r.relPath, r.class, r.path])).toEqual([['u.png', null, '/i/u.png']]);
    expect([...iterateImages(db)]).toHaveLength(4);
    expect([...iterateImages(db, { status: 'any' })]).toHaveLength(8);
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
