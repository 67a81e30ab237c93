// Stored summaries of a run's scores per scorer, so the review grid's histogram and an image's percentiles do not
// read 1,000,000 scores on every project open or scorer change:
// - the histogram the grid draws (equal-width bins split at the threshold), one per (bins, threshold) asked for;
// - quantile edges: every (n/1024)-th score with the count of scores at or below it, so a percentile is exact
//   from one short index range (at most n/1024 entries) instead of a sorted copy of every score.
// Computed on first use and kept in score_summaries; the database drops a run's summaries whenever one of its
// scores is written (triggers of migration 7). Storing is bookkeeping: it never moves the count caches' version,
// and a project that cannot be written to at that moment (read-only, another writer) just computes again later.
import type { Db } from './connection.js';
import { bookkeepingWrite } from './data-version.js';

export interface BinCounts {
  min: number;
  max: number;
  /** Per bin: images at or below the threshold (all of them when there is none). */
  passing: number[];
  /** Per bin: images above the threshold. */
  flagged: number[];
}

const QUANTILE_EDGES = 1024;

interface Quantiles {
  n: number;
  /** Ascending scores at ranks floor(k·n/K). */
  edges: number[];
  /** For each edge: how many scores are at or below it. */
  atOrBelow: number[];
}

/** Equal-width bins over [min, max] of the values, split at the threshold (values above it are flagged). */
export function binCounts(values: ArrayLike<number>, bins: number, threshold: number | null): BinCounts | null {
  if (!values.length) return null;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) max = min + 1e-9;
  const passing = new Array<number>(bins).fill(0);
  const flagged = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const b = Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins));
    if (threshold !== null && v > threshold) flagged[b]! += 1;
    else passing[b]! += 1;
  }
  return { min, max, passing, flagged };
}

function sortedScores(db: Db, runId: number, scorer: string): Float64Array {
  const stmt = db.prepare('SELECT value FROM scores WHERE run_id = ? AND scorer = ? ORDER BY value').pluck();
  const out: number[] = [];
  for (const v of stmt.iterate(runId, scorer) as IterableIterator<number>) out.push(v);
  return Float64Array.from(out);
}

function readStored<T>(db: Db, runId: number, scorer: string, kind: string, valid: (x: unknown) => x is T): T | null {
  const data = db
    .prepare('SELECT data FROM score_summaries WHERE run_id = ? AND scorer = ? AND kind = ?')
    .pluck()
    .get(runId, scorer, kind) as string | undefined;
  if (data === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(data);
    return valid(parsed) ? parsed : null; // a damaged summary is computed again
  } catch {
    return null;
  }
}

function store(db: Db, runId: number, scorer: string, kind: string, value: unknown): void {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    db.pragma('busy_timeout = 0'); // never wait for another writer on a read path: it is only a cache
    bookkeepingWrite(db, () =>
      db
        .prepare('INSERT OR REPLACE INTO score_summaries (run_id, scorer, kind, data) VALUES (?, ?, ?, ?)')
        .run(runId, scorer, kind, JSON.stringify(value)),
    );
  } catch {
    // Read-only, or another process is writing: the summary is computed again next time.
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

function isNumbers(x: unknown, length?: number): x is number[] {
  return Array.isArray(x) && (length === undefined || x.length === length) && x.every((v) => typeof v === 'number');
}

function isBinCounts(bins: number) {
  return (x: unknown): x is BinCounts | { empty: true } => {
    if (typeof x !== 'object' || x === null) return false;
    const h = x as Partial<BinCounts> & { empty?: unknown };
    if (h.empty === true) return true;
    return (
      typeof h.min === 'number' && typeof h.max === 'number' && isNumbers(h.passing, bins) && isNumbers(h.flagged, bins)
    );
  };
}

function isQuantiles(x: unknown): x is Quantiles {
  if (typeof x !== 'object' || x === null) return false;
  const q = x as Partial<Quantiles>;
  return typeof q.n === 'number' && isNumbers(q.edges) && isNumbers(q.atOrBelow, q.edges?.length ?? -1);
}

function quantilesOf(sorted: Float64Array): Quantiles {
  const n = sorted.length;
  const k = Math.min(QUANTILE_EDGES, n);
  const edges: number[] = [];
  const atOrBelow: number[] = [];
  let upper = 0; // one past the last score at or below the latest edge: every score is visited once
  for (let i = 0; i < k; i++) {
    const rank = Math.floor((i * n) / k);
    if (rank < upper) continue; // inside the previous edge's run of ties: one edge per distinct value
    const edge = sorted[rank]!;
    upper = rank;
    while (upper < n && sorted[upper]! <= edge) upper++;
    edges.push(edge);
    atOrBelow.push(upper);
  }
  return { n, edges, atOrBelow };
}

/** The run's histogram of one scorer over every scored image; null when it has no scores. */
export function storedHistogram(
  db: Db,
  runId: number,
  scorer: string,
  bins: number,
  threshold: number | null,
): BinCounts | null {
  const kind = `histogram:${bins}:${threshold === null ? 'none' : String(threshold)}`;
  const stored = readStored(db, runId, scorer, kind, isBinCounts(bins));
  if (stored) return 'empty' in stored ? null : stored;
  const sorted = sortedScores(db, runId, scorer);
  // The same pass gives the quantiles an image's percentiles need.
  if (!readStored(db, runId, scorer, 'quantiles', isQuantiles))
    store(db, runId, scorer, 'quantiles', quantilesOf(sorted));
  const counts = binCounts(sorted, bins, threshold);
  store(db, runId, scorer, kind, counts ?? { empty: true });
  return counts;
}

function quantiles(db: Db, runId: number, scorer: string): Quantiles {
  const stored = readStored(db, runId, scorer, 'quantiles', isQuantiles);
  if (stored) return stored;
  const q = quantilesOf(sortedScores(db, runId, scorer));
  store(db, runId, scorer, 'quantiles', q);
  return q;
}

/** Percentile (0..100) of `value` among the run's scores of that scorer: the share scoring at or below it. */
export function scorePercentile(db: Db, runId: number, scorer: string, value: number): number {
  const q = quantiles(db, runId, scorer);
  if (q.n === 0) return 0;
  // The last edge at or below the value (binary search), then the scores between it and the value.
  let lo = 0;
  let hi = q.edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q.edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  const edge = q.edges[lo - 1]!;
  const between = db
    .prepare('SELECT count(*) FROM scores WHERE run_id = ? AND scorer = ? AND value > ? AND value <= ?')
    .pluck()
    .get(runId, scorer, edge, value) as number;
  return (100 * (q.atOrBelow[lo - 1]! + between)) / q.n;
}

/** One scorer's scores of the given images only (a review's few hundred decided images, not the whole run). */
export function scoresOfImages(
  db: Db,
  runId: number,
  scorer: string,
  imageIds: readonly number[],
): Map<number, number> {
  const stmt = db.prepare('SELECT value FROM scores WHERE run_id = ? AND scorer = ? AND image_id = ?').pluck();
  const out = new Map<number, number>();
  for (const id of imageIds) {
    const value = stmt.get(runId, scorer, id) as number | undefined;
    if (value !== undefined) out.set(id, value);
  }
  return out;
}
