// `curation.select`: a set of images the review grid pages through (ImageQuery.selection) without the client
// sending the ids again: given as ids, or as a lasso polygon in the coordinates of the current run's stored map.
import { mapPoints } from '../../db/curation-repo.js';
import { putSelection } from '../../db/image-sets.js';
import type { SelectionDto, SelectionInput } from '../../shared/curation-dto.js';
import { lassoSelect } from '../../shared/curation-lasso.js';
import { AppError } from '../../shared/errors.js';
import type { ProjectHandle } from '../project-handle.js';
import { requireRun } from './run.js';

export function selectImages(p: ProjectHandle, input: SelectionInput): SelectionDto {
  if (input.imageIds)
    return nonEmpty(putSelection(p.db, input.imageIds), 'none of these ids is an image of the project');
  const { method, polygon } = input.lasso!;
  if (polygon.length < 3) throw new AppError('invalid-argument', 'a lasso needs at least three corners');
  const run = requireRun(p);
  const points = mapPoints(p.db, run.id, method);
  if (!points) throw new AppError('not-found', `the current run has no ${method} map yet: open the Map first`);
  const inside = lassoSelect(
    points,
    polygon.map(([x, y]) => ({ x, y })),
  );
  if (inside.length === 0)
    throw new AppError('invalid-argument', 'the lasso holds no image: draw it around some points');
  return putSelection(
    p.db,
    inside.map((i) => points[i]!.imageId),
  );
}

function nonEmpty(s: SelectionDto, problem: string): SelectionDto {
  if (s.count === 0) throw new AppError('invalid-argument', problem);
  return s;
}
