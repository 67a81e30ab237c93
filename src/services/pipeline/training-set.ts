// Who trains as what, from the scan and every standing review decision: rejected images become explicit OOD
// supervision, relabelled images train under their new class, kept images stay in-distribution.
import { currentDecisions, iterateImages, type ImageBrief } from '../../db/index.js';
import { OOD_LABEL } from '../../engine/types.js';
import type { ProjectHandle } from '../project-handle.js';

export interface TrainingSet {
  classes: string[];
  train: { image: ImageBrief; label: number }[];
  inbox: ImageBrief[];
  decisions: number;
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
  const classes = [...new Set(train.filter((t) => !t.ood).map((t) => t.className!))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return {
    classes,
    train: train.map((t) => ({ image: t.image, label: t.ood ? OOD_LABEL : index.get(t.className!)! })),
    inbox,
    decisions: decisions.size,
  };
}
