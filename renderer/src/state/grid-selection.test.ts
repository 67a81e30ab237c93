// Showing a set of images in the grid: the services keep the set, the grid filters to it and opens; a set the
// services refuse leaves the grid as it was and says why.
import { beforeAll, describe, expect, it } from 'vitest';
import { installFakeBackend } from '../dev/test-backend.js';
import { clearGridSelection, showInGrid } from './grid-selection.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { toasts } from './toasts.svelte.js';
import { ui } from './ui.svelte.js';

beforeAll(async () => {
  installFakeBackend({ images: 40 });
  await project.load();
});

describe('grid selection', () => {
  it('filters the grid to the selected images and opens Review, and the chip clears it', async () => {
    ui.go('map');
    expect(await showInGrid({ imageIds: [3, 5, 8] }, 'the lasso')).toBe(true);
    expect(review.filters.selection).toMatchObject({ count: 3, origin: 'the lasso' });
    expect(ui.view).toBe('review');
    clearGridSelection();
    expect(review.filters.selection).toBeNull();
  });

  it('reports a selection the services refuse, and changes neither the filter nor the view', async () => {
    ui.go('map');
    toasts.items = [];
    // Both ids and a lasso: the contract takes exactly one of them.
    const both = { imageIds: [1], lasso: { method: 'umap' as const, polygon: [] } };
    expect(await showInGrid(both, 'the lasso')).toBe(false);
    expect(review.filters.selection).toBeNull();
    expect(ui.view).toBe('map');
    expect(toasts.items.at(-1)?.text).toMatch(/^Could not show these images in the grid: /);
  });
});
