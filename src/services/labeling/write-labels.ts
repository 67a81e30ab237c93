// Labels written as one batch: the images are checked first (known, readable at the scan, still on disk), each
// label records what the run suggested when it was given, and nothing is written unless every image passes.
import { existsSync } from 'node:fs';
import { getImages, getRunImage, type Db } from '../../db/index.js';
import { writeLabelBatch, type LabelWrite } from '../../db/labels-repo.js';
import type { ImageRow } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { LabelMethod, LabelResult } from '../../shared/labeling-dto.js';
import { calibratedChoice } from '../../shared/labeling-calibration.js';
import type { RunLabeling } from './run-labeling.js';

export interface Suggested {
  class: string;
  confidence: number;
}

/** The image rows for `ids`, refusing unknown ids and images that cannot be read any more. */
export function labelTargets(db: Db, ids: readonly number[]): ImageRow[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new AppError('invalid-argument', 'no images to label');
  const rows = getImages(db, unique);
  if (rows.length !== unique.length) {
    const known = new Set(rows.map((r) => r.id));
    throw new AppError('not-found', `no image with id ${unique.find((id) => !known.has(id))}: nothing labelled`);
  }
  for (const r of rows) {
    if (r.status !== 'ok') throw new AppError('refused', `${r.path} is ${r.status} since the scan: nothing labelled`);
    if (!existsSync(r.path)) {
      throw new AppError('not-found', `${r.path} was deleted from disk since the scan: nothing labelled (rescan)`);
    }
  }
  return rows;
}

/** The run's calibrated suggestion for one image, or null (no run, or the run did not score it). */
export function suggestionOf(db: Db, labeling: RunLabeling | null, imageId: number): Suggested | null {
  if (!labeling) return null;
  const result = getRunImage(db, labeling.run.id, imageId);
  if (!result) return null;
  const choice = calibratedChoice(result.top, labeling.temperature, labeling.run.classes.length);
  return choice ? { class: choice.class, confidence: choice.confidence } : null;
}

export interface BatchRequest {
  rows: readonly ImageRow[];
  classOf: (row: ImageRow, suggested: Suggested | null) => string;
  method: LabelMethod;
  reviewer: string;
  note?: string | null;
  minConfidence?: number | null;
  created?: string[];
}

/** Writes the batch; the suggestion each label saw is looked up here so every path records it the same way. */
export function writeBatch(db: Db, labeling: RunLabeling | null, req: BatchRequest): LabelResult {
  const labels: LabelWrite[] = req.rows.map((row) => {
    const suggested = suggestionOf(db, labeling, row.id);
    return {
      imageId: row.id,
      class: req.classOf(row, suggested),
      suggested: suggested?.class ?? null,
      confidence: suggested?.confidence ?? null,
    };
  });
  const written = writeLabelBatch(db, {
    labels,
    method: req.method,
    reviewer: req.reviewer,
    runId: labeling?.run.id ?? null,
    minConfidence: req.minConfidence ?? null,
    note: req.note ?? null,
  });
  return { ...written, created: req.created ?? [] };
}
