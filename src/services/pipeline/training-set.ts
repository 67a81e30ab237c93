// Who trains as what, from the scan and every standing review decision: rejected images become explicit OOD
// supervision, relabelled images (train images, and inbox images given a label) train under their new class, kept
// images stay in-distribution. A class with fewer than MIN_CLASS_EXAMPLES distinct images (identical copies count once) is left
// out, and the run says so.
import { currentDecisions, iterateImages, type ImageBrief } from '../../db/index.js';
import { OOD_LABEL } from '../../engine/types.js';
import { MIN_CLASS_EXAMPLES } from '../../shared/labeling-dto.js';
import type { ProjectHandle } from '../project-handle.js';

export interface TrainingSet {
  classes: string[];
  train: { image: ImageBrief; label: number }[];
  inbox: ImageBrief[];
  decisions: number;
  /** Classes with fewer than MIN_CLASS_EXAMPLES distinct images: their images are scored like inbox images, not trained on. */
  leftOut: { class: string; examples: number }[];
}

/** Drops classes with too few examples from `train` (their images move to `inbox`, so they are still scored). */
function withoutSmallClasses(
  train: { image: ImageBrief; className: string | null; ood: boolean }[],
  inbox: ImageBrief[],
): { class: string; examples: number }[] {
  // Byte-identical copies are one example: the engine trains on each content once (by-content-hash.ts).
  const contents = new Map<string, Set<string>>();
  for (const t of train) {
    if (t.ood) continue;
    const set = contents.get(t.className!) ?? new Set<string>();
    contents.set(t.className!, set.add(t.image.sha256!));
  }
  const counts = [...contents].map(([c, set]) => [c, set.size] as const);
  const small = counts.filter(([, n]) => n < MIN_CLASS_EXAMPLES).sort(([a], [b]) => a.localeCompare(b));
  if (small.length === 0) return [];
  const out = new Set(small.map(([c]) => c));
  for (let i = train.length - 1; i >= 0; i--) {
    const t = train[i]!;
    if (!t.ood && out.has(t.className!)) {
      inbox.push(t.image);
      train.splice(i, 1);
    }
  }
  return small.map(([c, examples]) => ({ class: c, examples }));
}

export function buildTrainingSet(project: ProjectHandle): TrainingSet {
  const decisions = currentDecisions(project.db);
  const train: { image: ImageBrief; className: string | null; ood: boolean }[] = [];
  const inbox: ImageBrief[] = [];
  for (const image of iterateImages(project.db, { status: 'ok' })) {
    if (!image.sha256) continue;
    const d = decisions.get(image.id);
    if (d?.action === 'reject') train.push({ image, className: null, ood: true });
    else if (d?.action === 'relabel' && d.newClass) train.push({ image, className: d.newClass, ood: false });
    else if (image.role === 'train' && image.class) train.push({ image, className: image.class, ood: false });
    else inbox.push(image);
  }
  const leftOut = withoutSmallClasses(train, inbox);
  const classes = [...new Set(train.filter((t) => !t.ood).map((t) => t.className!))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return {
    classes,
    train: train.map((t) => ({ image: t.image, label: t.ood ? OOD_LABEL : index.get(t.className!)! })),
    inbox,
    decisions: decisions.size,
    leftOut,
  };
}
