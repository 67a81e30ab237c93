import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import { cachedByVersion, dataVersion } from './data-version.js';
import { writeResults, type RunImageResult } from './runs-repo.js';
import { binCounts, scorePercentile, scoresOfImages, storedHistogram } from './score-summary.js';
import { addScannedSource, finishedRun, memoryProject, scannedFile } from './testing.js';

/** Every image's scores; `values(i)` gives image i's ssod score. */
function project(count: number, values: (i: number) => number) {
  const db = memoryProject();
  const files = Array.from({ length: count }, (_, i) => scannedFile(`a/img${i}.png`));
  const { ids } = addScannedSource(db, '/train', 'train', files);
  const results: RunImageResult[] = ids.map((imageId, i) => ({
    imageId,
    predicted: 'a',
    top: [],
    scores: { ssod: values(i), msp: 1 - values(i) },
    flagged: null,
  }));
  const runId = finishedRun(db, results);
  return { db, ids, runId };
}

const summaries = (db: ReturnType<typeof memoryProject>) =>
  db.prepare('SELECT scorer, kind FROM score_summaries ORDER BY scorer, kind').raw().all();

/** The definition: the share of scores at or below the value, from every score. */
function exactPercentile(all: number[], value: number): number {
  return (100 * all.filter((v) => v <= value).length) / all.length;
}

describe('stored score summaries', () => {
  it('gives exact percentiles from the quantile edges, ties and values outside the range included', () => {
    const rand = createRng(7);
    // 5,000 scores with heavy ties (a fifth of them 0.5) so edges fall inside runs of equal values.
    const all = Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? 0.5 : Math.round(rand() * 1000) / 1000));
    const { db, runId } = project(all.length, (i) => all[i]!);
    for (const v of [-1, 0, 0.0005, 0.25, 0.5, 0.4999, 0.5001, 0.75, 0.999, 1, 2, ...all.slice(0, 40)]) {
      expect(scorePercentile(db, runId, 'ssod', v)).toBeCloseTo(exactPercentile(all, v), 10);
    }
    expect(scorePercentile(db, runId, 'nope', 0.5)).toBe(0);
  });

  it('stores the histogram it computes, and draws the same bins as from every value', () => {
    const all = Array.from({ length: 300 }, (_, i) => (i * 7) % 101);
    const { db, runId } = project(all.length, (i) => all[i]!);
    const first = storedHistogram(db, runId, 'ssod', 10, 60);
    expect(first).toEqual(binCounts(all, 10, 60));
    expect(first!.flagged.reduce((a, b) => a + b, 0)).toBe(all.filter((v) => v > 60).length);
    expect(summaries(db)).toEqual([
      ['ssod', 'histogram:10:60'],
      ['ssod', 'quantiles'],
    ]);
    // A second call reads the stored one: the scores it would be computed from are gone, the answer is not.
    db.pragma('foreign_keys = OFF');
    db.prepare("UPDATE score_summaries SET data = json_set(data, '$.min', -5) WHERE kind LIKE 'histogram%'").run();
    expect(storedHistogram(db, runId, 'ssod', 10, 60)!.min).toBe(-5);
    expect(storedHistogram(db, runId, 'nope', 10, null)).toBeNull();
  });

  it('drops a run scorer summaries whenever its scores are written, and recomputes a damaged one', () => {
    const { db, ids, runId } = project(20, (i) => i / 20);
    storedHistogram(db, runId, 'ssod', 4, null);
    storedHistogram(db, runId, 'msp', 4, null);
    expect(summaries(db)).toHaveLength(4);
    writeResults(db, runId, [{ imageId: ids[0]!, predicted: 'a', top: [], scores: { ssod: 5 }, flagged: null }]);
    // Image 0 lost its msp score and changed its ssod score: both scorers' summaries are stale.
    expect(summaries(db)).toEqual([]);
    expect(storedHistogram(db, runId, 'ssod', 4, null)!.max).toBe(5);
    db.prepare("UPDATE score_summaries SET data = '{broken' WHERE scorer = 'ssod'").run();
    expect(storedHistogram(db, runId, 'ssod', 4, null)!.max).toBe(5);
    expect(scorePercentile(db, runId, 'ssod', 5)).toBe(100);
  });

  it('storing a summary does not throw away cached counts; a data change does', () => {
    const { db, ids, runId } = project(10, (i) => i);
    let computed = 0;
    const count = () => cachedByVersion(db, 'k', () => ++computed);
    expect(count()).toBe(1);
    const before = dataVersion(db);
    storedHistogram(db, runId, 'ssod', 4, null);
    expect(dataVersion(db)).toBe(before);
    expect(count()).toBe(1);
    writeResults(db, runId, [{ imageId: ids[1]!, predicted: 'a', top: [], scores: { ssod: 3 }, flagged: null }]);
    expect(count()).toBe(2);
  });
});

describe('scoresOfImages', () => {
  it('reads only the images asked for, leaving out those without that score', () => {
    const { db, ids, runId } = project(5, (i) => i / 10);
    const extra = addScannedSource(db, '/inbox', 'inbox', [scannedFile('new.png')]).ids[0]!;
    expect([...scoresOfImages(db, runId, 'ssod', [ids[3]!, extra, ids[1]!])]).toEqual([
      [ids[3], 0.3],
      [ids[1], 0.1],
    ]);
    expect(scoresOfImages(db, runId, 'nope', ids).size).toBe(0);
  });
});
