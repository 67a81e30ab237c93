// Model runs and what they produced: per-image predictions, scores by scorer, heatmaps.
import type { Heatmap, LossPoint, RunDetail, RunStatus, RunSummary } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { nowIso, parseJson, toJson } from './json.js';

/** RunDetail plus what only the services need (where the model files are). */
export interface RunRecord extends RunDetail {
  modelPath: string | null;
}

export interface NewRun {
  backbone: string;
  backend: string;
  seed: number;
  config: Record<string, unknown>;
  startedAt?: string;
  /** The process that trains it (default: this one); see failStaleRuns. */
  ownerPid?: number;
}

export interface RunOutcome {
  metrics: Record<string, unknown>;
  thresholds: Record<string, number>;
  /** The thresholds on the calibrated scale (absent: none). */
  calibratedThresholds?: Record<string, number>;
  defaultScorer: string;
  scorers: string[];
  classes: string[];
  lossCurve: LossPoint[];
  /** Data snapshot: at least the counts RunDetail shows; any extra keys (event id high-water mark ...) kept. */
  snapshot: { images: number; decisions: number } & Record<string, unknown>;
  modelPath: string | null;
  finishedAt?: string;
}

/** One image's result in a run. */
export interface RunImageResult {
  imageId: number;
  predicted: string | null;
  top: { class: string; prob: number }[];
  /** OOD scores by scorer: higher = more out-of-distribution. */
  scores: Record<string, number>;
  /** The same scores as held-out ID percentiles in [0, 1] (absent: none). */
  calibrated?: Record<string, number>;
  flagged: boolean | null;
  heatmap?: { h: number; w: number; values: Float32Array | readonly number[] } | null;
}

export interface RunImage {
  predicted: string | null;
  top: { class: string; prob: number }[];
  scores: Record<string, number>;
  calibrated: Record<string, number>;
  flagged: boolean | null;
}

interface RunRow {
  id: number;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  backbone: string;
  backend: string;
  seed: number;
  config: string;
  metrics: string;
  thresholds: string;
  calibrated_thresholds: string;
  default_scorer: string;
  scorers: string;
  classes: string;
  loss_curve: string;
  snapshot: string;
  model_path: string | null;
  error: string | null;
  is_current: number;
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    backbone: r.backbone,
    backend: r.backend,
    seed: r.seed,
    isCurrent: r.is_current === 1,
    defaultScorer: r.default_scorer,
    scorers: parseJson<string[]>(r.scorers, []),
    thresholds: parseJson<Record<string, number>>(r.thresholds, {}),
    calibratedThresholds: parseJson<Record<string, number>>(r.calibrated_thresholds, {}),
    config: parseJson<Record<string, unknown>>(r.config, {}),
    metrics: parseJson<Record<string, unknown>>(r.metrics, {}),
    error: r.error,
  };
}

function toRecord(r: RunRow): RunRecord {
  const snapshot = parseJson<Partial<{ images: number; decisions: number }>>(r.snapshot, {});
  return {
    ...toSummary(r),
    lossCurve: parseJson<LossPoint[]>(r.loss_curve, []),
    classes: parseJson<string[]>(r.classes, []),
    snapshot: { ...snapshot, images: snapshot.images ?? 0, decisions: snapshot.decisions ?? 0 },
    modelPath: r.model_path,
  };
}

function runRow(db: Db, id: number): RunRow {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!row) throw new AppError('not-found', `no run with id ${id}`);
  return row;
}

export function createRun(db: Db, run: NewRun): RunSummary {
  const id = Number(
    db
      .prepare(
        `INSERT INTO runs (status, started_at, backbone, backend, seed, config, owner_pid)
         VALUES ('running', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.startedAt ?? nowIso(),
        run.backbone,
        run.backend,
        run.seed,
        toJson(run.config),
        run.ownerPid ?? process.pid,
      ).lastInsertRowid,
  );
  return toSummary(runRow(db, id));
}

/** Marks a running run done with everything it produced. Results (writeResults) may be written before this. */
export function finishRun(db: Db, id: number, outcome: RunOutcome): RunRecord {
  const info = db
    .prepare(
      `UPDATE runs SET status = 'done', finished_at = @finishedAt, metrics = @metrics, thresholds = @thresholds,
         calibrated_thresholds = @calibratedThresholds,
         default_scorer = @defaultScorer, scorers = @scorers, classes = @classes, loss_curve = @lossCurve,
         snapshot = @snapshot, model_path = @modelPath, error = NULL
       WHERE id = @id AND status = 'running'`,
    )
    .run({
      id,
      finishedAt: outcome.finishedAt ?? nowIso(),
      metrics: toJson(outcome.metrics),
      thresholds: toJson(outcome.thresholds),
      calibratedThresholds: toJson(outcome.calibratedThresholds ?? {}),
      defaultScorer: outcome.defaultScorer,
      scorers: toJson(outcome.scorers),
      classes: toJson(outcome.classes),
      lossCurve: toJson(outcome.lossCurve),
      snapshot: toJson(outcome.snapshot),
      modelPath: outcome.modelPath,
    });
  if (info.changes === 0) throw new AppError('invalid-argument', `run ${id} is not running (or does not exist)`);
  return getRun(db, id);
}

/** Ends a running run as failed or cancelled. A run that already ended is left as it is. */
export function failRun(db: Db, id: number, error: string, status: 'failed' | 'cancelled' = 'failed'): RunSummary {
  db.prepare("UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'running'").run(
    status,
    error,
    nowIso(),
    id,
  );
  return toSummary(runRow(db, id));
}

/**
 * At open: a run still 'running' whose process is gone will never finish; say so instead of showing it forever.
 * A run whose process is alive (another window, `ssod train` in a terminal) is left alone: failing it would make
 * its finish fail and lose the training. A run from before owners were recorded counts as gone.
 */
export function failStaleRuns(
  db: Db,
  isAlive: (pid: number) => boolean,
  message = 'interrupted: the process running it stopped',
): number {
  const running = db.prepare("SELECT id, owner_pid FROM runs WHERE status = 'running'").all() as {
    id: number;
    owner_pid: number | null;
  }[];
  const stale = running.filter((r) => r.owner_pid === null || !isAlive(r.owner_pid));
  const fail = db.prepare(
    "UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
  );
  const at = nowIso();
  db.transaction(() => {
    for (const r of stale) fail.run(message, at, r.id);
  }).immediate();
  return stale.length;
}

/** Records the loss curve while training runs, so a UI can draw it live and a failed run keeps it. */
export function setLossCurve(db: Db, id: number, lossCurve: LossPoint[]): void {
  db.prepare('UPDATE runs SET loss_curve = ? WHERE id = ?').run(toJson(lossCurve), id);
}

/** Makes a finished run the current one; the previous current run stops being current in the same transaction. */
export function setCurrentRun(db: Db, id: number): RunSummary {
  db.transaction(() => {
    const row = runRow(db, id);
    if (row.status !== 'done') throw new AppError('invalid-argument', `run ${id} is ${row.status}, not done`);
    db.prepare('UPDATE runs SET is_current = 0 WHERE is_current = 1 AND id != ?').run(id);
    db.prepare('UPDATE runs SET is_current = 1 WHERE id = ?').run(id);
  }).immediate();
  return toSummary(runRow(db, id));
}

export function currentRun(db: Db): RunRecord | null {
  const row = db.prepare('SELECT * FROM runs WHERE is_current = 1').get() as RunRow | undefined;
  return row ? toRecord(row) : null;
}

/** Newest first. */
export function listRuns(db: Db): RunSummary[] {
  return (db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(toSummary);
}

export function getRun(db: Db, id: number): RunRecord {
  return toRecord(runRow(db, id));
}

/** The finished run before `id` (for "what moved"), or null. */
export function previousRun(db: Db, id: number): RunSummary | null {
  const row = db.prepare("SELECT * FROM runs WHERE id < ? AND status = 'done' ORDER BY id DESC LIMIT 1").get(id) as
    RunRow | undefined;
  return row ? toSummary(row) : null;
}

/**
 * Stores results for a run. Each call is one immediate transaction (pass batches of a few thousand); writing an
 * image again replaces its previous result in that run (rescoring).
 */
export function writeResults(db: Db, runId: number, results: readonly RunImageResult[]): void {
  const runImage = db.prepare(
    `INSERT OR REPLACE INTO run_images (run_id, image_id, predicted, top, scores, calibrated, flagged)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const clearScores = db.prepare('DELETE FROM scores WHERE run_id = ? AND scorer = ? AND image_id = ?');
  const oldScores = db.prepare('SELECT scores FROM run_images WHERE run_id = ? AND image_id = ?').pluck();
  const score = db.prepare(
    'INSERT OR REPLACE INTO scores (run_id, scorer, image_id, value, flagged) VALUES (?, ?, ?, ?, ?)',
  );
  const heatmap = db.prepare('INSERT OR REPLACE INTO heatmaps (run_id, image_id, h, w, data) VALUES (?, ?, ?, ?, ?)');
  const range = db.prepare(
    `UPDATE runs SET heatmap_min = min(coalesce(heatmap_min, @lo), @lo), heatmap_max = max(coalesce(heatmap_max, @hi), @hi)
     WHERE id = @runId`,
  );
  db.transaction(() => {
    runRow(db, runId);
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of results) {
      // A scorer the previous result had and this one lacks must not linger in the sort index.
      const before = oldScores.get(runId, r.imageId) as string | undefined;
      if (before !== undefined) {
        for (const name of Object.keys(parseJson<Record<string, number>>(before, {}))) {
          if (!(name in r.scores)) clearScores.run(runId, name, r.imageId);
        }
      }
      const flagged = r.flagged === null ? null : r.flagged ? 1 : 0;
      runImage.run(runId, r.imageId, r.predicted, toJson(r.top), toJson(r.scores), toJson(r.calibrated ?? {}), flagged);
      for (const [name, value] of Object.entries(r.scores)) {
        if (!Number.isFinite(value))
          throw new AppError('invalid-argument', `score ${name} of image ${r.imageId} is ${value}`);
        score.run(runId, name, r.imageId, value, flagged);
      }
      if (r.heatmap) {
        const values = Float32Array.from(r.heatmap.values);
        if (values.length !== r.heatmap.h * r.heatmap.w) {
          throw new AppError('invalid-argument', `heatmap of image ${r.imageId} has ${values.length} values, not h*w`);
        }
        heatmap.run(
          runId,
          r.imageId,
          r.heatmap.h,
          r.heatmap.w,
          Buffer.from(values.buffer, values.byteOffset, values.byteLength),
        );
        for (const v of values) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    if (lo <= hi) range.run({ runId, lo, hi });
  }).immediate();
}

export function getRunImage(db: Db, runId: number, imageId: number): RunImage | null {
  const row = db
    .prepare('SELECT predicted, top, scores, calibrated, flagged FROM run_images WHERE run_id = ? AND image_id = ?')
    .get(runId, imageId) as
    { predicted: string | null; top: string; scores: string; calibrated: string; flagged: number | null } | undefined;
  if (!row) return null;
  return {
    predicted: row.predicted,
    top: parseJson<{ class: string; prob: number }[]>(row.top, []),
    scores: parseJson<Record<string, number>>(row.scores, {}),
    calibrated: parseJson<Record<string, number>>(row.calibrated, {}),
    flagged: row.flagged === null ? null : row.flagged === 1,
  };
}

/** The heatmap with the run's dataset-wide range (for normalising across images, not per image). */
export function getHeatmap(db: Db, runId: number, imageId: number): Heatmap | null {
  const row = db
    .prepare(
      `SELECT h.h, h.w, h.data, r.heatmap_min, r.heatmap_max FROM heatmaps h JOIN runs r ON r.id = h.run_id
       WHERE h.run_id = ? AND h.image_id = ?`,
    )
    .get(runId, imageId) as
    { h: number; w: number; data: Buffer; heatmap_min: number | null; heatmap_max: number | null } | undefined;
  if (!row) return null;
  // Copy out: the Buffer from SQLite need not be 4-byte aligned for a Float32Array view.
  const values = new Float32Array(row.data.byteLength / 4);
  new Uint8Array(values.buffer).set(row.data);
  return {
    h: row.h,
    w: row.w,
    values: Array.from(values),
    datasetMin: row.heatmap_min ?? 0,
    datasetMax: row.heatmap_max ?? 1,
  };
}

/** All values of one scorer in a run, sorted ascending (histograms, percentiles). 8 bytes per image. */
export function scoreDistribution(db: Db, runId: number, scorer: string): Float64Array {
  const stmt = db.prepare('SELECT value FROM scores WHERE run_id = ? AND scorer = ? ORDER BY value').pluck();
  const out: number[] = [];
  for (const v of stmt.iterate(runId, scorer) as IterableIterator<number>) out.push(v);
  return Float64Array.from(out);
}

/** Percentile (0..100) of `value` among the run's scores: share of images scoring at or below it. */
export function percentileOf(db: Db, runId: number, scorer: string, value: number): number | null {
  const row = db
    .prepare('SELECT count(*) AS n, sum(value <= ?) AS below FROM scores WHERE run_id = ? AND scorer = ?')
    .get(value, runId, scorer) as { n: number; below: number | null };
  return row.n === 0 ? null : (100 * (row.below ?? 0)) / row.n;
}

/** imageId → value for one scorer (run diffs). */
export function scoresByImage(db: Db, runId: number, scorer: string): Map<number, number> {
  const map = new Map<number, number>();
  const stmt = db.prepare('SELECT image_id, value FROM scores WHERE run_id = ? AND scorer = ?').raw();
  for (const [id, value] of stmt.iterate(runId, scorer) as IterableIterator<[number, number]>) map.set(id, value);
  return map;
}

/** imageId → flagged for a run (run diffs). */
export function flaggedByImage(db: Db, runId: number): Map<number, boolean> {
  const map = new Map<number, boolean>();
  const stmt = db.prepare('SELECT image_id, flagged FROM run_images WHERE run_id = ? AND flagged IS NOT NULL').raw();
  for (const [id, f] of stmt.iterate(runId) as IterableIterator<[number, number]>) map.set(id, f === 1);
  return map;
}
