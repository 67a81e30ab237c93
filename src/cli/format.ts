// Human-readable output of the CLI. JSON output never goes through here.
import type { EvalReport, ImageRow, ProjectStatus, ReviewEvent, RunDiff, RunSummary } from '../shared/dto.js';

const f3 = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));

export function formatStatus(s: ProjectStatus): string {
  const lines = [`project ${s.project.name} (${s.project.path})`];
  lines.push(`images: ${s.byStatus.ok} ok, ${s.byStatus.error} error, ${s.byStatus.missing} missing`);
  lines.push('sources:');
  for (const src of s.sources) {
    lines.push(
      `  #${src.id} ${src.role.padEnd(5)} ${src.path}  ok ${src.counts.ok}, error ${src.counts.error}, missing ${src.counts.missing}`,
    );
  }
  if (s.classes.length) lines.push(`classes: ${s.classes.map((c) => `${c.name} ${c.count}`).join(', ')}`);
  const errs = Object.entries(s.errorsByCode);
  if (errs.length) lines.push(`errors: ${errs.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const dec = Object.entries(s.decisions);
  if (dec.length) lines.push(`decisions: ${dec.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.currentRun) lines.push(`current run: ${formatRun(s.currentRun)}`);
  if (s.engine) lines.push(`engine: ${s.engine.backend}`);
  return lines.join('\n');
}

/** The default score as a held-out ID percentile ("99.2%": more unusual than 99.2% of the training images), or the
 * raw value with `raw` or when the run has no calibration. */
function scoreCell(r: ImageRow, raw: boolean): string {
  const name = r.scores.ssod !== undefined ? 'ssod' : Object.keys(r.scores)[0];
  if (name === undefined) return '     –';
  const cal = r.calibrated?.[name];
  if (!raw && cal !== undefined) return `${(cal * 100).toFixed(1)}%`.padStart(6);
  return r.scores[name]!.toFixed(3).padStart(6);
}

export function formatImageLine(r: ImageRow, raw = false): string {
  const parts = [
    String(r.id).padStart(6),
    r.status === 'ok' ? (r.flagged ? 'FLAG' : '    ') : r.status.toUpperCase().padEnd(4),
    scoreCell(r, raw),
    (r.class ?? '-').padEnd(12),
    r.path,
  ];
  if (r.errorCode) parts.push(`[${r.errorCode}] ${r.errorMessage ?? ''}`);
  if (r.decision) parts.push(`<${r.decision.action}${r.decision.newClass ? `→${r.decision.newClass}` : ''}>`);
  return parts.join(' ');
}

export function formatHistoryLine(e: ReviewEvent): string {
  const what = e.action === 'relabel' ? `${e.label ? 'label' : 'relabel'} → ${e.newClass ?? ''}` : e.action;
  return `${e.at}  ${e.reviewer.padEnd(12)} ${what.padEnd(16)} image ${e.imageId}${e.path ? ` ${e.path}` : ''}${e.note ? `  “${e.note}”` : ''}${e.label ? `  ${labelTrail(e.label)}` : ''}`;
}

/** How a label was given and what the run suggested then: the audit trail's answer to "why this class". */
function labelTrail(l: NonNullable<ReviewEvent['label']>): string {
  const seen =
    l.suggested === null
      ? 'no suggestion'
      : `run #${l.runId ?? '?'} suggested ${l.suggested} at ${((l.confidence ?? 0) * 100).toFixed(1)}%`;
  return `[${l.method}, batch ${l.batchId}; ${seen}]`;
}

export function formatRun(r: RunSummary): string {
  const auroc = (r.metrics as { validation?: { auroc?: number } }).validation?.auroc;
  return (
    `run #${r.id}${r.isCurrent ? ' (current)' : ''} ${r.status} ${r.backbone} on ${r.backend}, seed ${r.seed}, ` +
    `default scorer ${r.defaultScorer}${auroc !== undefined ? `, val AUROC ${f3(auroc)}` : ''}` +
    (r.error ? `, error: ${r.error}` : '')
  );
}

export function formatEval(e: EvalReport): string {
  const lines = [`${e.idCount} ID and ${e.oodCount} OOD images`];
  lines.push('scorer        AUROC   FPR95   AUPR-In AUPR-Out');
  for (const [name, m] of Object.entries(e.perScorer)) {
    lines.push(`${name.padEnd(12)} ${f3(m.auroc)}  ${f3(m.fpr95)}  ${f3(m.auprIn)}  ${f3(m.auprOut)}`);
  }
  if (e.idAccuracy !== null) lines.push(`ID accuracy ${f3(e.idAccuracy)}`);
  if (e.suggestedThreshold) {
    const t = e.suggestedThreshold;
    lines.push(
      `suggested threshold for ${t.scorer} at ${(t.idPassRate * 100).toFixed(0)}% ID pass rate: ${f3(t.value)}`,
    );
  }
  return lines.join('\n');
}

export function formatDiff(d: RunDiff): string {
  const lines = [`run #${d.runA} → run #${d.runB} (${d.scorer})`];
  lines.push(`newly flagged: ${d.newlyFlagged.length}, newly cleared: ${d.newlyCleared.length}`);
  for (const r of d.newlyFlagged.slice(0, 20)) lines.push(`  + ${r.path} ${f3(r.scoreA)} → ${f3(r.scoreB)}`);
  for (const r of d.newlyCleared.slice(0, 20)) lines.push(`  - ${r.path} ${f3(r.scoreA)} → ${f3(r.scoreB)}`);
  lines.push('largest changes:');
  for (const r of d.largestChanges.slice(0, 10)) lines.push(`  ${r.path} ${f3(r.scoreA)} → ${f3(r.scoreB)}`);
  lines.push('per class (flagged A → B):');
  for (const c of d.perClass) lines.push(`  ${c.class.padEnd(16)} ${c.flaggedA} → ${c.flaggedB}`);
  return lines.join('\n');
}
