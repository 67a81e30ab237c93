// The inbox order that puts first what a label helps most. An image is informative when the model hesitates
// between its two best classes (low calibrated margin) and when its OOD score sits near the flag threshold (the
// model cannot tell whether it belongs at all). Ranking by that alone fills the first page with one confused
// cluster, so the order deals round robin over clusters: each round takes every cluster's next most informative
// image, clusters met in the order of their best image.

export interface OrderItem {
  id: number;
  /** In [0, 1]: how much a label would help (informativeness below). */
  score: number;
  /** Images alike (e.g. one cell of the embedding map, or one pair of confused classes). */
  cluster: string;
}

/** Weight of the class margin against OOD uncertainty: a class is what the label gives. */
export const MARGIN_WEIGHT = 0.7;
/** Calibrated OOD scores farther than this from the threshold count as certain. */
export const OOD_BAND = 0.25;

/** 1 at the threshold, falling linearly to 0 at OOD_BAND away from it. */
export function oodUncertainty(calibratedScore: number | null, calibratedThreshold: number | null): number {
  if (calibratedScore === null || calibratedThreshold === null) return 0;
  return Math.max(0, 1 - Math.abs(calibratedScore - calibratedThreshold) / OOD_BAND);
}

/** How much a label would help, in [0, 1]: hesitation between the top two classes, and OOD uncertainty. */
export function informativeness(margin: number, ood: number): number {
  const m = Math.min(1, Math.max(0, margin));
  return MARGIN_WEIGHT * (1 - m) + (1 - MARGIN_WEIGHT) * Math.min(1, Math.max(0, ood));
}

/** Ids in informative order: most informative first, dealt round robin over clusters (ties by id). */
export function diverseOrder(items: readonly OrderItem[]): number[] {
  const sorted = [...items].sort((a, b) => b.score - a.score || a.id - b.id);
  const queues = new Map<string, number[]>();
  for (const it of sorted) {
    const q = queues.get(it.cluster);
    if (q) q.push(it.id);
    else queues.set(it.cluster, [it.id]);
  }
  const lanes = [...queues.values()];
  const out: number[] = [];
  for (let round = 0; out.length < sorted.length; round++) {
    for (const lane of lanes) if (round < lane.length) out.push(lane[round]!);
  }
  return out;
}

/** A cluster key from a 2-D map position: the cell of a grid `cells` wide over the map's bounding box. */
export function mapCells(points: ReadonlyMap<number, { x: number; y: number }>, cells: number): Map<number, string> {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points.values()) {
    [x0, x1, y0, y1] = [Math.min(x0, p.x), Math.max(x1, p.x), Math.min(y0, p.y), Math.max(y1, p.y)];
  }
  const cell = (v: number, lo: number, hi: number): number =>
    hi > lo ? Math.min(cells - 1, Math.floor(((v - lo) / (hi - lo)) * cells)) : 0;
  const out = new Map<number, string>();
  for (const [id, p] of points) out.set(id, `cell ${cell(p.x, x0, x1)},${cell(p.y, y0, y1)}`);
  return out;
}
