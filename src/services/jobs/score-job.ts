// Scoring with the current run: new images added after training (`ssod score`), and labelled folders for
// evaluation (`ssod eval --ood`). Train images keep their out-of-fold scores: rescoring them with a model that
// saw them would make them look better than they are.
import { readdir } from 'node:fs/promises';

import {
  currentDecisions,
  currentRun,
  iterateImages,
  scoresByImage,
  writeResults,
  type ImageBrief,
  type RunRecord,
} from '../db/index.js';
import type { EngineClient } from '../engine/host/engine-client.js';
import type { ShaScore } from '../engine/host/protocol.js';
import { idAccuracy, oodReport, rocCurve, thresholdAtPassRate } from '../engine/metrics/index.js';
import type { FeatureLayout } from '../engine/types.js';
import { scanFolder } from '../scan/index.js';
import type { EvalReport, RocCurve, TrainOptions } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { JobContext } from './job-runner.js';
import type { ProjectHandle } from './project-handle.js';
import { extractAll, groupBySha, toRunResults } from './train-job.js';

function requireRun(project: ProjectHandle): RunRecord & { modelPath: string } {
  const run = currentRun(project.db);
  if (!run || !run.modelPath) throw new AppError('no-run', 'no trained run yet: run `ssod train` first');
  return run as RunRecord & { modelPath: string };
}

/** The options the run extracted with, so new images get the same features: after an end-to-end run that is
 * the fine-tuned backbone the run saved, not the base it started from. */
function runTrainOptions(run: RunRecord): TrainOptions {
  const c = run.config as {
    backbone?: string;
    inputSize?: number;
    layer?: string;
    preprocess?: { size?: number };
    fineTunedBackbone?: { spec?: string; inputSize?: number };
  };
  const fineTuned = c.fineTunedBackbone?.spec;
  if (fineTuned) return { backbone: fineTuned, inputSize: c.fineTunedBackbone?.inputSize ?? c.preprocess?.size };
  return { backbone: c.backbone ?? run.backbone, inputSize: c.preprocess?.size ?? c.inputSize, layer: c.layer };
}

async function scoreImages(
  project: ProjectHandle,
  engine: EngineClient,
  run: RunRecord & { modelPath: string },
  images: ImageBrief[],
  ctx: JobContext,
): Promise<{ scores: ShaScore[]; layout: FeatureLayout }> {
  const extract = await extractAll(project, engine, images, runTrainOptions(run), ctx);
  const failed = new Set(extract.failed.map((f) => f.sha256));
  const items = [...new Set(images.map((i) => i.sha256!).filter((s) => !failed.has(s)))];
  const scores = await engine.score(
    { modelPath: run.modelPath, cacheDir: project.featuresDir, backboneKey: extract.backboneKey, items },
    (p) => ctx.progress({ phase: 'score', done: p.done, total: p.total }),
    ctx.signal,
  );
  return { scores, layout: extract.layout };
}

export async function runScore(
  project: ProjectHandle,
  engine: EngineClient,
  ctx: JobContext,
): Promise<{ scored: number; runId: number }> {
  const run = requireRun(project);
  const scored = scoresByImage(project.db, run.id, run.defaultScorer);
  const pending = [...iterateImages(project.db, { status: 'ok' })].filter((i) => i.sha256 && !scored.has(i.id));
  if (!pending.length) return { scored: 0, runId: run.id };
  const { scores, layout } = await scoreImages(project, engine, run, pending, ctx);
  const rows = toRunResults(
    scores,
    groupBySha(pending),
    run.classes,
    run.defaultScorer,
    run.thresholds[run.defaultScorer],
    layout,
  );
  writeResults(project.db, run.id, rows);
  return { scored: rows.length, runId: run.id };
}

async function folderImages(
  folder: string,
  project: ProjectHandle,
  ctx: JobContext,
): Promise<(ImageBrief & { folderClass: string | null })[]> {
  const out: (ImageBrief & { folderClass: string | null })[] = [];
  try {
    await readdir(folder);
  } catch {
    throw new AppError('not-found', `cannot read folder ${folder}`);
  }
  for await (const r of scanFolder(folder, {
    role: 'train',
    known: () => undefined,
    thumbDir: project.thumbDir,
    signal: ctx.signal,
  })) {
    if (r.kind !== 'ok' || !r.sha256) continue;
    out.push({
      id: -1,
      sourceId: -1,
      role: 'inbox',
      relPath: r.relPath,
      path: r.absPath,
      class: r.className,
      sha256: r.sha256,
      width: r.width ?? null,
      height: r.height ?? null,
      folderClass: r.className,
    });
  }
  return out;
}

export async function runEvalFolders(
  project: ProjectHandle,
  engine: EngineClient,
  oodFolder: string,
  idFolder: string | undefined,
  ctx: JobContext,
): Promise<EvalReport> {
  const run = requireRun(project);
  const oodImages = await folderImages(oodFolder, project, ctx);
  if (!oodImages.length) throw new AppError('invalid-argument', `no readable images in ${oodFolder}`);
  const idImages = idFolder ? await folderImages(idFolder, project, ctx) : [];
  const { scores } = await scoreImages(project, engine, run, [...oodImages, ...idImages], ctx);
  const bySha = new Map(scores.map((s) => [s.sha256, s]));
  const scorers = run.scorers;
  let idScores: Record<string, number>[] = [];
  let predicted: number[] = [];
  let labels: number[] = [];
  const classIndex = new Map(run.classes.map((c, i) => [c, i]));
  if (idFolder) {
    for (const img of idImages) {
      const s = bySha.get(img.sha256!);
      if (!s) continue;
      idScores.push(s.scores);
      const label = img.folderClass === null ? undefined : classIndex.get(img.folderClass);
      if (label !== undefined) {
        predicted.push(s.predicted);
        labels.push(label);
      }
    }
  } else {
    // Without an ID folder, the project's own train images stand in, scored out of fold.
    const decisions = currentDecisions(project.db);
    const perScorer = new Map(scorers.map((sc) => [sc, scoresByImage(project.db, run.id, sc)]));
    idScores = [];
    for (const img of iterateImages(project.db, { status: 'ok', role: 'train' })) {
      if (decisions.get(img.id)?.action === 'reject') continue;
      const row: Record<string, number> = {};
      for (const sc of scorers) {
        const v = perScorer.get(sc)!.get(img.id);
        if (v !== undefined) row[sc] = v;
      }
      if (Object.keys(row).length) idScores.push(row);
    }
    predicted = [];
    labels = [];
  }
  const oodScores = oodImages.map((i) => bySha.get(i.sha256!)?.scores).filter((s): s is Record<string, number> => !!s);
  const perScorer: EvalReport['perScorer'] = {};
  const roc: RocCurve[] = [];
  for (const sc of scorers) {
    const id = idScores.map((s) => s[sc]).filter((v): v is number => v !== undefined);
    const ood = oodScores.map((s) => s[sc]).filter((v): v is number => v !== undefined);
    if (!id.length || !ood.length) continue;
    perScorer[sc] = oodReport(id, ood);
    const pts = rocCurve(id, ood);
    roc.push({ scorer: sc, fpr: pts.map((p) => p.fpr), tpr: pts.map((p) => p.tpr) });
  }
  const defaultId = idScores.map((s) => s[run.defaultScorer]).filter((v): v is number => v !== undefined);
  return {
    idCount: idScores.length,
    oodCount: oodScores.length,
    perScorer,
    idAccuracy: labels.length
      ? idAccuracy(predicted, labels)
      : ((run.metrics as { idAccuracy?: number }).idAccuracy ?? null),
    suggestedThreshold: defaultId.length
      ? { scorer: run.defaultScorer, idPassRate: 0.95, value: thresholdAtPassRate(defaultId, 0.95) }
      : null,
    roc,
  };
}
