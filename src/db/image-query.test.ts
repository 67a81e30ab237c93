import { describe, expect, it } from 'vitest';
import { queryImages, scoreSeries, type ImageListQuery } from './image-query.js';
import { replaceLabelOrder, saveCalibration } from './labels-repo.js';
import { appendDecisions } from './review-repo.js';
import { addScannedSource, errorFile, finishedRun, memoryProject, scannedFile } from './testing.js';

// 6 train images in 2 classes, 2 inbox images, 1 error; 7 scored by the run (ssod = i / 10).
function setup() {
  const db = memoryProject();
  const train = addScannedSource(db, '/t', 'train', [
    scannedFile('a/0.png'),
    scannedFile('a/1.png'),
    scannedFile('a/2.png'),
    scannedFile('b/3.png'),
    scannedFile('b/4.png'),
    scannedFile('b/5.png'),
    errorFile('b/bad.png', 'truncated'),
  ]);
  const inbox = addScannedSource(db, '/i', 'inbox', [scannedFile('6.png'), scannedFile('7.png')]);
  const scored = [...train.ids.slice(0, 6), inbox.ids[0] ?? 0];
  const runId = finishedRun(
    db,
    scored.map((imageId, i) => ({
      imageId,
      predicted: i < 3 ? 'a' : 'b',
      top: [],
      scores: { ssod: i / 10, msp: 1 - i / 10 },
      flagged: i >= 5,
    })),
    { thresholds: { ssod: 0.45 } },
  );
  const ids = [...train.ids, ...inbox.ids];
  const q = (extra: Partial<ImageListQuery> = {}) => queryImages(db, { runId, defaultScorer: 'ssod', ...extra });
  const paths = (extra: Partial<ImageListQuery> = {}) => q(extra).rows.map((r) => r.relPath);
  return { db, ids, runId, q, paths, trainSource: train.sourceId };
}

describe('queryImages', () => {
  it('sorts by the default scorer descending, unscored images last by path', () => {
    const { q, paths } = setup();
    const page = q();
    expect(page.total).toBe(9);
    expect(page.rows.map((r) => r.relPath)).toEqual([
      '6.png',
      'b/5.png',
      'b/4.png',
      'b/3.png',
      'a/2.png',
      'a/1.png',
      'a/0.png',
      'b/bad.png',
      '7.png',
    ]);
    expect(page.rows[0]).toMatchObject({
      role: 'inbox',
      class: null,
      predicted: 'b',
      flagged: true,
      scores: { ssod: 0.6, msp: 0.4 },
    });
    expect(page.rows[7]).toMatchObject({
      status: 'error',
      errorCode: 'truncated',
      predicted: null,
      flagged: null,
      scores: {},
    });
    expect(paths({ order: 'asc' }).slice(0, 3)).toEqual(['a/0.png', 'a/1.png', 'a/2.png']);
    expect(paths({ sortBy: 'msp' }).slice(0, 2)).toEqual(['a/0.png', 'a/1.png']);
    expect(paths({ sortBy: 'path' })).toEqual([
      'a/0.png',
      'a/1.png',
      'a/2.png',
      'b/3.png',
      'b/4.png',
      'b/5.png',
      'b/bad.png',
      '6.png',
      '7.png',
    ]);
    expect(paths({ sortBy: 'path', order: 'desc' })[0]).toBe('7.png');
  });

  it('pages without overlap across the scored/unscored boundary', () => {
    const { q } = setup();
    const all = q().rows.map((r) => r.id);
    const pages: number[] = [];
    for (let offset = 0; offset < 9; offset += 2) {
      const page = q({ offset, limit: 2 });
      expect(page.total).toBe(9);
      expect(page.offset).toBe(offset);
      pages.push(...page.rows.map((r) => r.id));
    }
    expect(pages).toEqual(all);
    expect(q({ offset: 20 }).rows).toEqual([]);
  });

  it('filters by class, source, role, status, error code', () => {
    const { paths, q, trainSource } = setup();
    expect(paths({ class: 'a' })).toEqual(['a/2.png', 'a/1.png', 'a/0.png']);
    expect(q({ class: 'b' }).total).toBe(4);
    expect(paths({ role: 'inbox' })).toEqual(['6.png', '7.png']);
    expect(q({ sourceId: trainSource }).total).toBe(7);
    expect(paths({ status: 'error' })).toEqual(['b/bad.png']);
    expect(paths({ errorCode: 'truncated', sortBy: 'path' })).toEqual(['b/bad.png']);
  });

  it('filters flagged by the stored flag, or by a threshold on the sorted scorer', () => {
    const { paths, q } = setup();
    expect(paths({ flagged: true })).toEqual(['6.png', 'b/5.png']);
    expect(q({ flagged: false }).total).toBe(5);
    expect(paths({ flagged: true, threshold: 0.25 })).toEqual(['6.png', 'b/5.png', 'b/4.png', 'b/3.png']);
    expect(paths({ flagged: false, threshold: 0.25, order: 'asc' })).toEqual(['a/0.png', 'a/1.png', 'a/2.png']);
    // Threshold on msp when sorting by msp (msp = 1 - i/10).
    expect(paths({ sortBy: 'msp', flagged: true, threshold: 0.85 })).toEqual(['a/0.png', 'a/1.png']);
    // Sorting by path: the threshold applies to the default scorer.
    expect(paths({ sortBy: 'path', flagged: true, threshold: 0.45 })).toEqual(['b/5.png', '6.png']);
  });

  it('filters by decision: none, any, one action; shows the standing decision', () => {
    const { db, ids, paths, q, runId } = setup();
    appendDecisions(db, { imageIds: [ids[0] ?? 0, ids[4] ?? 0], action: 'reject', reviewer: 'ann', runId });
    appendDecisions(db, { imageIds: [ids[6] ?? 0], action: 'keep', reviewer: 'ann', runId }); // the error image
    expect(paths({ decision: 'reject' })).toEqual(['b/4.png', 'a/0.png']);
    expect(paths({ decision: 'any' })).toEqual(['b/4.png', 'a/0.png', 'b/bad.png']);
    expect(q({ decision: 'any' }).total).toBe(3);
    expect(q({ decision: 'none' }).total).toBe(6);
    expect(paths({ decision: 'keep', sortBy: 'path' })).toEqual(['b/bad.png']);
    expect(paths({ decision: 'unsure' })).toEqual([]);
    expect(q({ decision: 'reject', class: 'b' }).rows[0]?.decision).toMatchObject({
      action: 'reject',
      reviewer: 'ann',
    });
  });

  it('recounts totals after the data changes (cache keyed on the data version)', () => {
    const { db, ids, q, runId } = setup();
    expect(q({ decision: 'none' }).total).toBe(9);
    appendDecisions(db, { imageIds: [ids[1] ?? 0], action: 'keep', reviewer: 'ann', runId });
    expect(q({ decision: 'none' }).total).toBe(8);
  });

  it('works before any run exists (path order, no flags)', () => {
    const { db } = setup();
    const page = queryImages(db, { runId: null, defaultScorer: 'ssod' });
    expect(page.total).toBe(9);
    expect(page.rows.every((r) => r.predicted === null && r.flagged === null)).toBe(true);
    expect(queryImages(db, { runId: null, defaultScorer: 'ssod', flagged: true }).total).toBe(0);
  });
});

describe('scoreSeries', () => {
  it('returns the filtered values with their stored flags', () => {
    const { db, runId } = setup();
    const all = scoreSeries(db, { runId, defaultScorer: 'ssod' }, 'ssod');
    expect(Array.from(all.values).sort()).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(all.flagged.reduce((a, b) => a + b, 0)).toBe(2);
    const a = scoreSeries(db, { runId, defaultScorer: 'ssod', class: 'a', flagged: true, threshold: 99 }, 'msp');
    expect(Array.from(a.values).sort()).toEqual([]);
    const b = scoreSeries(db, { runId, defaultScorer: 'ssod', class: 'b' }, 'msp');
    expect(Array.from(b.values).sort()).toEqual([0.5, 0.6, 0.7]);
    expect(scoreSeries(db, { runId: null, defaultScorer: 'ssod' }, 'ssod').values).toHaveLength(0);
  });
});

describe('queryImages and labels', () => {
  it('gives a labelled inbox image its class and says where each class came from', () => {
    const { db, ids, q } = setup();
    appendDecisions(db, { imageIds: [ids[7]!], action: 'relabel', newClass: 'a', reviewer: 'r', runId: null });
    appendDecisions(db, { imageIds: [ids[0]!], action: 'relabel', newClass: 'b', reviewer: 'r', runId: null });
    const rows = new Map(q({ sortBy: 'path', limit: 20 }).rows.map((r) => [r.id, r]));
    expect(rows.get(ids[7]!)).toMatchObject({ class: 'a', classSource: 'label', folderClass: null });
    expect(rows.get(ids[0]!)).toMatchObject({ class: 'b', classSource: 'relabel', folderClass: 'a' });
    expect(rows.get(ids[1]!)).toMatchObject({ class: 'a', classSource: 'folder', folderClass: 'a' });
    expect(rows.get(ids[8]!)).toMatchObject({ class: null, classSource: null });
  });

  it('filters by the class training uses, and by labelled or not', () => {
    const { db, ids, paths } = setup();
    appendDecisions(db, { imageIds: [ids[7]!], action: 'relabel', newClass: 'a', reviewer: 'r', runId: null });
    appendDecisions(db, { imageIds: [ids[0]!], action: 'relabel', newClass: 'b', reviewer: 'r', runId: null });
    appendDecisions(db, { imageIds: [ids[1]!], action: 'reject', reviewer: 'r', runId: null });
    expect(paths({ class: 'a', sortBy: 'path' }).sort()).toEqual(['6.png', 'a/1.png', 'a/2.png']);
    expect(paths({ class: 'b', sortBy: 'path' }).sort()).toEqual([
      'a/0.png',
      'b/3.png',
      'b/4.png',
      'b/5.png',
      'b/bad.png',
    ]);
    expect(paths({ role: 'inbox', labelled: false, sortBy: 'path' })).toEqual(['7.png']);
    expect(paths({ role: 'inbox', labelled: true, sortBy: 'path' })).toEqual(['6.png']);
    expect(paths({ role: 'train', labelled: true, sortBy: 'path' })).not.toContain('a/1.png');
  });

  it('orders by the stored informative order, images outside it last by path', () => {
    const { db, ids, runId, paths } = setup();
    replaceLabelOrder(db, runId, [
      { id: ids[8]!, score: 0.9 },
      { id: ids[3]!, score: 0.5 },
    ]);
    expect(paths({ sortBy: 'informative', limit: 3 })).toEqual(['7.png', 'b/3.png', 'a/0.png']);
    expect(paths({ sortBy: 'informative', role: 'inbox' })).toEqual(['7.png', '6.png']);
  });

  it("suggests the stored class at the run's fitted temperature", () => {
    const { db, ids, runId } = setup();
    db.prepare(`UPDATE runs SET classes = '["a","b"]' WHERE id = ?`).run(runId);
    const top = JSON.stringify([
      { class: 'b', prob: 0.8 },
      { class: 'a', prob: 0.2 },
    ]);
    db.prepare('UPDATE run_images SET top = ? WHERE run_id = ? AND image_id = ?').run(top, runId, ids[7]!);
    const first = queryImages(db, { runId, defaultScorer: 'ssod', role: 'inbox', sortBy: 'path' }).rows[0]!;
    expect(first.suggestion).toMatchObject({ runId, class: 'b', rawProb: 0.8 });
    expect(first.suggestion!.confidence).toBeCloseTo(0.8);
    saveCalibration(db, runId, { method: 'temperature', temperature: 2, report: {} });
    const hot = queryImages(db, { runId, defaultScorer: 'ssod', role: 'inbox', sortBy: 'path' }).rows[0]!;
    expect(hot.suggestion!.confidence).toBeCloseTo(Math.sqrt(0.8) / (Math.sqrt(0.8) + Math.sqrt(0.2)));
    expect(hot.suggestion!.margin).toBeCloseTo(2 * hot.suggestion!.confidence - 1);
  });
});
