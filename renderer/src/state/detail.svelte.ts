// The detail view of one image. Zoom, pan and the heatmap settings live here, not in the component, so they
// persist from image to image.
import type { ImageDetail } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';

class DetailState {
  open = $state(false);
  image = $state<ImageDetail | null>(null);
  loading = $state(false);
  zoom = $state(1);
  panX = $state(0);
  panY = $state(0);
  heatmap = $state(true);
  opacity = $state(0.5);
  private wanted = 0;

  constructor() {
    appEvents.on('decisions.changed', ({ imageIds }) => {
      if (this.open && this.image && imageIds.includes(this.image.id)) void this.load(this.image.id);
    });
    appEvents.on('project.opened', () => this.close());
  }

  async load(id: number): Promise<void> {
    this.wanted = id;
    this.loading = true;
    try {
      const d = await backend().api.images.get(id);
      if (this.wanted === id) this.image = d;
    } catch (error) {
      handleError(error, `Could not load image ${id}`);
    } finally {
      if (this.wanted === id) this.loading = false;
    }
  }

  show(id: number): void {
    this.open = true;
    void this.load(id);
  }

  close(): void {
    this.open = false;
  }

  zoomBy(factor: number): void {
    this.zoom = Math.max(0.25, Math.min(16, this.zoom * factor));
  }

  resetView(): void {
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
  }
}

export const detail = new DetailState();
