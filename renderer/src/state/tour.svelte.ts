// The short guided tour shown once the demo is ready: four steps, each dismissible, never modal (the grid
// stays usable under it). Finishing or skipping it is remembered on this machine.
import type { View } from './app-events.js';

export interface TourStep {
  title: string;
  text: string;
  /** The view the step is about; the tour goes there when the step shows. */
  view: View;
  /** Optional action of the step, offered as a button. */
  action?: 'open-first' | 'go-train';
  actionLabel?: string;
}

export const TOUR_STEPS: readonly TourStep[] = [
  {
    title: 'Flagged images come first',
    text: 'The grid is sorted by how unusual each image is, most unusual first; outlined tiles are flagged. The figure under each tile is its score: hover it to see what it means.',
    view: 'review',
  },
  {
    title: 'See why one is flagged',
    text: 'Enter (or a double-click) opens an image: the heatmap shows where the model recognises your classes, and the panel says in words why the image stands out.',
    view: 'review',
    action: 'open-first',
    actionLabel: 'Open the first image',
  },
  {
    title: 'Decide with the keys',
    text: 'k keeps an image, x rejects it as not belonging, r relabels it, u undoes; the cursor moves on after each decision. ? lists every shortcut.',
    view: 'review',
  },
  {
    title: 'Retrain and see what moved',
    text: 'After a few decisions, retrain in Scan & train: your rejections teach the model what does not belong. Then What moved lists the images whose flags changed.',
    view: 'train',
    action: 'go-train',
    actionLabel: 'Go to Scan & train',
  },
];

const DONE_KEY = 'ssod.tour.done';

/** Where "done" is remembered; localStorage in the app, a map in tests. */
export interface TourMemory {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function defaultMemory(): TourMemory | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled: the tour just shows again next time
  }
}

export class TourState {
  /** Index of the showing step, or null when the tour is not showing. */
  step = $state<number | null>(null);
  readonly steps = TOUR_STEPS;

  constructor(private readonly memory: TourMemory | null = defaultMemory()) {}

  get current(): TourStep | null {
    return this.step === null ? null : (this.steps[this.step] ?? null);
  }

  get done(): boolean {
    return this.memory?.getItem(DONE_KEY) === '1';
  }

  /** Show the tour from its first step, unless it was finished or skipped before (`force` shows it anyway). */
  start(force = false): boolean {
    if (this.done && !force) return false;
    this.step = 0;
    return true;
  }

  next(): void {
    if (this.step === null) return;
    if (this.step >= this.steps.length - 1) this.dismiss();
    else this.step++;
  }

  back(): void {
    if (this.step !== null && this.step > 0) this.step--;
  }

  dismiss(): void {
    this.step = null;
    this.memory?.setItem(DONE_KEY, '1');
  }
}

export const tour = new TourState();
