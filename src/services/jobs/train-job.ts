// Train: extract missing features, train SSOD heads with out-of-fold scoring, store the run and its scores.
// Review decisions feed the training set: rejected images become explicit OOD supervision, relabelled images
// train under their new class, kept images stay in-distribution.
import { join } from 'node:path';
import {
  createRun,
  currentRun,
  currentDecisions,
  failRun,
  finishRun,
  iterateImages,
  lastEventId,
  setCurrentRun,
  writeResults,
  type ImageBrief,
  type RunImageResult,
} from '../db/index.js';
import type { EngineClient } from '../engine/host/engine-client.js';
import type { BackboneRequest, ExtractResult, JobProgress, ShaScore, TrainRequest } from '../engine/host/protocol.js';
import { OOD_LABEL } from '../engine/types.js';
import type { RunSummary, TrainOptions } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { JobContext } from './job-runner.js';
import type { ProjectHandle } from './project-handle.js';
import { checkEndToEndAllowed, endToEndCurve, fineTuneBackbone } from './train-end-to-end.js';
import {
  decideWidening,
  retrainWidening,
  samplingOf,
  stillDegenerateWarning,
  widenSampling,
  type WidenedMetrics,
} from './widen-sampling.js';

export const DEFAULT_BACKBONE = 'mobilenet_v2';

export interface TrainingSet {
  classes: string[];
  train: { image: ImageBrief; label: number }[];
  inbox: ImageBrief[];
  decisions: number;
}

/** Who trains as what, from the scan and every standing decision. */
export function buildTrainingSet(project: ProjectHandle): TrainingSet {
  const decisions = currentDecisions(project.db);
  const train: { image: ImageBrief; className: string | null; ood: boolean }[] = [];
  const inbox: ImageBrief[] = [];
  for (const image of iterateImages(project.db, { status: 'ok' })) {
    if (!image.sha256) continue;
    const d = decisions.get(image.id);
    if (d?.action === 'reject') train.push({ image, className: null, ood: true });
    else if (d?.action === 'relabel' && d.newClass) train.push({ image, className: d.newClass, ood: false });
    else if (image.role === 'train' && image.class) train.push({ image, className: image.class, ood: false });
    else inbox.push(image);
  }
  const classes = [...new Set(train.filter((t) => !t.ood).map((t) => t.className!))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return {
    classes,
    train: train.map((t) => ({ image: t.image, label: t.ood ? OOD_LABEL : index.get(t.className!)! })),
    inbox,
    decisions: decisions.size,
  };
}

function uniqueBySha<T extends { sha256: string | null }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => i.sha256 !== null && !seen.has(i.sha256) && (seen.add(i.sha256), true));
}

export async function extractAll(
  project: ProjectHandle,
  engine: EngineClient,
  images: ImageBrief[],
  options: TrainOptions,
  ctx: JobContext,
): Promise<ExtractResult> {
  const items = uniqueBySha(images).map((i) => ({ sha256: i.sha256!, path: i.path }));
  return engine.extract(
    { items, cacheDir: project.featuresDir, backbone: backboneRequest(project, images, options) },
    (p) => ctx.progress({ phase: 'extract', done: p.done, total: p.total }),
    ctx.signal,
  );
}

/** The backbone as extraction runs it for these images (the input size follows their median side). */
export function backboneRequest(project: ProjectHandle, images: ImageBrief[], options: TrainOptions): BackboneRequest {
  const medianSide = median(images.map((i) => Math.min(i.width ?? 224, i.height ?? 224)));
  return {
    spec: options.backbone ?? DEFAULT_BACKBONE,
    inputSize: options.inputSize ?? chooseInputSize(medianSide),
    mapLayer: options.layer,
    modelCacheDir: join(project.cacheDir, 'models'),
  };
}

/** Small images are not upscaled to 224: the backbone runs at a size near the data's. */
export function chooseInputSize(medianSide: number): number {
  if (medianSide <= 64) return 96;
  if (medianSide <= 128) return 128;
  if (medianSide <= 176) return 160;
  return 224;
}

function median(values: number[]): number {
  if (!values.length) return 224;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function toRunResults(
  scores: ShaScore[],
  imagesBySha: Map<string, number[]>,
  classes: string[],
  defaultScorer: string,
  threshold: number | undefined,
  layout: { mapH: number; mapW: number },
): RunImageResult[] {
  const out: RunImageResult[] = [];
  for (const s of scores) {
    const flaggedScore = s.scores[defaultScorer];
    const flagged = threshold !== undefined && flaggedScore !== undefined ? flaggedScore > threshold : null;
    for (const imageId of imagesBySha.get(s.sha256) ?? []) {
      out.push({
        imageId,
        predicted: classes[s.predicted] ?? null,
        top: s.top.map(([c, p]) => ({ class: classes[c] ?? String(c), prob: p })),
        scores: s.scores,
        flagged,
        heatmap: s.heatmap.length ? { h: layout.mapH, w: layout.mapW, values: s.heatmap } : null,
      });
    }
  }
  return out;
}

export function groupBySha(images: ImageBrief[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const i of images) {
    if (!i.sha256) continue;
    const list = map.get(i.sha256);
    if (list) list.push(i.id);
    else map.set(i.sha256, [i.id]);
  }
  return map;
}

function addWarning(metrics: Record<string, unknown>, warning: string): void {
  metrics.warnings = [...(Array.isArray(metrics.warnings) ? (metrics.warnings as string[]) : []), warning];
}

export async function runTraining(
  project: ProjectHandle,
  engine: EngineClient,
  options: TrainOptions,
  ctx: JobContext,
): Promise<RunSummary> {
  const endToEnd = options.mode === 'end-to-end';
  if (endToEnd) await checkEndToEndAllowed(engine, options);
  const set = buildTrainingSet(project);
  if (set.classes.length < 2) {
    throw new AppError(
      'invalid-argument',
      `training needs at least 2 classes of train images; found ${set.classes.length}`,
    );
  }
  const all = [...set.train.map((t) => t.image), ...set.inbox];
  const seed = options.seed ?? 1;
  const base = options.backbone ?? DEFAULT_BACKBONE;
  // End-to-end: fine-tune first, then every image is extracted with the fine-tuned backbone.
  const fineTuned = endToEnd ? await fineTuneBackbone(project, engine, set, options, base, ctx) : undefined;
  const extractOptions: TrainOptions = fineTuned
    ? { ...options, backbone: fineTuned.record.spec, inputSize: fineTuned.record.inputSize, layer: undefined }
    : options;
  ctx.progress({ phase: 'extract', done: 0, total: all.length });
  const extract = await extractAll(project, engine, all, extractOptions, ctx);
  const failed = new Set(extract.failed.map((f) => f.sha256));
  const run = createRun(project.db, {
    backbone: base,
    backend: extract.backend.name,
    seed,
    config: {
      ...options,
      mode: options.mode ?? 'heads',
      seed,
      backboneKey: extract.backboneKey,
      identity: extract.identity,
      preprocess: extract.preprocess,
      layout: extract.layout,
      backendSkipped: extract.backend.skipped,
      workers: extract.workers,
      ...(fineTuned ? { fineTunedBackbone: fineTuned.record } : {}),
    },
  });
  try {
    const trainItems = uniqueBySha(set.train.map((t) => ({ sha256: t.image.sha256, label: t.label }))).filter(
      (t) => !failed.has(t.sha256!),
    );
    const trained = new Set(trainItems.map((t) => t.sha256));
    const scoreItems = uniqueBySha(set.inbox)
      .map((i) => i.sha256!)
      .filter((s) => !failed.has(s) && !trained.has(s));
    const modelOut = join(project.modelsDir, `run-${run.id}.json`);
    const started = performance.now();
    const request: Omit<TrainRequest, 'kind'> = {
      cacheDir: project.featuresDir,
      backboneKey: extract.backboneKey,
      classes: set.classes,
      train: trainItems.map((t) => ({ sha256: t.sha256!, label: t.label })),
      score: scoreItems,
      config: {
        seed,
        ...(options.folds !== undefined ? { folds: options.folds } : {}),
        ...(options.gamma !== undefined ? { gamma: options.gamma } : {}),
        ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
        ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      },
      modelOut,
    };
    // A degenerate background (or an explicit --crops) trains with random crops; that result is the run. A retrain
    // follows what the previous run found (retrainWidening).
    const previous = currentRun(project.db);
    const carried = retrainWidening(options.crops, previous && { id: previous.id, metrics: previous.metrics });
    const progress = (p: JobProgress): void =>
      ctx.progress({ phase: p.phase, done: p.done, total: p.total, loss: p.loss, message: p.message });
    let result = carried.kind === 'upfront' ? undefined : await engine.train(request, progress, ctx.signal);
    let widened: WidenedMetrics | undefined;
    let widenExtractSeconds: number | undefined;
    const decision =
      carried.kind === 'upfront'
        ? carried.decision
        : carried.kind === 'skip'
          ? null
          : decideWidening(options.crops, result!.metrics);
    if (decision) {
      const paths = new Map(set.train.map((t) => [t.image.sha256, t.image.path]));
      const out = await widenSampling(
        engine,
        {
          decision,
          request,
          backbone: backboneRequest(project, all, extractOptions),
          pathOf: (sha) => paths.get(sha),
          seed,
        },
        ctx,
      );
      ({ result, widened } = out);
      widenExtractSeconds = out.extractSeconds;
      if (!(widened.oodShareAfter >= widened.minOodShare)) {
        addWarning(result.metrics, stillDegenerateWarning(widened));
      }
    }
    if (!result) throw new Error('training produced no result');
    if (carried.kind === 'skip') {
      result.metrics.wideningNotRetried = carried.record;
      if (samplingOf(result.metrics).oodShare < samplingOf(result.metrics).minOodShare) {
        addWarning(result.metrics, carried.warning);
      }
    }
    const bySha = groupBySha(all);
    const rows = toRunResults(
      result.scores,
      bySha,
      set.classes,
      result.defaultScorer,
      result.thresholds[result.defaultScorer],
      extract.layout,
    );
    ctx.progress({ phase: 'saving', done: 0, total: rows.length });
    writeResults(project.db, run.id, rows);
    const finished = finishRun(project.db, run.id, {
      metrics: {
        ...result.metrics,
        ...(widened ? { widened } : {}),
        timings: {
          ...(result.metrics.timings as Record<string, number> | undefined),
          extractSeconds: extract.seconds,
          ...(widenExtractSeconds !== undefined ? { widenExtractSeconds } : {}),
          trainSeconds: (performance.now() - started) / 1000,
          extractImagesPerSecond: extract.imagesPerSecond,
          ...(fineTuned ? { endToEndSeconds: fineTuned.record.seconds } : {}),
        },
        extractFailures: extract.failed.length,
      },
      thresholds: result.thresholds,
      defaultScorer: result.defaultScorer,
      scorers: result.scorers,
      classes: set.classes,
      lossCurve: fineTuned ? [...endToEndCurve(fineTuned.result.losses), ...result.lossCurve] : result.lossCurve,
      snapshot: {
        images: trainItems.length + scoreItems.length,
        decisions: set.decisions,
        lastEventId: lastEventId(project.db),
        // Which images trained as what: image id → class index, or -1 for explicit OOD.
        labels: Object.fromEntries(set.train.map((t) => [t.image.id, t.label])),
      },
      modelPath: result.modelPath,
    });
    setCurrentRun(project.db, run.id);
    return { ...finished, isCurrent: true };
  } catch (error) {
    const cancelled = ctx.signal.aborted;
    failRun(project.db, run.id, (error as Error).message, cancelled ? 'cancelled' : 'failed');
    throw error;
  }
}
