// The data of the `labeling` namespace: giving unlabelled inbox images a class fast. Suggestions carry the current
// run's predicted class with a calibrated confidence ("0.95" = right about 95% of the time on held-out labelled
// images); every label is an audit event (a `relabel` review event with the suggestion it saw beside it), and a
// batch of labels (bulk accept, a selection, a cluster) undoes as one. Plain JSON, like dto.ts.
import type { ClassSource, ReviewEvent, Suggestion } from './dto.js';

export type { ClassSource, Suggestion } from './dto.js';
export { CLASS_SOURCES } from './dto.js';

/** A class needs at least this many images (folder + labels) before training uses it; until then its labels are
 * kept, shown and exported, but training leaves those images out. */
export const MIN_CLASS_EXAMPLES = 5;

/** Number keys 1–9 assign the n-th class of the legend. */
export const CLASS_KEY_COUNT = 9;

/** How a label was given, recorded with its audit event. */
export type LabelMethod = 'manual' | 'accept' | 'bulk' | 'cluster';
export const LABEL_METHODS: readonly LabelMethod[] = ['manual', 'accept', 'bulk', 'cluster'];

/** One entry of the class legend (number keys, class picker). */
export interface LabelClass {
  name: string;
  /** The number key (1–9) that assigns it, or null past the ninth class. */
  key: number | null;
  /** Images with this class: from folders + from labels + from relabels. */
  examples: number;
  bySource: Record<ClassSource, number>;
  /** Whether training uses it (examples ≥ minExamples). */
  trainable: boolean;
  /** Examples still needed before training uses it (0 when trainable). */
  needed: number;
  /** Whether the current run knows it (so it can be suggested). */
  inRun: boolean;
}

export interface ClassLegend {
  classes: LabelClass[];
  minExamples: number;
}

/** Orders of the unlabelled inbox. `informative`: what a label helps most first (low margin, uncertain OOD score,
 * diversity so one cluster does not fill the page); `confidence`: surest suggestion first; `uncertain`: lowest
 * confidence first; `path`. */
export type SuggestionOrder = 'informative' | 'confidence' | 'uncertain' | 'path';
export const SUGGESTION_ORDERS: readonly SuggestionOrder[] = ['informative', 'confidence', 'uncertain', 'path'];

export interface SuggestionQuery {
  order?: SuggestionOrder;
  /** Only suggestions of this class. */
  class?: string;
  minConfidence?: number;
  /** Include images flagged as OOD (default false: a stranger needs a reject, not a class). */
  includeFlagged?: boolean;
  /** Include inbox images that already have a class or a decision (default false). */
  includeLabelled?: boolean;
  offset?: number;
  limit?: number;
}

export interface SuggestionRow {
  imageId: number;
  path: string;
  relPath: string;
  sourceId: number;
  suggestion: Suggestion;
  /** Up to five classes, calibrated, best first. */
  top: { class: string; confidence: number }[];
  /** The run's default OOD scorer for this image. */
  ood: { scorer: string; score: number; calibrated: number | null; flagged: boolean | null };
  /** How much a label would help, in [0, 1] (the informative order's key before diversity). */
  informativeness: number;
  /** Position in the informative order (0 = first), null when the image came after the order was computed. */
  rank: number | null;
  /** The class it has (a label given already), or null. */
  class: string | null;
}

export interface SuggestionPage {
  runId: number;
  total: number;
  offset: number;
  rows: SuggestionRow[];
}

/** A label for one or more images (a selection, a cluster). Give either the class name or its number key. */
export interface LabelInput {
  imageIds: number[];
  class?: string;
  /** 1–9: the n-th class of the legend. */
  key?: number;
  /** Create the class when it does not exist yet (otherwise an unknown class is refused). */
  create?: boolean;
  method?: LabelMethod;
  note?: string;
  reviewer?: string;
}

/** Accept each image's own suggestion (the Enter key). */
export interface AcceptInput {
  imageIds: number[];
  note?: string;
  reviewer?: string;
}

/** "Accept every suggestion with confidence ≥ minConfidence that is not flagged as OOD". */
export interface BulkAcceptOptions {
  minConfidence: number;
  /** Only these images (a selection); default: every unlabelled inbox image. */
  imageIds?: number[];
  /** Only suggestions of these classes. */
  classes?: string[];
}

export interface BulkAcceptInput extends BulkAcceptOptions {
  note?: string;
  reviewer?: string;
}

export interface BulkPreview {
  runId: number;
  minConfidence: number;
  /** Images the accept would label. */
  count: number;
  perClass: { class: string; count: number; expectedWrong: number }[];
  /** Σ (1 − confidence) over the images: how many of the labels the calibration expects to be wrong. */
  expectedWrong: number;
  /** Unlabelled inbox images left out because they are flagged as OOD. */
  skippedFlagged: number;
  /** Unlabelled, not flagged, below the cut. */
  belowCut: number;
}

/** One label as the audit trail keeps it. */
export interface LabelRecord {
  eventId: number;
  imageId: number;
  class: string;
  method: LabelMethod;
  batchId: number;
  /** What the run suggested when the label was given (null: no run, or the image had no suggestion). */
  suggested: string | null;
  confidence: number | null;
  runId: number | null;
  reviewer: string;
  at: string;
}

export interface LabelResult {
  /** Undo the whole batch with `undoBatch(batchId)`. */
  batchId: number;
  events: ReviewEvent[];
  labels: LabelRecord[];
  /** Classes created by this call. */
  created: string[];
}

export interface LabelBatch {
  id: number;
  method: LabelMethod;
  reviewer: string;
  at: string;
  runId: number | null;
  count: number;
  /** The cut of a bulk accept, else null. */
  minConfidence: number | null;
  /** Labels of the batch still standing (0 once undone). */
  standing: number;
}

export interface UndoBatchResult {
  batchId: number;
  /** The undo events appended. */
  events: ReviewEvent[];
  /** Images of the batch whose label no longer stood (decided again since): left as they are. */
  skipped: number;
}

/** One bin of the reliability diagram: predicted confidence against observed accuracy. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

export type CalibrationMethod = 'temperature' | 'isotonic' | 'none';

/** A calibration as the engine fits it from a run's held-out rows (src/engine/labeling/calibration.ts). */
export interface CalibrationFit {
  method: CalibrationMethod;
  /** The fitted temperature (1 = unchanged); also set when isotonic was chosen (it is applied first). */
  temperature: number;
  /** Held-out labelled images (training images scored out of fold) the calibration was fitted and checked on. */
  heldOut: number;
  /** Accuracy of the top suggestion on them. */
  accuracy: number;
  /** Expected calibration error before and after (cross-validated on the held-out images). */
  eceRaw: number;
  ece: number;
  /** Reliability diagram, uncalibrated and calibrated (cross-validated). */
  binsRaw: ReliabilityBin[];
  bins: ReliabilityBin[];
  /** Held-out accuracy of the suggestions at or above each confidence cut. */
  cuts: { minConfidence: number; count: number; accuracy: number | null }[];
  /** Why the calibration is weak or absent, e.g. too few held-out images. */
  note: string | null;
}

/** The calibration of one run's suggestions. */
export interface CalibrationReport extends CalibrationFit {
  runId: number;
}

/** How the suggestions' accuracy moved as labels accumulated: each run's suggestions checked against the labels
 * people gave by hand after that run (accepted suggestions are not counted: they agree by construction). */
export interface AccuracyPoint {
  runId: number;
  startedAt: string;
  /** Labels (of inbox images) the run trained on. */
  labelsTrained: number;
  /** Hand-given labels checked against this run's suggestion. */
  checked: number;
  correct: number;
  accuracy: number | null;
  /** Mean calibrated confidence of those suggestions (compare with accuracy). */
  meanConfidence: number | null;
}

export interface AccuracyTrend {
  points: AccuracyPoint[];
}
