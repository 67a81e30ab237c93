// Widening SSOD's sampling with random crops (docs/ssod.md, "Widening sampling with crops"). When the training
// images leave almost no map position below 1 - gamma (the object fills the frame, or the background is uniform),
// the OOD head has nothing to learn from. Crops cut from training images and rescaled to the backbone's input make
// positions see partial objects and real background; they train as augmented views of their source image
// (TrainItem.source), in its fold, and are never scored.
import { createHash } from 'node:crypto';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { BackboneRequest, CropBox, ImageItem, TrainRequest, TrainResult } from '../../engine/host/protocol.js';
import { createRng } from '../../shared/random.js';
import { OOD_LABEL } from '../../engine/types.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';

/** Crops per image when widening is automatic. */
export const DEFAULT_CROPS = 2;
/** At most this many source images (random, seeded): enough views without doubling a large project's work. */
export const MAX_CROP_IMAGES = 2000;
/** A crop's side, as a share of the image's width and height. */
export const CROP_SIDE = { min: 0.35, max: 0.7 } as const;
/** Used when the trainer does not report its own threshold (it always should: variant.minOodShare). */
const FALLBACK_MIN_OOD_SHARE = 0.02;

export type WidenReason = 'degenerate-background' | 'requested' | 'previous-run';

export interface WidenDecision {
  reason: WidenReason;
  /** Crops per image. */
  perImage: number;
  oodShareBefore: number;
  minOodShare: number;
}

/** What a run records in `metrics.widened`. */
export interface WidenedMetrics {
  reason: WidenReason;
  views: number;
  images: number;
  perImage: number;
  oodShareBefore: number;
  oodShareAfter: number;
  minOodShare: number;
}

/** One image of a train request. */
export type TrainEntry = TrainRequest['train'][number];

/** A crop to extract and train as a view of `train[source]`. */
export interface CropView extends ImageItem {
  crop: CropBox;
  source: number;
  label: number;
}

/** The all-data model's background share and the trainer's own threshold, from a train result's metrics. */
export function samplingOf(metrics: Record<string, unknown>): { oodShare: number; minOodShare: number } {
  const share = metrics.samplingShare as { ood?: unknown } | undefined;
  const variant = metrics.ssodVariant as { minOodShare?: unknown } | undefined;
  const ood = typeof share?.ood === 'number' ? share.ood : Number.NaN;
  const min = typeof variant?.minOodShare === 'number' ? variant.minOodShare : FALLBACK_MIN_OOD_SHARE;
  return { oodShare: ood, minOodShare: min };
}

/** What the previous run learnt about widening decides a retrain's first step (absent `crops` only): crops that
 * raised the background share are taken again from the start, so the retrain trains once instead of twice (the views' features are
 * cached); crops that did not help are not retried, so a project whose images have no background at all does not
 * pay for a second training on every retrain. */
export type RetrainWidening =
  | { kind: 'upfront'; decision: WidenDecision; previousRun: number }
  | { kind: 'skip'; warning: string; record: Partial<WidenedMetrics> & { run: number } }
  | { kind: 'decide-after' };

export function retrainWidening(
  crops: number | undefined,
  previous: { id: number; metrics: Record<string, unknown> } | null,
): RetrainWidening {
  // A run that skipped crops carries the record it skipped on, so every later retrain keeps skipping.
  const w = (previous?.metrics.widened ?? previous?.metrics.wideningNotRetried) as Partial<WidenedMetrics> | undefined;
  if (crops !== undefined || !previous || !w || typeof w.perImage !== 'number') return { kind: 'decide-after' };
  // Helped = reached the threshold, or raised the share by at least half a percentage point (then the OOD head
  // has background to learn from even if still little).
  const after = typeof w.oodShareAfter === 'number' ? w.oodShareAfter : Number.NaN;
  const before = typeof w.oodShareBefore === 'number' ? w.oodShareBefore : 0;
  const helped = after >= (w.minOodShare ?? FALLBACK_MIN_OOD_SHARE) || after >= before + 0.005;
  if (helped)
    return {
      kind: 'upfront',
      previousRun: previous.id,
      decision: {
        reason: 'previous-run',
        perImage: w.perImage,
        oodShareBefore: w.oodShareBefore ?? Number.NaN,
        minOodShare: w.minOodShare ?? FALLBACK_MIN_OOD_SHARE,
      },
    };
  const triedIn = (w as { run?: number }).run ?? previous.id;
  return {
    kind: 'skip',
    record: { ...w, run: triedIn },
    warning:
      `background positions stay scarce: random crops did not raise them in run ${triedIn}, so this run did ` +
      `not retry them (pass --crops N to force)`,
  };
}

/** Whether to widen after the first training: `crops` 0 never, N > 0 always, absent only when degenerate. */
export function decideWidening(crops: number | undefined, metrics: Record<string, unknown>): WidenDecision | null {
  if (crops === 0) return null;
  const { oodShare, minOodShare } = samplingOf(metrics);
  if (crops !== undefined) return { reason: 'requested', perImage: crops, oodShareBefore: oodShare, minOodShare };
  // NaN (no share reported) is not evidence of a degenerate background.
  if (!(oodShare < minOodShare)) return null;
  return { reason: 'degenerate-background', perImage: DEFAULT_CROPS, oodShareBefore: oodShare, minOodShare };
}

/** Rounded so the key (and the cache entry) of a view is stable across runs with the same seed. */
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/** The cache key of a view: a sha256 over the source image's sha256 and the crop box. */
export function cropKey(sha256: string, crop: CropBox): string {
  return createHash('sha256').update(`${sha256}:crop:${crop.x},${crop.y},${crop.w},${crop.h}`).digest('hex');
}

/** Up to `maxImages` ID training images (seeded choice), `perImage` random crops each. Explicit OOD images are
 * not cropped: every position of theirs is already a background target. */
export function planCrops(
  train: readonly TrainEntry[],
  pathOf: (sha256: string) => string | undefined,
  options: { perImage: number; seed: number; maxImages?: number },
): CropView[] {
  const random = createRng(options.seed ^ 0x5eed_c20f);
  const candidates = train.map((_, i) => i).filter((i) => train[i]!.label !== OOD_LABEL && pathOf(train[i]!.sha256));
  // Partial Fisher-Yates: a seeded choice of sources, kept in training order for readable runs.
  const max = Math.min(candidates.length, options.maxImages ?? MAX_CROP_IMAGES);
  for (let k = 0; k < max; k++) {
    const j = k + Math.floor(random() * (candidates.length - k));
    [candidates[k], candidates[j]] = [candidates[j]!, candidates[k]!];
  }
  const chosen = candidates.slice(0, max).sort((a, b) => a - b);
  const views: CropView[] = [];
  for (const source of chosen) {
    const { sha256, label } = train[source]!;
    for (let c = 0; c < options.perImage; c++) {
      // The same share of width and height keeps the aspect ratio; the backbone's resize makes it a zoom.
      const side = round4(CROP_SIDE.min + random() * (CROP_SIDE.max - CROP_SIDE.min));
      const crop = { x: round4(random() * (1 - side)), y: round4(random() * (1 - side)), w: side, h: side };
      views.push({ sha256: cropKey(sha256, crop), path: pathOf(sha256)!, crop, source, label });
    }
  }
  return views;
}

/** The warning a run carries when crops did not lift the background share above the trainer's threshold. */
export function stillDegenerateWarning(w: WidenedMetrics): string {
  return (
    `background still degenerate after widening sampling: ${(w.oodShareAfter * 100).toFixed(1)}% of positions ` +
    `sampled as background with ${w.views} crops of ${w.images} images (below ${(w.minOodShare * 100).toFixed(1)}%); ` +
    'the OOD head learnt little, prefer the density and distance scores, or a backbone layer with a finer map'
  );
}

export interface WidenArgs {
  decision: WidenDecision;
  /** The first training's request (its train list is the real images, in the order views refer to). */
  request: Omit<TrainRequest, 'kind'>;
  backbone: BackboneRequest;
  pathOf: (sha256: string) => string | undefined;
  seed: number;
}

/** Extracts the crops (cached by their keys, so a rerun with the same seed reuses them) and retrains with the
 * views. Returns the new result and what to record; the caller stores that result as the run. */
export async function widenSampling(
  engine: EngineClient,
  args: WidenArgs,
  ctx: JobContext,
): Promise<{ result: TrainResult; widened: WidenedMetrics; extractSeconds: number }> {
  const { decision, request } = args;
  const planned = planCrops(request.train, args.pathOf, { perImage: decision.perImage, seed: args.seed });
  const phase = 'widen: extract crops';
  ctx.progress({ phase, done: 0, total: planned.length });
  const extract = await engine.extract(
    {
      items: planned.map(({ sha256, path, crop }) => ({ sha256, path, crop })),
      cacheDir: request.cacheDir,
      backbone: args.backbone,
    },
    (p) => ctx.progress({ phase, done: p.done, total: p.total }),
    ctx.signal,
  );
  if (extract.backboneKey !== request.backboneKey) {
    throw new Error(`crops extracted with ${extract.backboneKey}, the run trained on ${request.backboneKey}`);
  }
  const failed = new Set(extract.failed.map((f) => f.sha256));
  const views = planned.filter((v) => !failed.has(v.sha256));
  if (views.length === 0) throw new AppError('io-error', 'widening sampling: no crop could be extracted');
  const result = await engine.train(
    {
      ...request,
      train: [
        ...request.train.map(({ sha256, label }) => ({ sha256, label })),
        ...views.map(({ sha256, label, source }) => ({ sha256, label, source })),
      ],
    },
    (p) => ctx.progress({ phase: `widen: ${p.phase}`, done: p.done, total: p.total, loss: p.loss, message: p.message }),
    ctx.signal,
  );
  const after = samplingOf(result.metrics);
  const widened: WidenedMetrics = {
    reason: decision.reason,
    views: views.length,
    images: new Set(views.map((v) => v.source)).size,
    perImage: decision.perImage,
    oodShareBefore: decision.oodShareBefore,
    oodShareAfter: after.oodShare,
    minOodShare: after.minOodShare,
  };
  return { result, widened, extractSeconds: extract.seconds };
}
