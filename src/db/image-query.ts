// Listing images for the review grid: filters, sorting by any scorer of a run, paging, cached totals.
//
// Sorting by a scorer walks the scores_by_value index in order, so a page of 200 is cheap at any size. Images
// the run has no score for (errors, files added after the run) come after every scored image, by path.
// Totals need a full count over the filtered set (O(n)); they are cached per filter set until the database
// changes, so paging, re-sorting by the same scorer and scrolling never recount.
import type { DecisionFilter, ImagePage, ImageQuery } from '../shared/dto.js';
import { ACTIONS } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { cachedByVersion } from './data-version.js';
import { imageRowsByIds } from './image-rows.js';

export interface ImageListQuery extends ImageQuery {
  /** The run whose predictions, scores and flags are shown (normally the current run); null: none yet. */
  runId: number | null;
  /** The run's default scorer: sort key when sortBy is not given, threshold scorer when sorting by path. */
  defaultScorer: string;
}

export const MAX_PAGE = 1000;

type Params = Record<string, string | number>;

interface Filters {
  /** SQL conditions with `{id}` standing for the image id expression (decision filter excluded). */
  conds: string[];
  /** Conditions that read columns of images (need the images table joined as `i`). */
  needsImages: boolean;
  params: Params;
  /** Only scored images can match (flag filters): there is no unscored tail. */
  scoredOnly: boolean;
  decision: DecisionFilter | undefined;
}

// With a class: a train folder's (not rejected) or a standing relabel's. Without: neither, and not rejected.
const LABELLED = `(EXISTS (SELECT 1 FROM current_decisions c WHERE c.image_id = i.id AND c.action = 'relabel')
  OR (i.class IS NOT NULL AND i.source_id IN (SELECT id FROM sources WHERE role = 'train')
      AND NOT EXISTS (SELECT 1 FROM current_decisions c WHERE c.image_id = i.id AND c.action = 'reject')))`;
const UNLABELLED = `((i.class IS NULL OR i.source_id IN (SELECT id FROM sources WHERE role = 'inbox'))
  AND NOT EXISTS (SELECT 1 FROM current_decisions c WHERE c.image_id = i.id AND c.action IN ('relabel', 'reject')))`;

/** Sort key of the labeling namespace's order: a run's stored informative order (src/db/labels-repo.ts). */
export const INFORMATIVE = 'informative';

function buildFilters(q: ImageListQuery, scorer: string, scoreAlias: string | null): Filters {
  const conds: string[] = [];
  const params: Params = {};
  let needsImages = false;
  let scoredOnly = false;
  const image = (cond: string, key: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    conds.push(cond);
    params[key] = value;
    needsImages = true;
  };
  image('i.source_id = @sourceId', 'sourceId', q.sourceId);
  image('i.source_id IN (SELECT id FROM sources WHERE role = @role)', 'role', q.role);
  // The class as training uses it: a standing relabel's, else the train folder's (uses the images_class index).
  image(
    `((i.class = @class AND i.source_id IN (SELECT id FROM sources WHERE role = 'train')
       AND NOT EXISTS (SELECT 1 FROM current_decisions c WHERE c.image_id = i.id AND c.action = 'relabel'))
      OR i.id IN (SELECT c.image_id FROM current_decisions c WHERE c.action = 'relabel' AND c.new_class = @class))`,
    'class',
    q.class,
  );
  if (q.labelled !== undefined) {
    conds.push(q.labelled ? LABELLED : UNLABELLED);
    needsImages = true;
  }
  image('i.status = @status', 'status', q.status);
  image('i.error_code = @errorCode', 'errorCode', q.errorCode);
  // Image sets of src/db/image-sets.ts (TEMP tables of this connection): a map lasso's selection, quality flags.
  image(
    'i.id IN (SELECT image_id FROM temp.image_selection WHERE selection_id = @selection)',
    'selection',
    q.selection,
  );
  image('i.id IN (SELECT image_id FROM temp.quality_flags WHERE flag = @quality)', 'quality', q.quality);
  const decision = q.decision;
  if (decision !== undefined && decision !== 'none' && decision !== 'any' && !ACTIONS.includes(decision)) {
    throw new AppError('invalid-argument', `unknown decision filter ${String(decision)}`);
  }
  if (decision !== undefined && decision !== 'none' && decision !== 'any') params.decision = decision;
  if (q.flagged !== undefined) {
    scoredOnly = true;
    if (q.runId === null) {
      conds.push('0');
    } else if (q.threshold !== undefined) {
      if (!Number.isFinite(q.threshold)) throw new AppError('invalid-argument', 'threshold must be a finite number');
      params.threshold = q.threshold;
      const op = q.flagged ? '>' : '<=';
      // Flagged means "scores above the threshold"; on the sorted scorer this is a range of the index.
      if (scoreAlias !== null) conds.push(`${scoreAlias}.value ${op} @threshold`);
      else {
        params.thresholdScorer = scorer;
        conds.push(
          `EXISTS (SELECT 1 FROM scores t WHERE t.run_id = @runId AND t.scorer = @thresholdScorer
             AND t.image_id = {id} AND t.value ${op} @threshold)`,
        );
      }
    } else {
      conds.push(
        scoreAlias !== null
          ? `${scoreAlias}.flagged = @flagged`
          : 'EXISTS (SELECT 1 FROM run_images r WHERE r.run_id = @runId AND r.image_id = {id} AND r.flagged = @flagged)',
      );
      params.flagged = q.flagged ? 1 : 0;
    }
  }
  return { conds, needsImages, params, scoredOnly, decision };
}

/** The decision filter as a condition on the image id (for scans not driven by current_decisions). */
function decisionCond(decision: DecisionFilter | undefined): string[] {
  if (decision === undefined) return [];
  if (decision === 'none') return ['NOT EXISTS (SELECT 1 FROM current_decisions d WHERE d.image_id = {id})'];
  if (decision === 'any') return ['EXISTS (SELECT 1 FROM current_decisions d WHERE d.image_id = {id})'];
  return ['EXISTS (SELECT 1 FROM current_decisions d WHERE d.image_id = {id} AND d.action = @decision)'];
}

function where(conds: string[], idExpr: string, extra: string[] = []): string {
  const all = [...extra, ...conds.map((c) => c.replaceAll('{id}', idExpr))];
  return all.length ? `WHERE ${all.join(' AND ')}` : '';
}

// --- count cache -------------------------------------------------------------------------------------------

function cachedCount(db: Db, sql: string, params: Params): number {
  return cachedByVersion(db, `count\u0000${sql}\u0000${JSON.stringify(params)}`, () => {
    return db.prepare(sql).pluck().get(params) as number;
  });
}

// --- the query ---------------------------------------------------------------------------------------------

export function queryImages(db: Db, q: ImageListQuery): ImagePage {
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(q.limit ?? 200)));
  const sortBy = q.sortBy ?? q.defaultScorer;
  if (sortBy === 'path' || q.runId === null) return byPath(db, q, offset, limit);
  if (sortBy === INFORMATIVE) return byInformative(db, q, offset, limit);
  return byScore(db, q, sortBy, offset, limit);
}

function byPath(db: Db, q: ImageListQuery, offset: number, limit: number): ImagePage {
  const f = buildFilters(q, q.defaultScorer, null);
  const params: Params = { ...f.params, runId: q.runId ?? -1 };
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const w = where([...f.conds, ...decisionCond(f.decision)], 'i.id');
  const ids = db
    .prepare(
      `SELECT i.id FROM images i ${w} ORDER BY i.source_id ${dir}, i.rel_path ${dir} LIMIT @limit OFFSET @offset`,
    )
    .pluck()
    .all({ ...params, limit, offset }) as number[];
  const total = cachedCount(db, `SELECT count(*) FROM images i ${w}`, params);
  return { total, offset, rows: imageRowsByIds(db, ids, q.runId) };
}

/** The run's informative order first (rank 0 = the label that helps most), then everything else by path. */
function byInformative(db: Db, q: ImageListQuery, offset: number, limit: number): ImagePage {
  const f = buildFilters(q, q.defaultScorer, null);
  const params: Params = { ...f.params, runId: q.runId ?? -1 };
  const w = where([...f.conds, ...decisionCond(f.decision)], 'i.id');
  const ids = db
    .prepare(
      `SELECT i.id FROM images i LEFT JOIN label_order lo ON lo.run_id = @runId AND lo.image_id = i.id ${w}
       ORDER BY lo.rank IS NULL, lo.rank, i.source_id, i.rel_path LIMIT @limit OFFSET @offset`,
    )
    .pluck()
    .all({ ...params, limit, offset }) as number[];
  const total = cachedCount(db, `SELECT count(*) FROM images i ${w}`, params);
  return { total, offset, rows: imageRowsByIds(db, ids, q.runId) };
}

function byScore(db: Db, q: ImageListQuery, scorer: string, offset: number, limit: number): ImagePage {
  const f = buildFilters(q, scorer, 's');
  const params: Params = { ...f.params, runId: q.runId ?? -1, scorer };
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const base = ['s.run_id = @runId', 's.scorer = @scorer'];

  // Scored part, in score order (ties broken by flag then id: a total order, so pages never overlap or skip).
  let from = 'scores s';
  let countFrom: string | null = null;
  let conds = [...f.conds, ...decisionCond(f.decision)];
  if (f.decision !== undefined && f.decision !== 'none') {
    // Few images carry a decision: start from them and sort those, rather than walk the whole score index.
    from =
      'current_decisions cd CROSS JOIN scores s ON s.run_id = @runId AND s.scorer = @scorer AND s.image_id = cd.image_id';
    conds = f.decision === 'any' ? f.conds : [...f.conds, 'cd.action = @decision'];
    if (f.needsImages) from += ' JOIN images i ON i.id = s.image_id';
  } else if (f.needsImages) {
    // Walking the score index finds a page after about (offset + limit) * N / M rows when M of N images pass
    // the image filters; filtering first costs M lookups plus a sort. Choose by the (cached) counts rather than
    // leave it to the planner, which measured wrong both ways at 1M images.
    const imageConds = where(
      f.conds.filter((c) => c.startsWith('i.')),
      'i.id',
    );
    const matched = cachedCount(db, `SELECT count(*) FROM images i ${imageConds}`, params);
    const all = cachedCount(db, 'SELECT count(*) FROM images', {});
    const filterFirst =
      'images i CROSS JOIN scores s ON s.run_id = @runId AND s.scorer = @scorer AND s.image_id = i.id';
    from =
      matched * matched < (offset + limit) * all ? filterFirst : 'scores s CROSS JOIN images i ON i.id = s.image_id';
    // Counting visits every match either way; starting from the M filtered images is never worse than from N.
    countFrom = filterFirst;
  }
  const w = where(conds, 's.image_id', base);
  const scoredTotal = cachedCount(db, `SELECT count(*) FROM ${countFrom ?? from} ${w}`, params);
  const ids =
    offset < scoredTotal
      ? (db
          .prepare(
            `SELECT s.image_id FROM ${from} ${w}
             ORDER BY s.value ${dir}, s.flagged ${dir}, s.image_id ${dir} LIMIT @limit OFFSET @offset`,
          )
          .pluck()
          .all({ ...params, limit, offset }) as number[])
      : [];
  if (f.scoredOnly) return { total: scoredTotal, offset, rows: imageRowsByIds(db, ids, q.runId) };

  // Unscored tail, by path: errors and images added since the run. Scores only exist for existing images, so
  // its size is the filtered image count minus the scored count (two cheap counts, not an anti-join).
  const tf = buildFilters(q, scorer, null);
  const tailConds = [...tf.conds, ...decisionCond(tf.decision)];
  const imagesTotal = cachedCount(db, `SELECT count(*) FROM images i ${where(tailConds, 'i.id')}`, params);
  const tailTotal = Math.max(0, imagesTotal - scoredTotal);
  const want = limit - ids.length;
  if (want > 0 && tailTotal > 0) {
    const wt = where(tailConds, 'i.id', [
      'NOT EXISTS (SELECT 1 FROM scores x WHERE x.run_id = @runId AND x.scorer = @scorer AND x.image_id = i.id)',
    ]);
    const tail = db
      .prepare(`SELECT i.id FROM images i ${wt} ORDER BY i.source_id, i.rel_path LIMIT @limit OFFSET @offset`)
      .pluck()
      .all({ ...params, limit: want, offset: Math.max(0, offset - scoredTotal) }) as number[];
    ids.push(...tail);
  }
  return { total: scoredTotal + tailTotal, offset, rows: imageRowsByIds(db, ids, q.runId) };
}

export interface ScoreSeries {
  /** Scores of every scored image matching the filters, in no particular order. */
  values: Float64Array;
  /** The run's stored flag per value: 1 flagged, 0 not, 255 unknown. */
  flagged: Uint8Array;
}

/**
 * One scorer's values over the images matching the query's filters (sort, paging and threshold ignored), with
 * the stored flag alongside: the data a histogram splits into "ID" and "flagged". 9 bytes per image.
 */
export function scoreSeries(db: Db, q: ImageListQuery, scorer: string): ScoreSeries {
  if (q.runId === null) return { values: new Float64Array(0), flagged: new Uint8Array(0) };
  const f = buildFilters({ ...q, threshold: undefined }, scorer, 's');
  const params: Params = { ...f.params, runId: q.runId, scorer };
  const from = `scores s${f.needsImages ? ' JOIN images i ON i.id = s.image_id' : ''}`;
  const w = where([...f.conds, ...decisionCond(f.decision)], 's.image_id', ['s.run_id = @runId', 's.scorer = @scorer']);
  const values: number[] = [];
  const flags: number[] = [];
  const stmt = db.prepare(`SELECT s.value, s.flagged FROM ${from} ${w}`).raw();
  for (const [value, flagged] of stmt.iterate(params) as IterableIterator<[number, number | null]>) {
    values.push(value);
    flags.push(flagged === null ? 255 : flagged);
  }
  return { values: Float64Array.from(values), flagged: Uint8Array.from(flags) };
}
