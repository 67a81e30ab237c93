// Choosing between heads mode and adapt mode by validation: both are trained, and the one whose `ssod` score
// separates the project's reviewed OOD images from held-out ID images better becomes the run. The ID side is the
// adapt run's own hold-out (images its top never trained on) and the OOD side the reviewer-rejected images, which
// the top is not shown in this comparison; both sides are scored out of fold by each mode's heads, so neither mode
// is judged on images it fitted.
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { ExtractResult, ShaScore, TrainRequest } from '../../engine/host/protocol.js';
import { auroc } from '../../engine/metrics/index.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { trainAdapted, type AdaptOutcome, type ModeDecision } from './adapt-step.js';

/** Adapt mode replaces heads mode only when ahead by more than this (AUROC, 0-1), as for the default scorer. */
export const MODE_SWITCH_MARGIN = 0.01;
/** SSOD scores compared (each mode's default first). */
const COMPARED = ['ssod', 'ssod-head', 'ssod-density', 'ssod-fused'] as const;

export interface ModeComparison {
  winner: 'heads' | 'adapt';
  /** AUROC of each mode's `ssod` score, held-out ID against reviewed OOD. */
  heads: number;
  adapt: number;
  /** Adapt's lead (negative = heads ahead). */
  margin: number;
  /** Every compared SSOD score, per mode. */
  byScorer: { heads: Record<string, number>; adapt: Record<string, number> };
  heldOutId: number;
  reviewedOod: number;
  message: string;
}

function scoresOf(results: readonly ShaScore[], shas: ReadonlySet<string>, scorer: string): number[] {
  const out: number[] = [];
  for (const r of results) {
    const v = r.scores[scorer];
    if (shas.has(r.sha256) && v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function aurocs(
  results: readonly ShaScore[],
  id: ReadonlySet<string>,
  ood: ReadonlySet<string>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of COMPARED) {
    const a = scoresOf(results, id, s);
    const b = scoresOf(results, ood, s);
    if (a.length > 0 && b.length > 0) out[s] = auroc(a, b);
  }
  return out;
}

/** Compares the two modes' out-of-fold scores; heads mode stays unless adapt is ahead by MODE_SWITCH_MARGIN. */
export function compareModes(
  heads: readonly ShaScore[],
  adapt: readonly ShaScore[],
  heldOutId: ReadonlySet<string>,
  reviewedOod: ReadonlySet<string>,
): ModeComparison {
  const byScorer = { heads: aurocs(heads, heldOutId, reviewedOod), adapt: aurocs(adapt, heldOutId, reviewedOod) };
  const h = byScorer.heads.ssod ?? Number.NaN;
  const a = byScorer.adapt.ssod ?? Number.NaN;
  const margin = a - h;
  const winner = Number.isFinite(margin) && margin > MODE_SWITCH_MARGIN ? 'adapt' : 'heads';
  const figures = `ssod AUROC ${a.toFixed(3)} adapted vs ${h.toFixed(3)} pretrained, ${heldOutId.size} held-out ID vs ${reviewedOod.size} reviewed OOD`;
  const message =
    winner === 'adapt'
      ? `adapt mode won on validation (${figures})`
      : Number.isFinite(margin)
        ? `heads mode kept: adapting did not validate better by more than ${MODE_SWITCH_MARGIN} (${figures})`
        : `heads mode kept: no held-out ID or reviewed OOD image had both modes' scores`;
  return {
    winner,
    heads: h,
    adapt: a,
    margin,
    byScorer,
    heldOutId: heldOutId.size,
    reviewedOod: reviewedOod.size,
    message,
  };
}

/** What `validateModes` needs from the train job: its heads step (widening and all), run on a given request. */
export interface ModeValidation<H extends { result: { scores: ShaScore[] } }> {
  project: ProjectHandle;
  engine: EngineClient;
  decision: ModeDecision;
  extract: ExtractResult;
  /** The run's heads request; on an adapt win it reads the adapted features (updated in place). */
  request: Omit<TrainRequest, 'kind'>;
  runId: number;
  ctx: JobContext;
  trainHeads: (request: Omit<TrainRequest, 'kind'>) => Promise<H>;
}

/** Trains heads on the pretrained features, then adapts (without the reviewed OOD) and trains heads on the adapted
 * features, and keeps the mode that validates better. Records both figures and what each step cost. */
export async function validateModes<H extends { result: { scores: ShaScore[]; metrics: Record<string, unknown> } }>(
  v: ModeValidation<H>,
): Promise<{ outcome: AdaptOutcome; heads: H }> {
  const t0 = performance.now();
  const pretrainedRequest = { ...v.request, modelOut: v.request.modelOut.replace(/\.json$/, '-pretrained.json') };
  const pretrained = await v.trainHeads(pretrainedRequest);
  const t1 = performance.now();
  // The pretrained heads have run: what they took beyond the prediction comes out of the adapting's share.
  const overrun = Math.max(0, (t1 - t0) / 1000 - (v.decision.budget?.headsSeconds ?? 0) / 2);
  const trainSeconds = v.decision.budget ? Math.max(1, v.decision.budget.trainSeconds - overrun) : undefined;
  const top = await trainAdapted(v.project, v.engine, v.extract, v.request, v.runId, v.ctx, {
    ...(v.decision.epochs !== undefined ? { epochs: v.decision.epochs } : {}),
    ...(trainSeconds !== undefined ? { trainSeconds } : {}),
    withoutReviewedOod: true,
  });
  const adaptedRequest = { ...v.request, backboneKey: top.key };
  const t2 = performance.now();
  const adapted = await v.trainHeads(adaptedRequest);
  const t3 = performance.now();
  const ood = new Set(v.request.train.filter((t) => t.label === -1).map((t) => t.sha256));
  const comparison = compareModes(pretrained.result.scores, adapted.result.scores, new Set(top.heldOut), ood);
  const seconds = { headsPretrained: (t1 - t0) / 1000, adapt: (t2 - t1) / 1000, headsAdapted: (t3 - t2) / 1000 };
  const validation = { ...comparison, seconds };
  if (comparison.winner === 'adapt') {
    v.request.backboneKey = top.key;
    const decision: ModeDecision = { ...v.decision, mode: 'adapt', adapt: 'train', reason: comparison.message };
    const extract = { ...v.extract, backboneKey: top.key, layout: top.result.layout };
    return { outcome: { extract, decision, record: top.record, validation }, heads: adapted };
  }
  const decision: ModeDecision = { ...v.decision, mode: 'heads', adapt: 'none', reason: comparison.message };
  return { outcome: { extract: v.extract, decision, validation }, heads: pretrained };
}
