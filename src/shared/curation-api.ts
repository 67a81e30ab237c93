// The `curation` namespace of the Api (src/shared/api.ts): curation beyond OOD, every result stored per run.
import type {
  BudgetReport,
  DuplicateOptions,
  DuplicateReport,
  LabelIssueOptions,
  LabelIssueReport,
  MapOptions,
  MapReport,
  QualityFlag,
  QualityReport,
  QualityThresholdsDto,
  SelectionDto,
  SelectionInput,
  SimilarHit,
  SimilarRef,
} from './curation-dto.js';
import type { ReviewEvent } from './dto.js';

export interface CurationService {
  /** Exact and near duplicate groups of the current run (computed on first call, then stored). */
  duplicates(options?: DuplicateOptions): Promise<DuplicateReport>;
  /** Keeps each group's suggested image and rejects the rest as duplicates (reason `duplicate`). */
  resolveDuplicates(groupIds: number[], reviewer?: string): Promise<ReviewEvent[]>;
  /** Labelled images most likely to carry a wrong label, most suspicious first. */
  labelIssues(options?: LabelIssueOptions): Promise<LabelIssueReport>;
  /** Relabels each image to its suggested class (reason `label-issue`). */
  acceptSuggestions(imageIds: number[], reviewer?: string): Promise<ReviewEvent[]>;
  /** The 2-D map of the current run's images. */
  map(options?: MapOptions): Promise<MapReport>;
  /** The images most like one of the project's images (by id), or a file or dropped bytes: found by content when
   * the project holds it, else its feature is extracted with the run's backbone (cached by content). */
  similar(ref: SimilarRef, limit?: number): Promise<SimilarHit[]>;
  /** Keeps a set of images (ids, or a lasso on the map) for ImageQuery.selection, so the grid pages through it
   * without sending the ids again. */
  select(input: SelectionInput): Promise<SelectionDto>;
  /** Image-quality flags (optionally only one kind). */
  quality(kind?: QualityFlag, limit?: number): Promise<QualityReport>;
  setQualityThresholds(patch: Partial<QualityThresholdsDto>): Promise<QualityThresholdsDto>;
  /** The threshold that spends `reviews` reviews best, with what it is expected to find and to miss. */
  budget(reviews: number): Promise<BudgetReport>;
  /** Draws an audit sample of unreviewed images below that threshold; returns their ids. */
  drawAudit(reviews: number, size: number): Promise<number[]>;
}
