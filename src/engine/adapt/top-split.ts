// The top of the backbone cut in two: a frozen lower part (run with fused convolutions, no gradient) and the
// trainable upper part (DifferentiableTop). Which blocks train is AdaptConfig.trainableFrom.
import { AppError } from '../../shared/errors.js';
import type { FoldedGraph, FoldedUnit } from '../types.js';
import type { TrainableFrom } from './config.js';

/** The top truncated after `output` (the adapted map). */
export function truncateTop(top: FoldedGraph, output: string): FoldedGraph {
  const at = top.units.findIndex((u) => u.output === output);
  if (at < 0) throw new AppError('invalid-argument', `adapt: the top has no layer "${output}"`);
  return { ...top, units: top.units.slice(0, at + 1), outputs: [output] };
}

function firstUnitOf(units: readonly FoldedUnit[], from: TrainableFrom): number {
  if (from === 'Conv_1') return units.findIndex((u) => u.kind === 'conv' && !u.output.startsWith('block_'));
  return units.findIndex((u) => u.output.startsWith(`${from}_`));
}

export interface TopSplit {
  /** Frozen units from the cached map to `cut` (no units when everything trains). */
  frozen: FoldedGraph;
  /** Trainable units from `cut` to the output. */
  trainable: FoldedGraph;
  cut: string;
}

export function splitTop(top: FoldedGraph, from: TrainableFrom): TopSplit {
  const at = firstUnitOf(top.units, from);
  if (at < 0) throw new AppError('invalid-argument', `adapt: ${from} is not in the top (it ends at ${top.outputs[0]})`);
  const first = top.units[at]!;
  const cut = first.kind === 'add' ? first.inputs[0] : first.input;
  const upper = top.units.slice(at);
  const known = new Set([cut, ...upper.map((u) => u.output)]);
  for (const u of upper)
    for (const s of u.kind === 'add' ? u.inputs : [u.input])
      if (!known.has(s))
        throw new AppError('invalid-argument', `adapt: cannot train from ${from}: ${u.output} reads ${s}`);
  return {
    frozen: { ...top, units: top.units.slice(0, at), outputs: [cut] },
    trainable: { ...top, input: cut, units: upper },
    cut,
  };
}

/** The whole top with the trainable part's (new) weights put back. */
export function joinTop(split: TopSplit, trained: FoldedGraph): FoldedGraph {
  return { ...split.frozen, units: [...split.frozen.units, ...trained.units], outputs: trained.outputs };
}
