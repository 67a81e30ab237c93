// Showing a set of images in the review grid: the services keep the set (curation.select) and the grid pages
// through it as a filter (ImageQuery.selection), shown as a removable chip. Used by the map's lasso and by
// "more like this" for a dropped file.
import type { SelectionInput } from '../../../src/shared/curation-dto.js';
import { backend } from '../lib/backend.js';
import { handleError } from './handle-error.js';
import { review } from './review.svelte.js';
import { ui } from './ui.svelte.js';

/** Selects the images on the services, filters the grid to them and opens it; false when that failed. */
export async function showInGrid(input: SelectionInput, origin: string): Promise<boolean> {
  try {
    const { selectionId, count } = await backend().api.curation.select(input);
    review.setFilter('selection', { id: selectionId, count, origin });
    ui.go('review');
    return true;
  } catch (error) {
    handleError(error, 'Could not show these images in the grid');
    return false;
  }
}

export function clearGridSelection(): void {
  review.setFilter('selection', null);
}
