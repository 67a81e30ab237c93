// `curation.labelIssues`: confident learning over the run's out-of-fold class probabilities of the labelled
// images. Runs keep each image's top-5 probabilities; rows are rebuilt from them (probsFromTop), exact whenever
// the project has at most 6 classes.
import { labelIssues, replaceLabelIssues, type CurationImage } from '../../db/curation-repo.js';
import { findLabelIssues, probsFromTop } from '../../engine/curation/label-issues.js';
import type { LabelIssueOptions, LabelIssueReport } from '../../shared/curation-dto.js';
import { AppError } from '../../shared/errors.js';
import { imagesOf, requireRun } from './run.js';
import type { ProjectHandle } from '../project-handle.js';

/** The label a reviewer's relabel gave, else the folder's. */
function labelOf(im: CurationImage): string | null {
  return im.decision?.action === 'relabel' ? im.decision.newClass : im.class;
}

export function computeLabelIssues(p: ProjectHandle, options: LabelIssueOptions): LabelIssueReport {
  const run = requireRun(p);
  const images = imagesOf(p, run);
  const byId = new Map(images.map((im) => [im.id, im]));
  const classIndex = new Map(run.classes.map((c, i) => [c, i]));
  const stored = options.recompute || options.ranking ? null : labelIssues(p.db, run.id);
  let estimatedErrors = stored?.filter((s) => s.isIssue).length ?? 0;
  if (!stored) {
    const labelled = images.filter(
      (im) =>
        im.role === 'train' &&
        im.top.length > 0 &&
        im.decision?.action !== 'reject' &&
        classIndex.has(labelOf(im) ?? ''),
    );
    if (labelled.length === 0)
      throw new AppError('no-run', 'the current run has no scored labelled images: train first');
    if (run.classes.length < 2) throw new AppError('invalid-argument', 'label issues need at least two classes');
    const table = probsFromTop(
      labelled.map((im) =>
        im.top.filter((t) => classIndex.has(t.class)).map((t): [number, number] => [classIndex.get(t.class)!, t.prob]),
      ),
      run.classes.length,
    );
    const labels = Int32Array.from(labelled, (im) => classIndex.get(labelOf(im)!)!);
    const result = findLabelIssues(table, labels, options.ranking ?? 'self-confidence');
    estimatedErrors = result.estimatedErrors;
    replaceLabelIssues(
      p.db,
      run.id,
      result.ranked.map((r) => ({
        imageId: labelled[r.index]!.id,
        label: run.classes[r.label]!,
        suggested: run.classes[r.suggested] ?? '',
        suggestedProb: r.suggestedProb,
        score: r.score,
        isIssue: r.isIssue,
      })),
    );
  }
  const rows =
    labelIssues(p.db, run.id, {
      issuesOnly: options.issuesOnly ?? true,
      ...(options.limit ? { limit: options.limit } : {}),
    }) ?? [];
  return {
    runId: run.id,
    estimatedErrors,
    issues: rows.flatMap((r) => {
      const im = byId.get(r.imageId);
      return im ? [{ ...r, path: im.path, class: im.class, role: im.role }] : [];
    }),
  };
}
