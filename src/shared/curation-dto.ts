// The data of the `curation` namespace: duplicates and leaks, likely label issues, the embeddings map,
// "more like this", image-quality flags and the review-budget assistant. Plain JSON, like dto.ts.
import type { Role } from './dto.js';

export interface CurationImageRef {
  imageId: number;
  path: string;
  class: string | null;
  role: Role;
}

export type DuplicateRelation = 'within-class' | 'conflicting-labels' | 'leak';

export interface DuplicateGroupDto {
  id: number;
  kind: 'exact' | 'near';
  similarity: number;
  /** Most serious first. */
  relations: DuplicateRelation[];
  keeper: number;
  keeperReason: string;
  images: (CurationImageRef & { width: number; height: number })[];
}

export interface DuplicateOptions {
  /** Compute again even when the current run has a stored result. */
  recompute?: boolean;
  minCosine?: number;
  maxHashDistance?: number;
}

export interface DuplicateReport {
  runId: number;
  groups: DuplicateGroupDto[];
  /** Images left out because their features or thumbnail are missing. */
  skipped: number;
}

export interface LabelIssueDto extends CurationImageRef {
  label: string;
  suggested: string;
  suggestedProb: number;
  score: number;
  isIssue: boolean;
}

export interface LabelIssueOptions {
  recompute?: boolean;
  limit?: number;
  /** Only confident learning's estimated label errors (default), or every labelled image ranked. */
  issuesOnly?: boolean;
  ranking?: 'self-confidence' | 'normalized-margin';
}

export interface LabelIssueReport {
  runId: number;
  estimatedErrors: number;
  issues: LabelIssueDto[];
}

export interface MapPointDto {
  imageId: number;
  x: number;
  y: number;
}

export interface MapOptions {
  method?: 'umap' | 'pca';
  recompute?: boolean;
}

/** One point of the map with what the map can be coloured by. */
export interface MapPointInfo extends MapPointDto {
  path: string;
  class: string | null;
  /** The run's default score (null: not scored). */
  score: number | null;
  /** Above the run's threshold for that score (null: not scored). */
  flagged: boolean | null;
  /** The image's standing decision, if any. */
  decision: 'keep' | 'reject' | 'relabel' | 'unsure' | null;
  /** Its image-quality flags as of the last quality computation (empty: none, or not computed yet). */
  quality: QualityFlag[];
}

export interface MapReport {
  runId: number;
  method: 'umap' | 'pca';
  scorer: string;
  points: MapPointInfo[];
}

/** A set of images for the review grid to show (ImageQuery.selection): ids, or a lasso on the stored map. */
export interface SelectionInput {
  imageIds?: number[];
  /** A polygon in the map's own coordinates (MapPointDto x, y) on the current run's map by `method`. */
  lasso?: { method: 'umap' | 'pca'; polygon: [number, number][] };
}

export interface SelectionDto {
  /** Put it in ImageQuery.selection; kept while the project stays open (the most recent few). */
  selectionId: number;
  /** Images in the selection. */
  count: number;
}

/** What "more like this" starts from: an image of the project, a file on disk, or an image's bytes (base64). */
export interface SimilarRef {
  imageId?: number;
  file?: string;
  /** A dropped file's bytes as base64 (the browser cannot give its path). */
  bytes?: string;
}

export interface SimilarHit extends CurationImageRef {
  similarity: number;
}

export const QUALITY_FLAGS = ['dark', 'bright', 'low-contrast', 'blurry', 'tiny', 'aspect', 'grey'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export interface QualityThresholdsDto {
  /** Mean luma below this is too dark. */
  darkBelow: number;
  /** Mean luma above this is too bright. */
  brightAbove: number;
  /** Luma standard deviation below this is low contrast. */
  contrastBelow: number;
  /** Laplacian variance below this is blurry (measured on the thumbnail). */
  blurBelow: number;
  /** Shorter side below this many pixels is tiny. */
  tinyBelow: number;
  /** Long side over short side above this is an extreme aspect ratio. */
  aspectAbove: number;
  /** Colourfulness below this counts as grey ... */
  greyBelow: number;
  /** ... and is flagged only when at least this share of the set is colour. */
  greyFlagWhenColourShare: number;
}

/** The thresholds a new project flags with (each one the user can change). */
export const DEFAULT_QUALITY_THRESHOLDS: Readonly<QualityThresholdsDto> = Object.freeze({
  darkBelow: 30,
  brightAbove: 225,
  contrastBelow: 12,
  blurBelow: 40,
  tinyBelow: 32,
  aspectAbove: 3,
  greyBelow: 3,
  greyFlagWhenColourShare: 0.5,
});

/** What the flags are computed from, stored once per image (a changed threshold re-flags without a decode). */
export interface QualityStats {
  /** Mean luma, 0-255. */
  brightness: number;
  /** Standard deviation of luma, 0-255. */
  contrast: number;
  /** Variance of the 4-neighbour Laplacian of luma (higher = sharper). */
  sharpness: number;
  /** Mean absolute difference between channels, 0-255 (0 = grey). */
  colourfulness: number;
  /** The original image's size (the pixels may be a thumbnail of it). */
  width: number;
  height: number;
}

export interface QualityImageDto extends CurationImageRef, QualityStats {
  flags: QualityFlag[];
}

export interface QualityReport {
  thresholds: QualityThresholdsDto;
  counts: Partial<Record<QualityFlag, number>>;
  images: QualityImageDto[];
}

/** What a review budget of N images finds and misses (src/engine/curation/review-budget.ts). */
export interface BudgetPlan {
  reviews: number;
  threshold: number;
  /** Unreviewed images at or above the threshold (more than `reviews` only when scores tie). */
  flagged: number;
  /** Expected OOD images among the flagged; null before any decision exists. */
  expectedOod: number | null;
  /** Unreviewed (or audited) images below the threshold. */
  belowThreshold: number;
  /** Audit decisions the estimate below rests on. */
  auditDecided: number;
  /** OOD prevalence below the threshold, [low, estimate, high]; null without audit decisions. */
  prevalence: [number, number, number] | null;
  /** OOD images estimated to remain below the threshold, [low, high]; null without audit decisions. */
  estimatedMissed: [number, number] | null;
  /** Share of all OOD images the threshold misses, [low, high] (found + expected + missed); null as above. */
  missRate: [number, number] | null;
  /** Expected OOD found after r reviews, from 0 to every unreviewed image. */
  curve: { reviews: number; expectedOod: number }[];
}

export interface BudgetReport extends BudgetPlan {
  runId: number;
  scorer: string;
  /** Audit images not decided yet. */
  auditPending: number;
}
