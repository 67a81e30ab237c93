// The quality benchmark's result shapes and their Markdown: shared by the benchmark and the report script.
import type { OodReport } from '../../src/engine/metrics/index.js';
import type { DefaultChoice } from '../../src/engine/ssod/index.js';

export interface ScorerRow {
  scorer: string;
  near: OodReport;
  far: OodReport;
}

export interface SetResult {
  set: string;
  /** heads = heads on the pretrained features; adapt = the backbone's top trained with SSOD's loss first. */
  mode?: 'heads' | 'adapt';
  title: string;
  describe: string;
  counts: Record<string, number>;
  trainSeconds: number;
  load: number[];
  idAccuracy: { val: number; test: number };
  choice: DefaultChoice;
  val: ScorerRow[];
  test: ScorerRow[];
  warnings: string[];
  /** Where the training time went (the run's own per-phase profile, summed over models). */
  phaseMs: Record<string, number>;
}

const f3 = (x: number): string => x.toFixed(3);

/** The issue's goals, checked on the test split: each line says met or not, and by how much. */
export function goals(rows: ScorerRow[]): string[] {
  const get = (s: string): ScorerRow | undefined => rows.find((r) => r.scorer === s);
  const ssod = get('ssod')!;
  const head = get('ssod-head')!;
  const out: string[] = [];
  for (const side of ['near', 'far'] as const) {
    const best = rows.filter((r) => r.scorer !== 'ssod').sort((a, b) => b[side].auroc - a[side].auroc)[0]!;
    const lead = ssod[side].auroc - best[side].auroc;
    out.push(
      `ssod best ${side} AUROC: ${lead >= 0 ? 'met' : 'NOT met'} (ssod ${f3(ssod[side].auroc)}, best other ${best.scorer} ${f3(best[side].auroc)})`,
    );
    const floor = side === 'far' ? 0.95 : 0.85;
    out.push(
      `ssod ${side} AUROC >= ${floor}: ${ssod[side].auroc >= floor ? 'met' : 'NOT met'} (${f3(ssod[side].auroc)})`,
    );
    const rivals = ['msp', 'energy', 'knn'].map((s) => get(s)!);
    const beaten = rivals.filter((r) => head[side].auroc > r[side].auroc).map((r) => r.scorer);
    out.push(
      `ssod-head beats MSP, Energy, KNN ${side}: ${beaten.length === 3 ? 'met' : `NOT met (beats ${beaten.join(', ') || 'none'})`} ` +
        `(ssod-head ${f3(head[side].auroc)}; ${rivals.map((r) => `${r.scorer} ${f3(r[side].auroc)}`).join(', ')})`,
    );
  }
  return out;
}

export function table(rows: ScorerRow[], acc: number): string {
  const head =
    '| scorer | near AUROC | near FPR95 | near AUPR-In | near AUPR-Out | far AUROC | far FPR95 | far AUPR-In | far AUPR-Out |\n' +
    '|---|---|---|---|---|---|---|---|---|';
  const bestNear = Math.max(...rows.map((r) => r.near.auroc));
  const bestFar = Math.max(...rows.map((r) => r.far.auroc));
  const b = (x: number, best: number): string => (x === best ? `**${f3(x)}**` : f3(x));
  const lines = rows.map(
    (r) =>
      `| ${r.scorer} | ${b(r.near.auroc, bestNear)} | ${f3(r.near.fpr95)} | ${f3(r.near.auprIn)} | ${f3(r.near.auprOut)} | ` +
      `${b(r.far.auroc, bestFar)} | ${f3(r.far.fpr95)} | ${f3(r.far.auprIn)} | ${f3(r.far.auprOut)} |`,
  );
  return `${head}\n${lines.join('\n')}\n\nID accuracy (SSOD CLS head): ${f3(acc)}`;
}
