// Which SSOD estimate the default `ssod` score reports, decided by data: out-of-distribution examples the project
// has (reviewed OOD, scored out of fold) or validation sets given with the run, against held-out ID images. The run
// records every scorer's figure, the margin of the winner, and says plainly when a post-hoc scorer beats every
// SSOD estimate.
import { auroc } from '../metrics/index.js';
import type { Variant } from './config.js';
import { SSOD_ESTIMATES } from './score.js';

export type SsodEstimate = keyof typeof SSOD_ESTIMATES;

/** Below this many reviewed OOD images a project's own AUROC is too noisy to pick a default by. */
export const MIN_REVIEWED_OOD = 10;
/** Another estimate replaces the configured one only when ahead by more than this (AUROC, 0-1): differences
 * below it are within the noise of a few dozen OOD examples, and a default that flips on noise flips back. */
export const SWITCH_MARGIN = 0.01;

export interface DefaultChoice {
  /** The estimate `ssod` reports, and its scorer name. */
  chosen: Variant['ssodScore'];
  scorer: string;
  /** What decided: validation sets given with the run, the reviewers' OOD decisions, or nothing (the default
   * validated on the quality benchmark stays). */
  basis: 'validation' | 'reviewed-ood' | 'benchmark-default';
  /** Mean AUROC over the OOD groups, per scorer (absent without OOD to measure on). */
  auroc?: Record<string, number>;
  /** AUROC per OOD group and scorer. */
  byGroup?: Record<string, Record<string, number>>;
  /** The best other SSOD estimate and how far the chosen one is ahead of it (AUROC points, 0-1 scale). */
  runnerUp?: string;
  margin?: number;
  /** The best post-hoc scorer and its lead over the best SSOD estimate (negative = SSOD is ahead). */
  bestPosthoc?: { scorer: string; auroc: number; lead: number };
  posthocBeatsSsod: boolean;
  message: string;
}

const SSOD_NAMES: readonly string[] = ['ssod', ...Object.values(SSOD_ESTIMATES)];

/** Chooses among the SSOD estimates by mean AUROC over the OOD groups (`current` stays unless beaten by more than
 * SWITCH_MARGIN). `id` and each group
 * map scorer name -> scores. Without OOD groups the current choice stays, and the run says why. */
export function chooseSsodDefault(
  id: Record<string, ArrayLike<number>>,
  groups: Record<string, Record<string, ArrayLike<number>>>,
  current: Variant['ssodScore'],
  basis: 'validation' | 'reviewed-ood',
): DefaultChoice {
  const names = Object.keys(id).filter((s) => s !== 'ssod' && id[s]!.length > 0);
  const groupNames = Object.keys(groups).filter((g) => Object.values(groups[g]!)[0]?.length);
  if (groupNames.length === 0 || names.length === 0) return keepDefault(current);
  const byGroup: Record<string, Record<string, number>> = {};
  const mean: Record<string, number> = {};
  for (const g of groupNames) {
    byGroup[g] = {};
    for (const s of names) byGroup[g][s] = auroc(id[s]!, groups[g]![s]!);
  }
  for (const s of names) mean[s] = groupNames.reduce((a, g) => a + byGroup[g]![s]!, 0) / groupNames.length;
  const estimates = (Object.entries(SSOD_ESTIMATES) as [SsodEstimate, string][]).filter(([, s]) => s in mean);
  if (estimates.length === 0) return keepDefault(current);
  const currentScorer = (SSOD_ESTIMATES as Record<string, string>)[current];
  const bonus = (s: string): number => (s === currentScorer ? SWITCH_MARGIN : 0);
  estimates.sort((a, b) => mean[b[1]]! + bonus(b[1]) - (mean[a[1]]! + bonus(a[1])));
  const [chosen, scorer] = estimates[0]!;
  const runnerUp = estimates[1]?.[1];
  const posthoc = names.filter((s) => !SSOD_NAMES.includes(s)).sort((a, b) => mean[b]! - mean[a]!);
  const best = posthoc[0];
  const bestPosthoc = best ? { scorer: best, auroc: mean[best]!, lead: mean[best]! - mean[scorer]! } : undefined;
  const posthocBeatsSsod = bestPosthoc !== undefined && bestPosthoc.lead > 0;
  const on = basis === 'validation' ? 'the validation data' : "the reviewers' OOD decisions";
  const margin = runnerUp ? mean[scorer]! - mean[runnerUp]! : undefined;
  const versus =
    runnerUp === undefined
      ? ''
      : margin! >= 0
        ? `, ${margin!.toFixed(3)} ahead of ${runnerUp}`
        : `; kept: ${runnerUp} is ahead by only ${(-margin!).toFixed(3)}, within ${SWITCH_MARGIN}`;
  const head = `ssod = ${scorer} (AUROC ${mean[scorer]!.toFixed(3)} on ${on}${versus})`;
  const message = posthocBeatsSsod
    ? `${head}. A post-hoc scorer beats every SSOD estimate here: ${best} reaches AUROC ${bestPosthoc.auroc.toFixed(3)}, ` +
      `${bestPosthoc.lead.toFixed(3)} ahead; sort by ${best} for this project`
    : head;
  return {
    chosen,
    scorer,
    basis,
    auroc: mean,
    byGroup,
    runnerUp,
    margin,
    bestPosthoc,
    posthocBeatsSsod,
    message,
  };
}

function keepDefault(current: Variant['ssodScore']): DefaultChoice {
  const scorer = (SSOD_ESTIMATES as Record<string, string>)[current] ?? `ssod (${current})`;
  return {
    chosen: current,
    scorer,
    basis: 'benchmark-default',
    posthocBeatsSsod: false,
    message:
      `ssod = ${scorer}, the estimate the quality benchmark validated: this project has no OOD examples to decide ` +
      `by (review at least ${MIN_REVIEWED_OOD} images as OOD and retrain to let its own data choose)`,
  };
}
