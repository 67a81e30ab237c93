// Image-quality flags in the review grid: how many images carry each flag, and the thresholds that decide it.
// Counting the first time computes the statistics from the scan's thumbnails (once per content), so it waits for
// the person to open the quality filter; a threshold change re-flags from the stored statistics.
import { QUALITY_FLAGS, type QualityFlag, type QualityThresholdsDto } from '../../../src/shared/curation-dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { review } from './review.svelte.js';
import { toasts } from './toasts.svelte.js';

export const QUALITY_LABELS: Record<QualityFlag, string> = {
  dark: 'too dark',
  bright: 'too bright',
  'low-contrast': 'low contrast',
  blurry: 'blurry',
  tiny: 'tiny',
  aspect: 'extreme aspect ratio',
  grey: 'grey among colour',
};

/** One editable threshold: its label, its unit and the range the services accept. */
export interface ThresholdField {
  key: keyof QualityThresholdsDto;
  label: string;
  min: number;
  max?: number;
  step: number;
}

export const THRESHOLD_FIELDS: ThresholdField[] = [
  { key: 'darkBelow', label: 'Too dark: mean brightness (0–255) below', min: 0, max: 255, step: 1 },
  { key: 'brightAbove', label: 'Too bright: mean brightness (0–255) above', min: 0, max: 255, step: 1 },
  { key: 'contrastBelow', label: 'Low contrast: brightness spread (std) below', min: 0, step: 0.5 },
  { key: 'blurBelow', label: 'Blurry: sharpness (Laplacian variance) below', min: 0, step: 1 },
  { key: 'tinyBelow', label: 'Tiny: shorter side (pixels) below', min: 0, step: 1 },
  { key: 'aspectAbove', label: 'Extreme aspect: long side / short side above', min: 1, max: 1000, step: 0.1 },
  { key: 'greyBelow', label: 'Grey: colourfulness below', min: 0, step: 0.5 },
  {
    key: 'greyFlagWhenColourShare',
    label: 'Grey is flagged only when this share of images is colour',
    min: 0,
    max: 1,
    step: 0.05,
  },
];

class QualityState {
  counts = $state<Partial<Record<QualityFlag, number>> | null>(null);
  thresholds = $state<QualityThresholdsDto | null>(null);
  loading = $state(false);
  problem = $state<string | null>(null);

  constructor() {
    const forget = () => {
      this.counts = null;
      this.problem = null;
    };
    appEvents.on('project.opened', () => {
      forget();
      this.thresholds = null;
    });
    appEvents.on('sources.changed', forget);
  }

  private inflight: Promise<void> | null = null;

  /** Counts per flag (and the thresholds), computed once per open project unless `force`; callers that arrive
   * while a count is running wait for that one. */
  load(force = false): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.counts && !force) return Promise.resolve();
    this.inflight = this.count().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async count(): Promise<void> {
    this.loading = true;
    this.problem = null;
    try {
      const r = await backend().api.curation.quality(undefined, 1);
      this.counts = Object.fromEntries(QUALITY_FLAGS.map((f) => [f, r.counts[f] ?? 0]));
      this.thresholds = r.thresholds;
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    } finally {
      this.loading = false;
    }
  }

  /** The grid shows only images with this flag ('' for all); the flags exist once counted. */
  async filter(kind: QualityFlag | ''): Promise<void> {
    if (kind) await this.load();
    review.setFilter('quality', kind);
  }

  /** New thresholds re-flag every image; the counts and a quality-filtered grid follow. */
  async save(patch: Partial<QualityThresholdsDto>): Promise<boolean> {
    try {
      this.thresholds = await backend().api.curation.setQualityThresholds(patch);
      await this.load(true);
      if (review.filters.quality) review.reload();
      toasts.push('info', 'quality thresholds saved; flags recomputed');
      return true;
    } catch (error) {
      handleError(error, 'Could not save the quality thresholds');
      return false;
    }
  }
}

export const quality = new QualityState();
