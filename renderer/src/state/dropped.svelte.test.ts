// "More like this" for a dropped file: a file that is not an image or no open project gives a clear problem and
// no call; an image's hits are listed and shown in the grid; an answer to an older drop never overwrites a newer
// one; opening another project closes the panel.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SimilarHit } from '../../../src/shared/curation-dto.js';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import type * as ScaleImage from '../lib/scale-image.js';
import { appEvents } from './app-events.js';
import { dropped } from './dropped.svelte.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { ui } from './ui.svelte.js';

// The test runner has no canvas to scale with: the scaling is its own tested module (lib/scale-image.test.ts).
vi.mock('../lib/scale-image.js', async (actual) => ({
  ...(await actual<typeof ScaleImage>()),
  scaleForUpload: vi.fn(async (file: File) => {
    const real = await actual<typeof ScaleImage>();
    if (!file.type.startsWith('image/')) throw new real.NotAnImageError(`${file.name} is not an image (${file.type})`);
    return btoa(file.name);
  }),
}));

let fake: TestBackend;
const hit = (imageId: number): SimilarHit => ({
  imageId,
  path: `a/${imageId}.png`,
  class: 'a',
  role: 'train',
  similarity: 0.9,
});
const png = (name: string): File => new File([new Uint8Array([1, 2, 3])], name, { type: 'image/png' });

beforeAll(async () => {
  fake = installFakeBackend({ images: 20 });
});

beforeEach(() => {
  dropped.close();
  vi.restoreAllMocks();
});

describe('dropped-image state', () => {
  it('asks for an open project first, without calling the services', async () => {
    const similar = vi.spyOn(fake.api.curation, 'similar');
    await dropped.find(png('cat.png'));
    expect(dropped.problem).toMatch(/open a project first/);
    expect([dropped.busy, dropped.hits]).toEqual([false, null]);
    expect(similar).not.toHaveBeenCalled();
  });

  it('says a file that is not an image is not one, and asks nothing', async () => {
    await project.load();
    const similar = vi.spyOn(fake.api.curation, 'similar');
    await dropped.find(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(dropped.name).toBe('notes.txt');
    expect(dropped.problem).toMatch(/notes\.txt is not an image/);
    expect(dropped.hits).toBeNull();
    expect(similar).not.toHaveBeenCalled();
  });

  it('lists the hits of an image, and shows them in the grid', async () => {
    const similar = vi.spyOn(fake.api.curation, 'similar').mockResolvedValue([hit(3), hit(5)]);
    await dropped.find(png('shoe.png'));
    expect(similar).toHaveBeenCalledWith({ bytes: btoa('shoe.png') }, 40);
    expect(dropped.preview).toBe(`data:image/jpeg;base64,${btoa('shoe.png')}`);
    expect(dropped.hits?.map((h) => h.imageId)).toEqual([3, 5]);
    expect([dropped.busy, dropped.problem]).toEqual([false, null]);
    await dropped.showInGrid();
    expect(ui.view).toBe('review');
    expect(review.filters.selection).toMatchObject({ count: 2, origin: 'more like shoe.png' });
    expect(dropped.name).toBeNull();
  });

  it('keeps the newer drop when an older answer comes late', async () => {
    let answerFirst: (hits: SimilarHit[]) => void = () => undefined;
    vi.spyOn(fake.api.curation, 'similar')
      .mockImplementationOnce(() => new Promise((done) => (answerFirst = done)))
      .mockResolvedValueOnce([hit(7)]);
    const first = dropped.find(png('old.png'));
    await vi.waitFor(() => expect(dropped.preview).not.toBeNull());
    await dropped.find(png('new.png'));
    answerFirst([hit(1)]);
    await first;
    expect(dropped.name).toBe('new.png');
    expect(dropped.hits?.map((h) => h.imageId)).toEqual([7]);
  });

  it('closes when another project opens', async () => {
    vi.spyOn(fake.api.curation, 'similar').mockResolvedValue([hit(2)]);
    await dropped.find(png('x.png'));
    appEvents.emit('project.opened', project.info);
    expect([dropped.name, dropped.hits]).toEqual([null, null]);
  });
});
