// Evaluation on labelled folders (`ssod eval --ood FOLDER [--id FOLDER]`): the current run scores the folders'
// images (read in place, never written), and AUROC / FPR95 / AUPR per scorer compare them with in-distribution
// scores: the --id folder's, or else the project's own train images scored out of fold.
import { readdir } from 'node:fs/promises';
import { currentDecisions, iterateImages, scoresByImage, type ImageBrief } from '../../db/index.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { ShaScore } from '../../engine/host/protocol.js';
import { idAccuracy, oodReport, rocCurve, thresholdAtPassRate } from '../../engine/metrics/index.js';
import { scanFolder } from '../../scan/index.js';
import type { EvalReport, RocCurve } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { requireRun, type ScoringRun } from '../pipeline/current-run.js';
import { scoreImages } from '../pipeline/score-images.js';

type FolderImage = ImageBrief & { folderClass: string | null };
type ScoreRow = Record<string, number>;

/** In-distribution scores, and for class accuracy the predicted and true class of each labelled image. */
interface IdSide {
  scores: ScoreRow[];
  predicted: number[];
  labels: number[];
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
  const id = idFolder ? idSideFromFolder(run, idImages, bySha) : idSideFromProject(project, run);
  const ood = oodImages.map((i) => bySha.get(i.sha256!)?.scores).filter((s): s is ScoreRow => !!s);
  return evalReport(run, id, ood);
}

async function folderImages(folder: string, project: ProjectHandle, ctx: JobContext): Promise<FolderImage[]> {
  const out: FolderImage[] = [];
  try {
    await readdir(folder);
  } catch {
    throw new AppError('not-found', `cannot read folder ${folder}`);
  }
  const records = scanFolder(folder, {
    role: 'train',
    known: () => undefined,
    thumbDir: project.thumbDir,
    signal: ctx.signal,
  });
  for await (const r of records) {
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

function idSideFromFolder(run: ScoringRun, images: FolderImage[], bySha: Map<string, ShaScore>): IdSide {
  const side: IdSide = { scores: [], predicted: [], labels: [] };
  const classIndex = new Map(run.classes.map((c, i) => [c, i]));
  for (const img of images) {
    const s = bySha.get(img.sha256!);
    if (!s) continue;
    side.scores.push(s.scores);
    const label = img.folderClass === null ? undefined : classIndex.get(img.folderClass);
    if (label !== undefined) {
      side.predicted.push(s.predicted);
      side.labels.push(label);
    }
  }
  return side;
}

/** Without an ID folder, the project's own train images stand in, scored out of fold (rejected ones left out). */
function idSideFromProject(project: ProjectHandle, run: ScoringRun): IdSide {
  const decisions = currentDecisions(project.db);
  const perScorer = new Map(run.scorers.map((sc) => [sc, scoresByImage(project.db, run.id, sc)]));
  const scores: ScoreRow[] = [];
  for (const img of iterateImages(project.db, { status: 'ok', role: 'train' })) {
    if (decisions.get(img.id)?.action === 'reject') continue;
    const row: ScoreRow = {};
    for (const sc of run.scorers) {
      const v = perScorer.get(sc)!.get(img.id);
      if (v !== undefined) row[sc] = v;
    }
    if (Object.keys(row).length) scores.push(row);
  }
  return { scores, predicted: [], labels: [] };
}

function evalReport(run: ScoringRun, id: IdSide, oodScores: ScoreRow[]): EvalReport {
  const perScorer: EvalReport['perScorer'] = {};
  const roc: RocCurve[] = [];
  for (const sc of run.scorers) {
    const idValues = id.scores.map((s) => s[sc]).filter((v): v is number => v !== undefined);
    const oodValues = oodScores.map((s) => s[sc]).filter((v): v is number => v !== undefined);
    if (!idValues.length || !oodValues.length) continue;
    perScorer[sc] = oodReport(idValues, oodValues);
    const pts = rocCurve(idValues, oodValues);
    roc.push({ scorer: sc, fpr: pts.map((p) => p.fpr), tpr: pts.map((p) => p.tpr) });
  }
  const defaultId = id.scores.map((s) => s[run.defaultScorer]).filter((v): v is number => v !== undefined);
  return {
    idCount: id.scores.length,
    oodCount: oodScores.length,
    perScorer,
    idAccuracy: id.labels.length
      ? idAccuracy(id.predicted, id.labels)
      : ((run.metrics as { idAccuracy?: number }).idAccuracy ?? null),
    suggestedThreshold: defaultId.length
      ? { scorer: run.defaultScorer, idPassRate: 0.95, value: thresholdAtPassRate(defaultId, 0.95) }
      : null,
    roc,
  };
}
