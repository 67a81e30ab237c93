// Image-quality flags in the grid through the fake services: counts on first use, the grid's quality filter,
// and saving thresholds (which re-flags and re-counts); the map's selection shown in the grid as a filter.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/shared/errors.js';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { clearGridSelection, showInGrid } from './grid-selection.js';
import { project } from './project.svelte.js';
import { quality } from './quality.svelte.js';
import { review } from './review.svelte.js';
import { toasts } from './toasts.svelte.js';
import { ui } from './ui.svelte.js';

let fake: TestBackend;

beforeAll(async () => {
  fake = installFakeBackend({ images: 50 });
  await project.load();
  await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
});

describe('quality filter', () => {
  it('counts once, and a filter chosen while counting waits for the flags', async () => {
    const spy = vi.spyOn(fake.api.curation, 'quality');
    const counting = quality.load();
    const filtering = quality.filter('blurry');
    await Promise.all([counting, filtering]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(quality.counts).toMatchObject({ blurry: 0, dark: 0, grey: 0 });
    expect(review.query.quality).toBe('blurry');
    await quality.filter('');
    expect(review.query.quality).toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('saving thresholds sends only the change and re-counts', async () => {
    await quality.load();
    const set = vi.spyOn(fake.api.curation, 'setQualityThresholds');
    const count = vi.spyOn(fake.api.curation, 'quality');
    count.mockClear();
    expect(await quality.save({ blurBelow: 55 })).toBe(true);
    expect(set).toHaveBeenCalledWith({ blurBelow: 55 });
    expect(quality.thresholds?.blurBelow).toBe(55);
    expect(count).toHaveBeenCalledTimes(1);
  });

  it('a refused threshold is said, and nothing changes', async () => {
    vi.spyOn(fake.api.curation, 'setQualityThresholds').mockRejectedValueOnce(
      new AppError('invalid-argument', 'quality thresholds: darkBelow must be below brightAbove'),
    );
    const before = quality.thresholds;
    expect(await quality.save({ darkBelow: 250 })).toBe(false);
    expect(quality.thresholds).toEqual(before);
    expect(toasts.items.at(-1)?.text).toContain('darkBelow must be below brightAbove');
  });
});

describe('a selection in the grid', () => {
  it('filters the grid to the selection and opens it; clearing shows every image', async () => {
    ui.go('map');
    expect(await showInGrid({ imageIds: [1, 2, 3] }, 'lasso on the PCA map')).toBe(true);
    expect(ui.view).toBe('review');
    expect(review.filters.selection).toEqual({ id: 1, count: 3, origin: 'lasso on the PCA map' });
    expect(review.query.selection).toBe(1);
    clearGridSelection();
    expect(review.query.selection).toBeUndefined();
  });

  it('an empty lasso is said, and the view stays', async () => {
    vi.spyOn(fake.api.curation, 'select').mockRejectedValueOnce(
      new AppError('invalid-argument', 'the lasso holds no image: draw it around some points'),
    );
    ui.go('map');
    expect(
      await showInGrid(
        {
          lasso: {
            method: 'pca',
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
        },
        'lasso',
      ),
    ).toBe(false);
    expect(ui.view).toBe('map');
    expect(review.filters.selection).toBeNull();
    expect(toasts.items.at(-1)?.text).toContain('the lasso holds no image');
  });
});
