// Turning the engine's per-content scores into a run's stored rows: one row per image id, the class index named,
// the flag decided at the run's threshold for its default scorer, the heatmap shaped by the feature map.
import type { RunImageResult } from '../../db/index.js';
import type { ShaScore } from '../../engine/host/protocol.js';

export interface ResultsFrame {
  classes: string[];
  defaultScorer: string;
  threshold: number | undefined;
  layout: { mapH: number; mapW: number };
}

export function toRunResults(
  scores: ShaScore[],
  imagesBySha: Map<string, number[]>,
  frame: ResultsFrame,
): RunImageResult[] {
  const { classes, defaultScorer, threshold, layout } = frame;
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
        calibrated: s.calibrated,
        flagged,
        heatmap: s.heatmap.length ? { h: layout.mapH, w: layout.mapW, values: s.heatmap } : null,
      });
    }
  }
  return out;
}
