// The detail of one image: it follows decisions made on the shown image, keeps its zoom within bounds from image
// to image, and closes when another project opens.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend } from '../dev/test-backend.js';
import { appEvents } from './app-events.js';
import { detail } from './detail.svelte.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { settings } from './settings.svelte.js';

beforeAll(async () => {
  installFakeBackend({ images: 40 });
  await project.load();
  await settings.saveOrThrow({ reviewer: 'detail' });
  await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
});

describe('detail state', () => {
  it('shows the image and reloads it after a decision on it', async () => {
    const row = review.rowAt(0)!;
    detail.show(row.id);
    await vi.waitFor(() => expect(detail.image?.id).toBe(row.id));
    expect(detail.image?.decision ?? null).toBeNull();
    review.moveTo(0);
    await review.decide('keep');
    await vi.waitFor(() => expect(detail.image?.decision?.action).toBe('keep'));
  });

  it('keeps zoom between 0.25 and 16, and reset puts zoom and pan back', () => {
    for (let i = 0; i < 10; i++) detail.zoomBy(2);
    expect(detail.zoom).toBe(16);
    for (let i = 0; i < 20; i++) detail.zoomBy(0.5);
    expect(detail.zoom).toBe(0.25);
    detail.panX = 30;
    detail.resetView();
    expect([detail.zoom, detail.panX, detail.panY]).toEqual([1, 0, 0]);
  });

  it('closes when a project opens', () => {
    detail.show(review.rowAt(1)!.id);
    appEvents.emit('project.opened', project.info);
    expect(detail.open).toBe(false);
  });
});
