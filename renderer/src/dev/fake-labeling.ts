// The fake backend's `labeling` namespace, over the fake project's rows: a legend, labels as `relabel` events in
// batches that undo as one, bulk accept with its preview, new classes with the services' name rules, and a
// calibration and accuracy trend computed from the generated suggestions (so the numbers move as labels arrive).
import type { Api } from '../../../src/shared/api.js';
import type { EventAction, ImageRow, ReviewEvent } from '../../../src/shared/dto.js';
import { AppError } from '../../../src/shared/errors.js';
import {
  MIN_CLASS_EXAMPLES,
  type BulkAcceptOptions,
  type BulkPreview,
  type CalibrationReport,
  type LabelBatch,
  type LabelClass,
  type LabelMethod,
  type LabelRecord,
  type LabelResult,
  type ReliabilityBin,
  type SuggestionRow,
} from '../../../src/shared/labeling-dto.js';
import { caseClash, classNameProblem } from '../../../src/shared/labeling-names.js';

/** What the fake labeling needs from the fake project. */
export interface FakeLabelingHost {
  rows(): ImageRow[];
  /** Every class the project knows, folder classes first; created classes are appended. */
  classes: string[];
  currentRunId(): number | null;
  /** Appends one event per image and emits `decision.made`. */
  append(imageId: number, action: EventAction, fields: { newClass?: string | null; reviewer?: string }): ReviewEvent;
  announce(events: ReviewEvent[], action: EventAction): void;
}

interface Batch extends LabelBatch {
  labels: LabelRecord[];
  /** Per image, what stood before the label (restored by undo). */
  before: Map<number, Pick<ImageRow, 'class' | 'classSource'>>;
}

const BINS = 10;

function bin(pairs: { confidence: number; right: boolean }[]): ReliabilityBin[] {
  return Array.from({ length: BINS }, (_, b) => {
    const lower = b / BINS;
    const upper = (b + 1) / BINS;
    const inside = pairs.filter((p) => p.confidence >= lower && (p.confidence < upper || b === BINS - 1));
    const mean = (f: (p: (typeof inside)[number]) => number) =>
      inside.length ? inside.reduce((s, p) => s + f(p), 0) / inside.length : 0;
    return {
      lower,
      upper,
      count: inside.length,
      meanConfidence: mean((p) => p.confidence),
      accuracy: mean((p) => (p.right ? 1 : 0)),
    };
  });
}

function ece(bins: ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  return n ? bins.reduce((s, b) => s + (b.count / n) * Math.abs(b.accuracy - b.meanConfidence), 0) : 0;
}

// A dev-only fake kept in one closure over its batches; splitting it into a class is a known follow-up.
// eslint-disable-next-line max-lines-per-function
export function fakeLabeling(host: FakeLabelingHost): Api['labeling'] {
  const batches: Batch[] = [];
  const row = (id: number) => {
    const r = host.rows()[id - 1];
    if (!r) throw new AppError('not-found', `no image ${id}`);
    return r;
  };
  const runId = () => {
    const id = host.currentRunId();
    if (id === null) throw new AppError('no-run', 'no run yet: train first, then suggestions exist');
    return id;
  };
  const unlabelled = (r: ImageRow) =>
    r.role === 'inbox' && r.status === 'ok' && r.class === null && r.decision?.action !== 'reject';

  function legendEntry(name: string, index: number): LabelClass {
    const mine = host.rows().filter((r) => r.class === name);
    const bySource = { folder: 0, label: 0, relabel: 0 };
    for (const r of mine) bySource[r.classSource ?? 'folder'] += 1;
    const needed = Math.max(0, MIN_CLASS_EXAMPLES - mine.length);
    return {
      name,
      key: index < 9 ? index + 1 : null,
      examples: mine.length,
      bySource,
      trainable: needed === 0,
      needed,
      inRun: host.rows().some((r) => r.predicted === name),
    };
  }

  function checkNewClass(name: string): void {
    const problem = classNameProblem(name);
    if (problem) throw new AppError('invalid-argument', `cannot create class '${name}': ${problem}`);
    const clash = caseClash(name, host.classes);
    if (clash) throw new AppError('already-exists', `'${name}' differs from the class '${clash}' only in case`);
  }

  function resolveClass(input: { class?: string; key?: number; create?: boolean }): { name: string; created: boolean } {
    if (input.key !== undefined) {
      const name = host.classes[input.key - 1];
      if (!name) throw new AppError('invalid-argument', `no class ${input.key}: the legend has ${host.classes.length}`);
      return { name, created: false };
    }
    const name = input.class ?? '';
    if (host.classes.includes(name)) return { name, created: false };
    if (!input.create) throw new AppError('not-found', `no class '${name}' (create it first)`);
    checkNewClass(name);
    host.classes.push(name);
    return { name, created: true };
  }

  function write(ids: number[], classOf: (r: ImageRow) => string, method: LabelMethod, reviewer?: string): Batch {
    const rows = ids.map(row);
    const gone = rows.find((r) => r.status !== 'ok');
    if (gone) throw new AppError('not-found', `${gone.relPath} is ${gone.status} since the scan: nothing labelled`);
    const batch: Batch = {
      id: batches.length + 1,
      method,
      reviewer: reviewer ?? 'anonymous',
      at: new Date().toISOString(),
      runId: host.currentRunId(),
      count: rows.length,
      minConfidence: null,
      standing: rows.length,
      labels: [],
      before: new Map(),
    };
    for (const r of rows) {
      const cls = classOf(r);
      batch.before.set(r.id, { class: r.class, classSource: r.classSource ?? null });
      const e = host.append(r.id, 'relabel', { newClass: cls, ...(reviewer ? { reviewer } : {}) });
      batch.reviewer = e.reviewer;
      r.class = cls;
      r.classSource = r.role === 'inbox' ? 'label' : 'relabel';
      batch.labels.push({
        eventId: e.id,
        imageId: r.id,
        class: cls,
        method,
        batchId: batch.id,
        suggested: r.suggestion?.class ?? null,
        confidence: r.suggestion?.confidence ?? null,
        runId: batch.runId,
        reviewer: e.reviewer,
        at: e.at,
      });
    }
    batches.push(batch);
    return batch;
  }

  function result(batch: Batch, created: string[]): LabelResult {
    const events = batch.labels.map((l) => ({
      id: l.eventId,
      imageId: l.imageId,
      action: 'relabel' as const,
      newClass: l.class,
      note: null,
      reviewer: l.reviewer,
      at: l.at,
      runId: l.runId,
      scores: row(l.imageId).scores,
      undoes: null,
    }));
    host.announce(events, 'relabel');
    return { batchId: batch.id, events, labels: batch.labels, created };
  }

  function preview(o: BulkAcceptOptions): BulkPreview {
    const id = runId();
    const scope = o.imageIds ? new Set(o.imageIds) : null;
    const candidates = host
      .rows()
      .filter((r) => unlabelled(r) && r.suggestion && (!scope || scope.has(r.id)))
      .filter((r) => !o.classes || o.classes.includes(r.suggestion!.class));
    const chosen = candidates.filter((r) => !r.flagged && r.suggestion!.confidence >= o.minConfidence);
    const perClass = new Map<string, { class: string; count: number; expectedWrong: number }>();
    for (const r of chosen) {
      const c = r.suggestion!.class;
      const entry = perClass.get(c) ?? { class: c, count: 0, expectedWrong: 0 };
      entry.count += 1;
      entry.expectedWrong += 1 - r.suggestion!.confidence;
      perClass.set(c, entry);
    }
    return {
      runId: id,
      minConfidence: o.minConfidence,
      count: chosen.length,
      perClass: [...perClass.values()].sort((a, b) => b.count - a.count),
      expectedWrong: chosen.reduce((s, r) => s + 1 - r.suggestion!.confidence, 0),
      skippedFlagged: candidates.filter((r) => r.flagged).length,
      belowCut: candidates.filter((r) => !r.flagged && r.suggestion!.confidence < o.minConfidence).length,
    };
  }

  function suggestionRow(r: ImageRow, rank: number): SuggestionRow {
    const s = r.suggestion!;
    return {
      imageId: r.id,
      path: r.path,
      relPath: r.relPath,
      sourceId: r.sourceId,
      suggestion: s,
      top: [{ class: s.class, confidence: s.confidence }],
      ood: { scorer: 'ssod', score: r.scores.ssod ?? 0, calibrated: r.calibrated.ssod ?? null, flagged: r.flagged },
      informativeness: 1 - s.margin,
      rank,
      class: r.class,
    };
  }

  function calibration(id: number): CalibrationReport {
    const pairs = host
      .rows()
      .filter((r) => r.role === 'train' && r.suggestion)
      .map((r) => ({ confidence: r.suggestion!.confidence, right: r.suggestion!.class === r.class }));
    const raw = host
      .rows()
      .filter((r) => r.role === 'train' && r.suggestion)
      .map((r) => ({ confidence: r.suggestion!.rawProb, right: r.suggestion!.class === r.class }));
    const bins = bin(pairs);
    const binsRaw = bin(raw);
    return {
      runId: id,
      method: 'temperature',
      temperature: 1.4,
      heldOut: pairs.length,
      accuracy: pairs.filter((p) => p.right).length / Math.max(1, pairs.length),
      eceRaw: ece(binsRaw),
      ece: ece(bins),
      binsRaw,
      bins,
      cuts: [0.5, 0.8, 0.9, 0.95, 0.99].map((c) => {
        const above = pairs.filter((p) => p.confidence >= c);
        return {
          minConfidence: c,
          count: above.length,
          accuracy: above.length ? above.filter((p) => p.right).length / above.length : null,
        };
      }),
      note: null,
    };
  }

  return {
    classes: () => Promise.resolve({ classes: host.classes.map(legendEntry), minExamples: MIN_CLASS_EXAMPLES }),
    createClass: (name) => {
      if (host.classes.includes(name)) return Promise.reject(new AppError('already-exists', `'${name}' exists`));
      checkNewClass(name);
      host.classes.push(name);
      return Promise.resolve(legendEntry(name, host.classes.length - 1));
    },
    suggestions: (q = {}) => {
      const id = runId();
      let rows = host
        .rows()
        .filter((r) => r.role === 'inbox' && r.suggestion && (q.includeLabelled || unlabelled(r)))
        .filter((r) => (q.includeFlagged || !r.flagged) && (!q.class || r.suggestion!.class === q.class))
        .filter((r) => r.suggestion!.confidence >= (q.minConfidence ?? 0));
      if (q.order === 'confidence') rows = rows.sort((a, b) => b.suggestion!.confidence - a.suggestion!.confidence);
      else if (q.order === 'uncertain') rows = rows.sort((a, b) => a.suggestion!.confidence - b.suggestion!.confidence);
      else if (q.order !== 'path') rows = rows.sort((a, b) => a.suggestion!.margin - b.suggestion!.margin);
      const offset = q.offset ?? 0;
      const page = rows.slice(offset, offset + (q.limit ?? 100));
      return Promise.resolve({
        runId: id,
        total: rows.length,
        offset,
        rows: page.map((r, i) => suggestionRow(r, offset + i)),
      });
    },
    label: (input) => {
      const { name, created } = resolveClass(input);
      const batch = write(input.imageIds, () => name, input.method ?? 'manual', input.reviewer);
      return Promise.resolve(result(batch, created ? [name] : []));
    },
    accept: (input) => {
      const none = input.imageIds.map(row).find((r) => !r.suggestion);
      if (none) return Promise.reject(new AppError('refused', `${none.relPath} has no suggestion to accept`));
      const batch = write(input.imageIds, (r) => r.suggestion!.class, 'accept', input.reviewer);
      return Promise.resolve(result(batch, []));
    },
    previewBulk: (options) => Promise.resolve(preview(options)),
    bulkAccept: (input) => {
      const p = preview(input);
      if (!p.count) {
        return Promise.reject(
          new AppError('refused', `no suggestion at or above ${input.minConfidence} that is not flagged as OOD`),
        );
      }
      const scope = input.imageIds ? new Set(input.imageIds) : null;
      const ids = host
        .rows()
        .filter((r) => unlabelled(r) && r.suggestion && !r.flagged && (!scope || scope.has(r.id)))
        .filter((r) => r.suggestion!.confidence >= input.minConfidence)
        .filter((r) => !input.classes || input.classes.includes(r.suggestion!.class))
        .map((r) => r.id);
      const batch = write(ids, (r) => r.suggestion!.class, 'bulk', input.reviewer);
      batch.minConfidence = input.minConfidence;
      return Promise.resolve({ ...result(batch, []), preview: p });
    },
    undoBatch: (batchId, reviewer) => {
      const batch = batches.find((b) => b.id === batchId);
      if (!batch) return Promise.reject(new AppError('not-found', `no label batch ${batchId}`));
      const events: ReviewEvent[] = [];
      let skipped = 0;
      for (const l of batch.labels) {
        const r = row(l.imageId);
        if (r.decision?.eventId !== l.eventId) {
          skipped++;
          continue;
        }
        events.push(host.append(r.id, 'undo', reviewer ? { reviewer } : {}));
        const before = batch.before.get(r.id);
        r.class = before?.class ?? null;
        r.classSource = before?.classSource ?? null;
      }
      batch.standing = 0;
      host.announce(events, 'undo');
      return Promise.resolve({ batchId, events, skipped });
    },
    batches: (limit = 50) =>
      Promise.resolve(
        [...batches]
          .reverse()
          .slice(0, limit)
          .map(({ labels: _l, before: _b, ...b }) => b),
      ),
    calibration: (id) => Promise.resolve(calibration(id ?? runId())),
    accuracy: () => {
      const manual = batches.flatMap((b) => b.labels.filter((l) => l.method === 'manual' && l.suggested !== null));
      const standing = manual.filter((l) => row(l.imageId).decision?.eventId === l.eventId);
      const correct = standing.filter((l) => l.suggested === l.class).length;
      const id = host.currentRunId();
      return Promise.resolve({
        points:
          id === null
            ? []
            : [
                {
                  runId: id,
                  startedAt: new Date(0).toISOString(),
                  labelsTrained: 0,
                  checked: standing.length,
                  correct,
                  accuracy: standing.length ? correct / standing.length : null,
                  meanConfidence: standing.length
                    ? standing.reduce((s, l) => s + (l.confidence ?? 0), 0) / standing.length
                    : null,
                },
              ],
      });
    },
  };
}
