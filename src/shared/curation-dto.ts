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

export interface MapReport {
  runId: number;
  method: 'umap' | 'pca';
  points: (MapPointDto & { path: string; class: string | null })[];
}

export interface SimilarHit extends CurationImageRef {
  similarity: number;
}

export const QUALITY_FLAGS = ['dark', 'bright', 'low-contrast', 'blurry', 'tiny', 'aspect', 'grey'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export interface QualityThresholdsDto {
  darkBelow: number;
  brightAbove: number;
  contrastBelow: number;
  blurBelow: number;
  tinyBelow: number;
  aspectAbove: number;
  greyBelow: number;
  greyFlagWhenColourShare: number;
}

export interface QualityImageDto extends CurationImageRef {
  flags: QualityFlag[];
  brightness: number;
  contrast: number;
  sharpness: number;
  colourfulness: number;
  width: number;
  height: number;
}

export interface QualityReport {
  thresholds: QualityThresholdsDto;
  counts: Partial<Record<QualityFlag, number>>;
  images: QualityImageDto[];
}

export interface BudgetReport {
  runId: number;
  scorer: string;
  reviews: number;
  threshold: number;
  flagged: number;
  expectedOod: number | null;
  belowThreshold: number;
  auditDecided: number;
  /** Audit images not decided yet. */
  auditPending: number;
  prevalence: [number, number, number] | null;
  estimatedMissed: [number, number] | null;
  missRate: [number, number] | null;
  curve: { reviews: number; expectedOod: number }[];
}
