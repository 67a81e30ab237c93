// Data that crosses a boundary (IPC, HTTP, CLI JSON). Plain JSON only: no Dates, no typed arrays, no classes.

export type Role = 'train' | 'inbox';
export const ROLES: readonly Role[] = ['train', 'inbox'];

export type ImageStatus = 'ok' | 'error' | 'missing';

/** Why a file could not be used. Every scan failure maps to exactly one code. */
export type ErrorCode =
  | 'zero-byte'
  | 'truncated'
  | 'not-an-image'
  | 'unsupported-format'
  | 'too-large'
  | 'permission-denied'
  | 'vanished'
  | 'invalid-utf8-name'
  | 'io-error';
export const ERROR_CODES: readonly ErrorCode[] = [
  'zero-byte',
  'truncated',
  'not-an-image',
  'unsupported-format',
  'too-large',
  'permission-denied',
  'vanished',
  'invalid-utf8-name',
  'io-error',
];

/** A reviewer's decision. `undo` appends an event that cancels the image's latest standing decision. */
export type Action = 'keep' | 'reject' | 'relabel' | 'unsure';
export const ACTIONS: readonly Action[] = ['keep', 'reject', 'relabel', 'unsure'];
export type EventAction = Action | 'undo';

/** Scorer names. Every score is an OOD score: higher = more out-of-distribution. */
export type ScorerName = 'ssod' | 'msp' | 'maxlogit' | 'energy' | 'knn' | 'mahalanobis' | 'fused' | (string & {});

export interface ProjectInfo {
  path: string;
  name: string;
  schemaVersion: number;
  createdAt: string;
}

export interface RecentProject {
  path: string;
  name: string;
  openedAt: string;
  exists: boolean;
}

export interface SourceInfo {
  id: number;
  path: string;
  role: Role;
  addedAt: string;
  lastScanAt: string | null;
  counts: { ok: number; error: number; missing: number };
}

export interface ClassCount {
  name: string;
  count: number;
}

export interface ProjectStatus {
  project: ProjectInfo;
  sources: SourceInfo[];
  classes: ClassCount[];
  byStatus: Record<ImageStatus, number>;
  errorsByCode: Partial<Record<ErrorCode, number>>;
  decisions: Partial<Record<Action, number>>;
  currentRun: RunSummary | null;
  engine: EngineInfo | null;
  reviewer: string | null;
}

export interface EngineInfo {
  backend: string;
  /** Why each faster backend was skipped, e.g. { 'tensorflow-gpu': 'not installed' }. */
  skipped: Record<string, string>;
  workers: number;
}

export interface Decision {
  eventId: number;
  action: Action;
  newClass: string | null;
  note: string | null;
  reviewer: string;
  at: string;
}

export interface ImageRow {
  id: number;
  sourceId: number;
  role: Role;
  relPath: string;
  /** Absolute path on disk (for display and CLI; the UI fetches pixels by id only). */
  path: string;
  /** The image's class as training and export use it: its folder's, or the one a label or relabel gave it;
   * null while an inbox image is unlabelled. */
  class: string | null;
  /** Where `class` came from (null while unlabelled). */
  classSource?: ClassSource | null;
  /** The class its train folder gives it (null in the inbox), whatever a relabel says: the export's origin. */
  folderClass?: string | null;
  /** The current run's calibrated suggestion (null without a run or a prediction). `predicted` stays the model's
   * own arg-max. */
  suggestion?: Suggestion | null;
  status: ImageStatus;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  sha256: string | null;
  predicted: string | null;
  scores: Record<string, number>;
  /** The scores on one readable scale: per scorer, the share in [0, 1] of held-out ID images (training images
   * scored out of fold) with a lower score. Empty for runs made before calibration existed. */
  calibrated: Record<string, number>;
  flagged: boolean | null;
  decision: Decision | null;
}

/** Where an image's class came from: its train folder, a label given to an inbox image, or a reviewer's relabel
 * of a train image (the labeling namespace, src/shared/labeling-api.ts). */
export type ClassSource = 'folder' | 'label' | 'relabel';
export const CLASS_SOURCES: readonly ClassSource[] = ['folder', 'label', 'relabel'];

/** The current run's suggestion for one image. */
export interface Suggestion {
  runId: number;
  class: string;
  /** Calibrated probability that `class` is right (the run's calibration applied to the model's probability). */
  confidence: number;
  /** The model's own (uncalibrated) probability of `class`. */
  rawProb: number;
  /** Calibrated confidence of the best class minus that of the second best (low = the model hesitates). */
  margin: number;
}

export type DecisionFilter = Action | 'none' | 'any';

export interface ImageQuery {
  sourceId?: number;
  role?: Role;
  class?: string;
  status?: ImageStatus;
  errorCode?: ErrorCode;
  decision?: DecisionFilter;
  flagged?: boolean;
  /** Only the images of a selection made with curation.select (e.g. a lasso on the map). */
  selection?: number;
  /** Only images with this image-quality flag, one of QUALITY_FLAGS (src/shared/curation-dto.ts, which imports
   * this file: hence a string here; validate.ts allows only those names), as of the last quality computation. */
  quality?: string;
  /** true: images with a class (folder, label or relabel); false: without one and not rejected. */
  labelled?: boolean;
  /** Scorer to sort by, 'path', or 'informative' (what a label helps most first: the labeling namespace's order).
   * Default: the current run's default scorer, descending. */
  sortBy?: string;
  order?: 'asc' | 'desc';
  /** When set, `flagged` filters and counts use this threshold on `sortBy` instead of the run's. */
  threshold?: number;
  offset?: number;
  limit?: number;
}

export interface ImagePage {
  total: number;
  offset: number;
  rows: ImageRow[];
}

export interface Heatmap {
  h: number;
  w: number;
  /** Row-major per-position ID probability in [0, 1]. */
  values: number[];
  /** Dataset-wide range for normalisation (not per image). */
  datasetMin: number;
  datasetMax: number;
}

export interface ImageDetail extends ImageRow {
  heatmap: Heatmap | null;
  /** Percentile of each score among all scored images of the run (0..100). */
  percentiles: Record<string, number>;
  topClasses: { class: string; prob: number }[];
  history: ReviewEvent[];
}

export interface ReviewEvent {
  id: number;
  imageId: number;
  action: EventAction;
  newClass: string | null;
  note: string | null;
  reviewer: string;
  at: string;
  runId: number | null;
  scores: Record<string, number>;
  /** For `undo`: the event it cancels. */
  undoes: number | null;
  path?: string;
  /** Set when the event is a label (src/shared/labeling-dto.ts): how it was given, in which batch, and what the
   * suggesting run proposed then with its calibrated confidence (null: no run had a suggestion). */
  label?: LabelTrail;
}

export interface LabelTrail {
  batchId: number;
  method: 'manual' | 'accept' | 'bulk' | 'cluster';
  suggested: string | null;
  confidence: number | null;
  runId: number | null;
}

export interface DecisionInput {
  imageIds: number[];
  action: Action;
  newClass?: string;
  note?: string;
  /** Defaults to the reviewer set in settings. */
  reviewer?: string;
}

export interface Histogram {
  scorer: string;
  min: number;
  max: number;
  bins: number;
  /** Counts per bin, split by a reference group so ID and flagged/OOD can be drawn apart. */
  series: { label: string; counts: number[] }[];
  threshold: number | null;
}

export interface TrainOptions {
  backbone?: string;
  layer?: string;
  /** Absent: adapt when it fits --budget and validates (or reuse the current run's adapted top), else heads. */
  mode?: 'heads' | 'end-to-end' | 'adapt';
  /** Seconds the whole run may take when it adapts the backbone's top (default 300): adapting gets what extraction,
   * the heads and storing the run leave (metrics.adapt.budget says how it was shared). */
  budget?: number;
  inputSize?: number;
  folds?: number;
  gamma?: number;
  alpha?: number;
  epochs?: number;
  seed?: number;
  backend?: string;
  /** Random crops per training image to widen SSOD's sampling (docs/ssod.md, "Widening sampling with crops"):
   * 0 never widens; absent = automatic (2 per image when the background share is degenerate); N > 0 always. */
  crops?: number;
}

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface RunSummary {
  id: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  backbone: string;
  backend: string;
  seed: number;
  isCurrent: boolean;
  defaultScorer: string;
  scorers: string[];
  thresholds: Record<string, number>;
  /** Each threshold on the calibrated scale (flagged = calibrated score above it); absent or empty for older runs. */
  calibratedThresholds?: Record<string, number>;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  error: string | null;
}

export interface LossPoint {
  epoch: number;
  phase: string;
  loss: number;
  valLoss?: number;
}

export interface RunDetail extends RunSummary {
  lossCurve: LossPoint[];
  classes: string[];
  snapshot: { images: number; decisions: number };
}

export interface OodMetrics {
  auroc: number;
  fpr95: number;
  auprIn: number;
  auprOut: number;
}

export interface RocCurve {
  scorer: string;
  /** Points (fpr, tpr), ID = positive. */
  fpr: number[];
  tpr: number[];
}

export interface EvalReport {
  /** What the metrics rest on. */
  idCount: number;
  oodCount: number;
  perScorer: Record<string, OodMetrics>;
  idAccuracy: number | null;
  suggestedThreshold: { scorer: string; idPassRate: number; value: number } | null;
  roc: RocCurve[];
}

export interface RunDiff {
  runA: number;
  runB: number;
  scorer: string;
  newlyFlagged: DiffRow[];
  newlyCleared: DiffRow[];
  largestChanges: DiffRow[];
  perClass: { class: string; flaggedA: number; flaggedB: number }[];
}

export interface DiffRow {
  imageId: number;
  path: string;
  scoreA: number | null;
  scoreB: number | null;
  flaggedA: boolean | null;
  flaggedB: boolean | null;
}

export interface ExportOptions {
  out: string;
  format?: 'imagefolder' | 'csv' | 'json';
  mode?: 'copy' | 'hardlink' | 'symlink';
  /** Which images: default train minus rejected. */
  include?: 'train' | 'all' | 'kept' | 'query';
  query?: ImageQuery;
}

export interface ExportResult {
  out: string;
  images: number;
  bytes: number;
  format: string;
  mode: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  mismatched: string[];
  missing: string[];
}

export type JobKind = 'scan' | 'train' | 'score' | 'export' | 'demo' | 'eval';

export interface JobRef {
  id: string;
  kind: JobKind;
}

/** How far a piece of work is: what the engine process reports, and what a job shows (JobProgress). */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  /** Items per second over the current phase (0 until measurable). */
  rate: number;
  etaSeconds: number | null;
  loss?: number;
  message?: string;
}

/** A report from inside the work: rate and ETA are added by whoever times it. */
/** What a job reports. `etaSeconds`, when set, replaces the runner's done/rate estimate: for work whose items cost
 * very different amounts (a scan's unchanged files against its new ones). */
export type ProgressStep = Omit<Progress, 'rate' | 'etaSeconds'> & { etaSeconds?: number | null };

/** What a job body gets, in the services and in the engine process alike: cancel, and where to report. */
export interface JobContext {
  signal: AbortSignal;
  progress(p: ProgressStep): void;
}

export interface JobProgress extends Progress {
  jobId: string;
  kind: JobKind;
}

export type JobOutcome = 'done' | 'failed' | 'cancelled';

export interface JobResult {
  jobId: string;
  kind: JobKind;
  outcome: JobOutcome;
  error?: string;
  /** Kind-specific summary: ScanSummary, RunSummary, ExportResult ... */
  result?: unknown;
}

export interface ScanSummary {
  files: number;
  added: number;
  changed: number;
  unchanged: number;
  moved: number;
  missing: number;
  errors: Partial<Record<ErrorCode, number>>;
  decoded: number;
  seconds: number;
}

export interface Settings {
  reviewer: string | null;
  theme: 'light' | 'dark' | 'system';
}
