// "More like this" for an image file dropped on the window: scaled down in the renderer, sent as bytes, and
// its nearest images of the current run listed (and shown in the review grid on request).
import type { SimilarHit } from '../../../src/shared/curation-dto.js';
import { backend } from '../lib/backend.js';
import { NotAnImageError, scaleForUpload } from '../lib/scale-image.js';
import { appEvents } from './app-events.js';
import { showInGrid } from './grid-selection.js';
import { project } from './project.svelte.js';

export const DROP_LIMIT = 40;

class DroppedState {
  /** The dropped file's name while its panel shows (null: no panel). */
  name = $state<string | null>(null);
  /** The scaled image as a data URL, shown beside its hits. */
  preview = $state<string | null>(null);
  hits = $state<SimilarHit[] | null>(null);
  problem = $state<string | null>(null);
  busy = $state(false);
  private asked = 0;

  constructor() {
    appEvents.on('project.opened', () => this.close());
  }

  async find(file: File): Promise<void> {
    const ask = ++this.asked;
    this.name = file.name || 'the dropped image';
    this.preview = null;
    this.hits = null;
    this.problem = null;
    this.busy = true;
    try {
      if (!project.info) throw new NotAnImageError('open a project first: "more like this" searches its images');
      const bytes = await scaleForUpload(file);
      if (ask !== this.asked) return;
      this.preview = `data:image/jpeg;base64,${bytes}`;
      const hits = await backend().api.curation.similar({ bytes }, DROP_LIMIT);
      if (ask === this.asked) this.hits = hits;
    } catch (error) {
      if (ask === this.asked) this.problem = error instanceof Error ? error.message : String(error);
    } finally {
      if (ask === this.asked) this.busy = false;
    }
  }

  async showInGrid(): Promise<void> {
    if (!this.hits?.length) return;
    const ok = await showInGrid(
      { imageIds: this.hits.map((h) => h.imageId) },
      `more like ${this.name ?? 'a dropped image'}`,
    );
    if (ok) this.close();
  }

  close(): void {
    this.asked++;
    this.name = null;
    this.preview = null;
    this.hits = null;
    this.problem = null;
    this.busy = false;
  }
}

export const dropped = new DroppedState();
