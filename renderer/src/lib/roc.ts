// uPlot draws every series on one shared x: merge the curves' false positive rates and carry each curve's
// true positive rate forward onto them (an ROC curve is a step function).
import type { RocCurve } from '../../../src/shared/dto.js';

export function mergeRoc(curves: readonly RocCurve[]): [number[], ...number[][]] {
  const xs = [...new Set(curves.flatMap((c) => c.fpr))].sort((a, b) => a - b);
  const ys = curves.map((c) => {
    const order = c.fpr.map((f, i) => [f, c.tpr[i] ?? 0] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let j = 0;
    let best = 0;
    return xs.map((x) => {
      while (j < order.length && order[j]![0] <= x) best = Math.max(best, order[j++]![1]);
      return best;
    });
  });
  return [xs, ...ys];
}
