// Which view and which dialog are showing.
import { appEvents, type View } from './app-events.js';

export type Dialog = null | 'shortcuts' | 'relabel' | 'note' | 'export' | 'reviewer';

class UiState {
  view = $state<View>('projects');
  dialog = $state<Dialog>(null);

  constructor() {
    appEvents.on('navigate', (v) => (this.view = v));
  }

  go(view: View): void {
    this.dialog = null;
    this.view = view;
  }

  open(dialog: Dialog): void {
    this.dialog = dialog;
  }

  close(): void {
    this.dialog = null;
  }
}

export const ui = new UiState();
