// Applying a run's temperature to the class probabilities a run stores per image (its top five, best first). Shared
// because the listing (src/db) and the calibration fit (src/engine/labeling) must compute the same numbers.
//
// A run keeps only the top five probabilities; with more classes, the rest of the mass is spread evenly over the
// classes not kept. Raising every probability to 1/T and renormalising is exactly temperature scaling of the
// logits (log p differs from the logit by a per-image constant), so for up to five classes this is exact.

export interface StoredTop {
  class: string;
  prob: number;
}

export interface TemperedTop {
  /** The stored classes with their calibrated probabilities, best first. */
  top: StoredTop[];
  /** Calibrated probability of each class not stored (0 when every class is stored). */
  tailEach: number;
  /** Classes not stored. */
  tailCount: number;
}

const TINY = 1e-12;

/** The stored probabilities of `top` with temperature `temperature`, over `classCount` classes in all. */
export function temperTop(top: readonly StoredTop[], temperature: number, classCount: number): TemperedTop {
  const tailCount = Math.max(0, classCount - top.length);
  const kept = top.reduce((s, t) => s + t.prob, 0);
  const tailRaw = tailCount > 0 ? Math.max(0, 1 - kept) / tailCount : 0;
  const inv = 1 / temperature;
  // Powers taken relative to the largest probability, so a small temperature cannot underflow every term to 0.
  const ref = Math.max(TINY, ...top.map((t) => t.prob), tailRaw);
  const power = (p: number): number => (p <= 0 ? 0 : Math.exp(inv * Math.log(Math.max(TINY, p) / ref)));
  const powered = top.map((t) => power(t.prob));
  const tailPowered = tailCount > 0 ? power(tailRaw) : 0;
  const z = powered.reduce((s, v) => s + v, 0) + tailPowered * tailCount;
  if (!(z > 0)) return { top: top.map((t) => ({ ...t })), tailEach: tailRaw, tailCount };
  const out = top.map((t, i) => ({ class: t.class, prob: powered[i]! / z }));
  out.sort((a, b) => b.prob - a.prob);
  return { top: out, tailEach: tailPowered / z, tailCount };
}

/** The best class, its calibrated confidence and its margin over the second best (null without any class). */
export function calibratedChoice(
  top: readonly StoredTop[],
  temperature: number,
  classCount: number,
): { class: string; confidence: number; rawProb: number; margin: number } | null {
  const first = top[0];
  if (!first) return null;
  const t = temperTop(top, temperature, classCount);
  const best = t.top[0]!;
  const second = Math.max(t.top[1]?.prob ?? 0, t.tailCount > 0 ? t.tailEach : 0);
  const raw = top.find((x) => x.class === best.class)?.prob ?? first.prob;
  return { class: best.class, confidence: best.prob, rawProb: raw, margin: best.prob - second };
}
