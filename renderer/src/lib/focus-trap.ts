// Focus handling for modal dialogs as the WAI-ARIA dialog pattern asks: Tab and Shift+Tab cycle inside the
// dialog, and focus goes back to where it was when the dialog closes.

export const TABBABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Where Tab (or Shift+Tab) must go from the focused element at `index` among `count` tabbable elements, or
 * null when the browser's own move stays inside. `index` -1: focus is outside the list (e.g. on the dialog).
 */
export function wrapFocus(count: number, index: number, backwards: boolean): number | null {
  if (count === 0) return null;
  if (index < 0) return backwards ? count - 1 : 0;
  if (backwards && index === 0) return count - 1;
  if (!backwards && index === count - 1) return 0;
  return null;
}

/** Tabbable elements of a container that are actually shown. */
export function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(TABBABLE)].filter((el) => !el.hidden && el.getClientRects().length > 0);
}

/** The element to give focus back to: the one focused before, if it is still in the page. */
export function restorable(previous: Element | null): HTMLElement | null {
  return previous instanceof HTMLElement && previous.isConnected ? previous : null;
}
