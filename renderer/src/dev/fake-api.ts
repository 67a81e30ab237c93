// A stand-in for the services with generated rows, for developing the UI without a backend and for unit tests
// and the UI benchmark. Never shipped as the real thing: main.ts only reaches it in dev builds (?fake).
// DOM-free so it also runs in Node.
import type { Api, ApiEvents, EventName } from '../../../src/shared/api.js';
import { fakeCuration } from './fake-curation.js';
import { fakeLabeling } from './fake-labeling.js';
import type {
  Action,
  DecisionInput,
  EventAction,
  EvalReport,
  Histogram,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageRow,
  JobKind,
  JobProgress,
  JobRef,
  JobResult,
  ProjectInfo,
  ReviewEvent,
  RunDetail,
  RunDiff,
  RunSummary,
  Settings,
  SourceInfo,
} from '../../../src/shared/dto.js';
import { AppError } from '../../../src/shared/errors.js';
import { FASHION_CLASSES } from '../../../src/shared/fashion-mnist-classes.js';
import { createRng } from '../../../src/shared/random.js';

/** The demo project's classes, so what the UI shows in development looks like the real demo. */
export const FAKE_CLASSES: readonly string[] = FASHION_CLASSES;
const SCORERS = ['ssod', 'msp', 'energy', 'knn'];

interface FakeOptions {
  images?: number;
  seed?: number;
  /** Delay for jobs' progress ticks in ms (0 in tests). */
  tickMs?: number;
}

type Listener = (payload: never) => void;

/** Rows carry `calibrated` as runs that compute it do: the share of held-out ID images with a lower score. */
type FakeRow = ImageRow & { calibrated: Record<string, number> };

/**
 * A calibrated suggestion by construction: the predicted class is right with probability `confidence`, so the
 * fake's reliability diagram sits on the diagonal and bulk accept's "expected wrong" comes true. Drawn from its
 * own generator so the rows' other values stay what they were before suggestions existed.
 */
function suggest(row: FakeRow, truth: string, ood: boolean, rand: () => number): void {
  if (row.status !== 'ok') return;
  const confidence = ood ? 0.25 + rand() * 0.5 : Math.min(0.999, 0.5 + Math.sqrt(rand()) * 0.5);
  const others = FAKE_CLASSES.filter((c) => c !== truth);
  const right = rand() < confidence;
  const cls = right ? truth : (others[Math.floor(rand() * others.length)] ?? truth);
  const margin = Math.max(0, 2 * confidence - 1 - rand() * 0.1);
  row.predicted = cls;
  row.suggestion = { runId: 2, class: cls, confidence, rawProb: Math.min(0.9999, confidence + 0.04), margin };
}

/** Per scorer, the share of training images (the held-out ID set here) scoring below each row's score. */
function calibrate(rows: FakeRow[]): void {
  const ok = rows.filter((r) => r.role === 'train' && r.status === 'ok');
  for (const scorer of SCORERS) {
    const sorted = ok.map((r) => r.scores[scorer] ?? 0).sort((a, b) => a - b);
    for (const r of rows) {
      const v = r.scores[scorer];
      if (v === undefined || !sorted.length) continue;
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((sorted[mid] ?? 0) < v) lo = mid + 1;
        else hi = mid;
      }
      r.calibrated[scorer] = lo / sorted.length;
    }
  }
}

/** The informative order's key, smaller first: images still waiting for a class, lowest margin first. */
function informative(r: ImageRow): number {
  if (r.class !== null || !r.suggestion) return 2;
  return r.suggestion.margin;
}

export class FakeApi implements Api {
  readonly curation = fakeCuration();
  private rows: FakeRow[] = [];
  /** Folder classes, then classes created by labeling. */
  private classList = [...FAKE_CLASSES];
  readonly labeling: Api['labeling'] = fakeLabeling({
    rows: () => this.rows,
    classes: this.classList,
    currentRunId: () => this.currentRun()?.id ?? null,
    append: (imageId, action, fields) => this.append(imageId, action, fields),
    announce: (events, action) => {
      this.sortCache.clear();
      this.emit('decision.made', { events, action });
    },
  });
  private events: ReviewEvent[] = [];
  private listeners = new Map<EventName, Set<Listener>>();
  private project: ProjectInfo | null = null;
  private sourcesList: SourceInfo[] = [];
  private runsList: RunSummary[] = [];
  private settingsValue: Settings = { reviewer: null, theme: 'system' };
  private sortCache = new Map<string, ImageRow[]>();
  private jobSeq = 0;
  private activeJob: JobProgress | null = null;
  private cancelled = new Set<string>();
  private results = new Map<string, JobResult>();
  private readonly count: number;
  private readonly seed: number;
  private readonly tickMs: number;

  constructor(options: FakeOptions = {}) {
    this.count = options.images ?? 2000;
    this.seed = options.seed ?? 7;
    this.tickMs = options.tickMs ?? 120;
  }

  /** Events, for createLocalTransport(api, api). */
  on<E extends EventName>(name: E, handler: (payload: ApiEvents[E]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  private emit<E extends EventName>(name: E, payload: ApiEvents[E]): void {
    for (const h of [...(this.listeners.get(name) ?? [])]) (h as (p: ApiEvents[E]) => void)(payload);
  }

  /** Fill the project with generated rows and one finished run (what the demo would leave). */
  populate(path = '/tmp/fake-project'): ProjectInfo {
    const rand = createRng(this.seed);
    this.project = { path, name: 'Fake project', schemaVersion: 1, createdAt: new Date(0).toISOString() };
    this.sourcesList = [
      {
        id: 1,
        path: `${path}/train`,
        role: 'train',
        addedAt: new Date(0).toISOString(),
        lastScanAt: null,
        counts: { ok: 0, error: 0, missing: 0 },
      },
      {
        id: 2,
        path: `${path}/inbox`,
        role: 'inbox',
        addedAt: new Date(0).toISOString(),
        lastScanAt: null,
        counts: { ok: 0, error: 0, missing: 0 },
      },
    ];
    this.rows = [];
    const draw = createRng(this.seed + 1000);
    for (let i = 0; i < this.count; i++) {
      const inbox = rand() < 0.3;
      const source = inbox ? 2 : 1;
      const cls = FAKE_CLASSES[Math.floor(rand() * FAKE_CLASSES.length)] ?? 'Bag';
      const ood = inbox && rand() < 0.15;
      const err = rand() < 0.005;
      const base = ood ? 2 + rand() * 3 : rand() * 2.2;
      const scores: Record<string, number> = err
        ? {}
        : {
            ssod: base,
            msp: base * 0.3 + rand() * 0.4,
            energy: -8 + base * 2 + rand(),
            knn: base * 0.5 + rand() * 0.5,
          };
      this.rows.push({
        id: i + 1,
        sourceId: source,
        role: inbox ? 'inbox' : 'train',
        relPath: `${inbox ? '' : `${cls}/`}img_${String(i + 1).padStart(6, '0')}.png`,
        path: `${path}/${inbox ? 'inbox' : 'train'}/${cls}/img_${i + 1}.png`,
        class: inbox ? null : cls,
        status: err ? 'error' : 'ok',
        errorCode: err ? 'truncated' : null,
        errorMessage: err ? 'PNG ends before IEND' : null,
        width: err ? null : 28,
        height: err ? null : 28,
        format: err ? null : 'png',
        sha256: null,
        predicted: err ? null : cls,
        scores,
        flagged: err ? null : base > 2,
        decision: null,
        calibrated: {},
        classSource: inbox ? null : 'folder',
        suggestion: null,
      });
      suggest(this.rows[i]!, cls, ood, draw);
    }
    this.classList.splice(FAKE_CLASSES.length);
    calibrate(this.rows);
    for (const s of this.sourcesList) {
      s.counts.ok = this.rows.filter((r) => r.sourceId === s.id && r.status === 'ok').length;
      s.counts.error = this.rows.filter((r) => r.sourceId === s.id && r.status === 'error').length;
    }
    this.runsList = [this.makeRun(1, false, 2.1), this.makeRun(2, true, 2)];
    this.sortCache.clear();
    return this.project;
  }

  private makeRun(id: number, current: boolean, threshold: number): RunSummary {
    return {
      id,
      status: 'done',
      startedAt: new Date(Date.UTC(2024, 0, id)).toISOString(),
      finishedAt: new Date(Date.UTC(2024, 0, id, 0, 5)).toISOString(),
      backbone: 'mobilenet_v2_1.0_224',
      backend: 'wasm',
      seed: 1,
      isCurrent: current,
      defaultScorer: 'ssod',
      scorers: SCORERS,
      thresholds: { ssod: threshold, msp: 0.9, energy: -3, knn: 1.2 },
      config: { epochs: 10, folds: 3 },
      metrics: { idAccuracy: 0.91, heldOutAuroc: 0.95 },
      error: null,
    };
  }

  private requireProject(): ProjectInfo {
    if (!this.project) throw new AppError('no-project-open', 'no project is open');
    return this.project;
  }

  private currentRun(): RunSummary | null {
    return this.runsList.find((r) => r.isCurrent) ?? null;
  }

  projects: Api['projects'] = {
    current: () => Promise.resolve(this.project),
    create: (path: string, name?: string) => {
      this.project = {
        path,
        name: name ?? path.split('/').pop() ?? path,
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
      };
      this.rows = [];
      this.sourcesList = [];
      this.runsList = [];
      this.emit('project.changed', this.project);
      return Promise.resolve(this.project);
    },
    open: (path: string) => {
      const p = this.populate(path);
      this.emit('project.changed', p);
      return Promise.resolve(p);
    },
    close: () => {
      this.project = null;
      this.emit('project.changed', null);
      return Promise.resolve();
    },
    recent: () =>
      Promise.resolve(
        this.project
          ? [{ path: this.project.path, name: this.project.name, openedAt: new Date().toISOString(), exists: true }]
          : [],
      ),
    status: () => {
      const project = this.requireProject();
      const classes = this.classList.map((name) => ({ name, count: this.rows.filter((r) => r.class === name).length }));
      const decisions: Partial<Record<Action, number>> = {};
      for (const r of this.rows) if (r.decision) decisions[r.decision.action] = (decisions[r.decision.action] ?? 0) + 1;
      return Promise.resolve({
        project,
        sources: this.sourcesList,
        classes,
        byStatus: {
          ok: this.rows.filter((r) => r.status === 'ok').length,
          error: this.rows.filter((r) => r.status === 'error').length,
          missing: 0,
        },
        errorsByCode: { truncated: this.rows.filter((r) => r.status === 'error').length },
        decisions,
        currentRun: this.currentRun(),
        engine: { backend: 'wasm', skipped: { 'tensorflow-node': 'not installed' }, workers: 2 },
        reviewer: this.settingsValue.reviewer,
      });
    },
    // As the services do: the project opens at once, one 'demo' job scans and trains it; a second demo while
    // that job runs is refused.
    createDemo: (path?: string) => {
      if (this.activeJob?.kind === 'demo')
        return Promise.reject(new AppError('busy', 'the demo is already being built; wait for it to finish'));
      const p = this.populate(path ?? '/tmp/ssod-demo');
      p.name = 'Demo: Fashion-MNIST';
      const current = this.currentRun();
      this.emit('project.changed', p);
      this.startJob('demo', 10, () => current, true);
      return Promise.resolve(p);
    },
    defaultFolder: () => Promise.resolve('/tmp/ssod-projects'),
    // A folder opens as a project of generated rows, as the services would after scanning it.
    openFolder: (folder: string) => {
      if (!folder.startsWith('/')) return Promise.reject(new AppError('not-found', `no such folder: ${folder}`));
      const name = folder.split('/').filter(Boolean).pop() ?? 'images';
      const p = this.populate(`/tmp/ssod-projects/${name}`);
      this.emit('project.changed', p);
      this.startJob('scan', 5, () => null);
      return Promise.resolve(p);
    },
  };

  sources: Api['sources'] = {
    list: () => Promise.resolve(this.sourcesList),
    add: (folder, role) => {
      this.requireProject();
      const s: SourceInfo = {
        id: this.sourcesList.length + 1,
        path: folder,
        role,
        addedAt: new Date().toISOString(),
        lastScanAt: null,
        counts: { ok: 0, error: 0, missing: 0 },
      };
      this.sourcesList.push(s);
      return Promise.resolve(s);
    },
  };

  private filtered(q: ImageQuery): ImageRow[] {
    const sortBy = q.sortBy ?? this.currentRun()?.defaultScorer ?? 'ssod';
    const order = q.order ?? 'desc';
    const threshold = q.threshold ?? this.currentRun()?.thresholds[sortBy];
    const { offset: _o, limit: _l, ...rest } = q;
    const key = JSON.stringify({ ...rest, sortBy, order });
    const hit = this.sortCache.get(key);
    if (hit) return hit;
    const isFlagged = (r: ImageRow) =>
      q.threshold !== undefined ? (r.scores[sortBy] ?? -Infinity) >= q.threshold : r.flagged === true;
    const list = this.rows.filter(
      (r) =>
        (q.sourceId === undefined || r.sourceId === q.sourceId) &&
        (q.role === undefined || r.role === q.role) &&
        (q.class === undefined || r.class === q.class || (r.class === null && r.predicted === q.class)) &&
        (q.status === undefined || r.status === q.status) &&
        (q.errorCode === undefined || r.errorCode === q.errorCode) &&
        (q.decision === undefined ||
          (q.decision === 'none'
            ? !r.decision
            : q.decision === 'any'
              ? !!r.decision
              : r.decision?.action === q.decision)) &&
        (q.flagged === undefined || isFlagged(r) === q.flagged) &&
        (q.labelled === undefined ||
          (q.labelled ? r.class !== null : r.class === null && r.decision?.action !== 'reject')),
    );
    const sign = order === 'asc' ? 1 : -1;
    if (sortBy === 'path') list.sort((a, b) => sign * a.path.localeCompare(b.path));
    else if (sortBy === 'informative') list.sort((a, b) => informative(a) - informative(b) || a.id - b.id);
    else list.sort((a, b) => sign * ((a.scores[sortBy] ?? -Infinity) - (b.scores[sortBy] ?? -Infinity)) || a.id - b.id);
    void threshold;
    this.sortCache.set(key, list);
    return list;
  }

  images: Api['images'] = {
    list: (q: ImageQuery): Promise<ImagePage> => {
      this.requireProject();
      const all = this.filtered(q);
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 100;
      return Promise.resolve({ total: all.length, offset, rows: all.slice(offset, offset + limit) });
    },
    get: (id: number): Promise<ImageDetail> => {
      const row = this.rows[id - 1];
      if (!row) return Promise.reject(new AppError('not-found', `no image ${id}`));
      const rand = createRng(id);
      const values = Array.from({ length: 49 }, () => 0.3 + rand() * 0.7);
      const percentiles: Record<string, number> = {};
      for (const s of SCORERS) {
        const v = row.scores[s];
        if (v === undefined) continue;
        percentiles[s] = (100 * this.rows.filter((r) => (r.scores[s] ?? Infinity) <= v).length) / this.rows.length;
      }
      const probs = FAKE_CLASSES.map((c) => ({ class: c, prob: c === row.predicted ? 0.6 : 0.4 / 9 }));
      return Promise.resolve({
        ...row,
        heatmap: row.status === 'ok' ? { h: 7, w: 7, values, datasetMin: 0.1, datasetMax: 1 } : null,
        percentiles,
        topClasses: probs.sort((a, b) => b.prob - a.prob).slice(0, 5),
        history: this.events.filter((e) => e.imageId === id).reverse(),
      });
    },
    resolve: (ref: string) => {
      const n = Number(ref);
      const row = Number.isInteger(n) ? this.rows[n - 1] : this.rows.find((r) => r.path === ref || r.relPath === ref);
      return row ? Promise.resolve(row.id) : Promise.reject(new AppError('not-found', `no image ${ref}`));
    },
    histogram: (scorer: string, bins: number, q?: ImageQuery): Promise<Histogram> => {
      const rows = this.filtered({ ...(q ?? {}), flagged: undefined, threshold: undefined, sortBy: scorer });
      let min = Infinity;
      let max = -Infinity;
      for (const r of rows) {
        const v = r.scores[scorer];
        if (v === undefined) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (!Number.isFinite(min)) [min, max] = [0, 1];
      const width = (max - min) / bins || 1;
      const id = new Array<number>(bins).fill(0);
      const flagged = new Array<number>(bins).fill(0);
      rows.forEach((r) => {
        const v = r.scores[scorer];
        if (v === undefined) return;
        const b = Math.min(bins - 1, Math.floor((v - min) / width));
        (r.flagged ? flagged : id)[b]! += 1;
      });
      return Promise.resolve({
        scorer,
        min,
        max,
        bins,
        series: [
          { label: 'ID', counts: id },
          { label: 'flagged', counts: flagged },
        ],
        threshold: this.currentRun()?.thresholds[scorer] ?? null,
      });
    },
    classes: () => Promise.resolve([...this.classList]),
  };

  /** One audit event for labeling (a label is a `relabel`; its undo clears the decision, as review.undo does). */
  private append(
    imageId: number,
    action: EventAction,
    fields: { newClass?: string | null; reviewer?: string },
  ): ReviewEvent {
    const row = this.rows[imageId - 1];
    if (!row) throw new AppError('not-found', `no image ${imageId}`);
    const reviewer = fields.reviewer ?? this.settingsValue.reviewer ?? 'anonymous';
    const e: ReviewEvent = {
      id: this.events.length + 1,
      imageId,
      action,
      newClass: fields.newClass ?? null,
      note: null,
      reviewer,
      at: new Date().toISOString(),
      runId: this.currentRun()?.id ?? null,
      scores: row.scores,
      undoes: action === 'undo' ? (row.decision?.eventId ?? null) : null,
    };
    this.events.push(e);
    row.decision =
      action === 'undo' ? null : { eventId: e.id, action, newClass: e.newClass, note: null, reviewer, at: e.at };
    return e;
  }

  review: Api['review'] = {
    decide: (input: DecisionInput) => {
      const reviewer = input.reviewer ?? this.settingsValue.reviewer ?? 'anonymous';
      const appended: ReviewEvent[] = [];
      for (const imageId of input.imageIds) {
        const row = this.rows[imageId - 1];
        if (!row) throw new AppError('not-found', `no image ${imageId}`);
        const e: ReviewEvent = {
          id: this.events.length + 1,
          imageId,
          action: input.action,
          newClass: input.newClass ?? null,
          note: input.note ?? null,
          reviewer,
          at: new Date().toISOString(),
          runId: this.currentRun()?.id ?? null,
          scores: row.scores,
          undoes: null,
        };
        this.events.push(e);
        appended.push(e);
        row.decision = { eventId: e.id, action: input.action, newClass: e.newClass, note: e.note, reviewer, at: e.at };
      }
      this.sortCache.clear();
      this.emit('decision.made', { events: appended, action: input.action });
      return Promise.resolve(appended);
    },
    undo: (imageIds: number[], reviewer?: string) => {
      const appended: ReviewEvent[] = [];
      for (const imageId of imageIds) {
        const row = this.rows[imageId - 1];
        if (!row?.decision) continue;
        const e: ReviewEvent = {
          id: this.events.length + 1,
          imageId,
          action: 'undo',
          newClass: null,
          note: null,
          reviewer: reviewer ?? this.settingsValue.reviewer ?? 'anonymous',
          at: new Date().toISOString(),
          runId: null,
          scores: row.scores,
          undoes: row.decision.eventId,
        };
        this.events.push(e);
        appended.push(e);
        row.decision = null;
      }
      this.sortCache.clear();
      this.emit('decision.made', { events: appended, action: 'undo' });
      return Promise.resolve(appended);
    },
    history: (imageId?: number, limit?: number) =>
      Promise.resolve(
        this.events
          .filter((e) => imageId === undefined || e.imageId === imageId)
          .reverse()
          .slice(0, limit ?? 1000),
      ),
  };

  runs: Api['runs'] = {
    list: () => Promise.resolve([...this.runsList].reverse()),
    get: (id: number): Promise<RunDetail> => {
      const run = this.runsList.find((r) => r.id === id);
      if (!run) return Promise.reject(new AppError('not-found', `no run ${id}`));
      const lossCurve = Array.from({ length: 10 }, (_, e) => ({
        epoch: e + 1,
        phase: 'heads',
        loss: 1.5 / (e + 1) + 0.1,
        valLoss: 1.6 / (e + 1) + 0.15,
      }));
      return Promise.resolve({
        ...run,
        lossCurve,
        classes: [...FAKE_CLASSES],
        snapshot: { images: this.rows.length, decisions: this.events.length },
      });
    },
    setCurrent: (id: number) => {
      const run = this.runsList.find((r) => r.id === id);
      if (!run) return Promise.reject(new AppError('not-found', `no run ${id}`));
      for (const r of this.runsList) r.isCurrent = r.id === id;
      this.sortCache.clear();
      return Promise.resolve(run);
    },
    diff: (): Promise<RunDiff> => {
      const rows = this.rows.filter((r) => r.status === 'ok').slice(0, 40);
      const diffRow = (r: ImageRow, d: number) => ({
        imageId: r.id,
        path: r.path,
        scoreA: r.scores.ssod ?? null,
        scoreB: (r.scores.ssod ?? 0) + d,
        flaggedA: d > 0 ? false : true,
        flaggedB: d > 0,
      });
      return Promise.resolve({
        runA: 1,
        runB: this.currentRun()?.id ?? 2,
        scorer: 'ssod',
        newlyFlagged: rows.slice(0, 8).map((r) => diffRow(r, 1.2)),
        newlyCleared: rows.slice(8, 14).map((r) => diffRow(r, -0.9)),
        largestChanges: rows.slice(0, 20).map((r, i) => diffRow(r, i % 2 ? -0.5 - i / 20 : 0.5 + i / 20)),
        perClass: FAKE_CLASSES.map((c, i) => ({ class: c, flaggedA: 10 + i, flaggedB: 8 + ((i * 3) % 7) })),
      });
    },
    evalFromReviews: (idPassRate = 0.95): Promise<EvalReport> => {
      const last = new Map<number, Action>();
      for (const r of this.rows) if (r.decision) last.set(r.id, r.decision.action);
      const ids = [...last].filter(([, a]) => a === 'keep').map(([id]) => id);
      const oods = [...last].filter(([, a]) => a === 'reject').map(([id]) => id);
      const roc =
        oods.length && ids.length
          ? SCORERS.map((s) => ({ scorer: s, fpr: [0, 0.05, 0.2, 1], tpr: [0, 0.6, 0.9, 1] }))
          : [];
      return Promise.resolve({
        idCount: ids.length,
        oodCount: oods.length,
        perScorer: roc.length
          ? Object.fromEntries(
              SCORERS.map((s, i) => [s, { auroc: 0.9 - i * 0.03, fpr95: 0.2 + i * 0.05, auprIn: 0.9, auprOut: 0.8 }]),
            )
          : {},
        idAccuracy: null,
        suggestedThreshold: roc.length ? { scorer: 'ssod', idPassRate, value: 2.05 } : null,
        roc,
      });
    },
  };

  private startJob(kind: JobKind, steps: number, result: () => unknown, withLoss = false): JobRef {
    if (this.activeJob) throw new AppError('busy', 'another job is running');
    const jobId = `job-${++this.jobSeq}`;
    const started = Date.now();
    let done = 0;
    // Running from the moment it is accepted, as the real job runner: a second start is refused at once.
    this.activeJob = { jobId, kind, phase: 'starting', done: 0, total: steps, rate: 0, etaSeconds: null };
    const tick = () => {
      if (this.cancelled.has(jobId)) return this.finish({ jobId, kind, outcome: 'cancelled' });
      done++;
      const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
      const rate = done / elapsed;
      const p: JobProgress = {
        jobId,
        kind,
        phase: kind === 'train' ? (done < steps / 2 ? 'features' : 'heads') : kind,
        done,
        total: steps,
        rate,
        etaSeconds: (steps - done) / rate,
        ...(withLoss ? { loss: 1.5 / done + 0.1 } : {}),
      };
      this.activeJob = p;
      this.emit('job.progress', p);
      if (done >= steps) return this.finish({ jobId, kind, outcome: 'done', result: result() });
      setTimeout(tick, this.tickMs);
    };
    setTimeout(tick, this.tickMs);
    return { id: jobId, kind };
  }

  private finish(r: JobResult): void {
    this.activeJob = null;
    this.results.set(r.jobId, r);
    this.emit('job.finished', r);
    if (r.kind === 'train' && r.outcome === 'done') this.emit('run.done', r.result as RunSummary);
  }

  jobs: Api['jobs'] = {
    scan: () =>
      Promise.resolve(
        this.startJob('scan', 20, () => ({
          files: this.rows.length,
          added: 0,
          changed: 0,
          unchanged: this.rows.length,
          moved: 0,
          missing: 0,
          errors: { truncated: 3 },
          decoded: this.rows.length,
          seconds: 2,
        })),
      ),
    train: () =>
      Promise.resolve(
        this.startJob(
          'train',
          20,
          () => {
            for (const r of this.runsList) r.isCurrent = false;
            const run = this.makeRun(this.runsList.length + 1, true, 2);
            this.runsList.push(run);
            this.sortCache.clear();
            return run;
          },
          true,
        ),
      ),
    score: () => Promise.resolve(this.startJob('score', 10, () => null)),
    // The folder's images count as OOD against the training images, as the services do.
    evalFolders: () =>
      Promise.resolve(
        this.startJob('eval', 10, () => ({
          idCount: this.rows.filter((r) => r.role === 'train').length,
          oodCount: 20,
          perScorer: Object.fromEntries(
            SCORERS.map((s, i) => [s, { auroc: 0.95 - i * 0.05, fpr95: 0.1 + i * 0.1, auprIn: 0.9, auprOut: 0.85 }]),
          ),
          idAccuracy: null,
          suggestedThreshold: null,
          roc: SCORERS.map((s) => ({ scorer: s, fpr: [0, 0.1, 1], tpr: [0, 0.7, 1] })),
        })),
      ),
    export: (o) =>
      Promise.resolve(
        this.startJob('export', 10, () => ({
          out: o.out,
          images: this.rows.length,
          bytes: this.rows.length * 800,
          format: o.format ?? 'imagefolder',
          mode: o.mode ?? 'copy',
        })),
      ),
    cancel: (jobId: string) => {
      this.cancelled.add(jobId);
      return Promise.resolve();
    },
    active: () => Promise.resolve(this.activeJob),
    wait: (jobId: string) =>
      new Promise<JobResult>((resolve) => {
        const done = this.results.get(jobId);
        if (done) return resolve(done);
        const off = this.on('job.finished', (r) => {
          if (r.jobId === jobId) {
            off();
            resolve(r);
          }
        });
      }),
  };

  exports: Api['exports'] = {
    verify: (out: string) => Promise.resolve({ ok: true, checked: out.length, mismatched: [], missing: [] }),
  };

  settings: Api['settings'] = {
    get: () => Promise.resolve({ ...this.settingsValue }),
    set: (patch: Partial<Settings>) => {
      this.settingsValue = { ...this.settingsValue, ...patch };
      return Promise.resolve({ ...this.settingsValue });
    },
  };
}

/** A thumbnail for a fake image: an SVG data URL (tinted by the id), so dev mode needs no server. */
export function fakeImageUrl(variant: 'thumb' | 'full', id: number): string {
  const hue = (id * 47) % 360;
  const size = variant === 'thumb' ? 96 : 448;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 28 28"><rect width="28" height="28" fill="hsl(${hue},40%,25%)"/><circle cx="14" cy="14" r="${4 + (id % 8)}" fill="hsl(${hue},70%,70%)"/><text x="2" y="26" font-size="5" fill="#fff">${id}</text></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
