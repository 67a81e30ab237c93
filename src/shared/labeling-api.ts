// The `labeling` namespace of the Api (src/shared/api.ts): suggestions for unlabelled inbox images, labels by key,
// selection or cluster, bulk accept with a preview and one undo, new classes, the calibration behind the
// confidences and how the suggestions' accuracy moves as labels accumulate.
import type {
  AcceptInput,
  AccuracyTrend,
  BulkAcceptInput,
  BulkAcceptOptions,
  BulkPreview,
  CalibrationReport,
  ClassLegend,
  LabelBatch,
  LabelClass,
  LabelInput,
  LabelResult,
  SuggestionPage,
  SuggestionQuery,
  UndoBatchResult,
} from './labeling-dto.js';

export interface LabelingService {
  /** The class legend: every class in key order (folder classes, then created ones), with counts and whether
   * training uses it yet. */
  classes(): Promise<ClassLegend>;
  /** Creates a class (no images yet). Refuses a name that differs from an existing class only in case, and
   * names a folder cannot hold. */
  createClass(name: string): Promise<LabelClass>;
  /** Unlabelled inbox images with the current run's calibrated suggestion, in the order asked. */
  suggestions(query?: SuggestionQuery): Promise<SuggestionPage>;
  /** One class for every image given (number key, typed name, selection, cluster): one batch, one transaction. */
  label(input: LabelInput): Promise<LabelResult>;
  /** Each image gets its own suggestion (the Enter key): one batch. */
  accept(input: AcceptInput): Promise<LabelResult>;
  /** What bulk accept would do, without writing anything. */
  previewBulk(options: BulkAcceptOptions): Promise<BulkPreview>;
  /** Accepts every unlabelled suggestion at or above the cut that is not flagged as OOD: one batch. */
  bulkAccept(input: BulkAcceptInput): Promise<LabelResult & { preview: BulkPreview }>;
  /** Undoes every label of a batch that still stands (appends undo events). */
  undoBatch(batchId: number, reviewer?: string): Promise<UndoBatchResult>;
  /** Recent batches, newest first. */
  batches(limit?: number): Promise<LabelBatch[]>;
  /** The calibration of a run's suggestions (default: the current run), with its reliability diagram. */
  calibration(runId?: number): Promise<CalibrationReport>;
  /** Each run's suggestions checked against the labels given by hand after it. */
  accuracy(): Promise<AccuracyTrend>;
}
