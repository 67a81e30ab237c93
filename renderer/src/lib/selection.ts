// Selection over positions in the current ordering, with the usual desktop rules: click selects one,
// Ctrl/Cmd toggles, Shift extends a range from the anchor. Pure so it is easy to test.

export interface Modifiers {
  shift?: boolean;
  toggle?: boolean;
}

export class Selection {
  private selected = new Set<number>();
  anchor: number | null = null;
  cursor = 0;

  get size(): number {
    return this.selected.size;
  }

  has(index: number): boolean {
    return this.selected.has(index);
  }

  indices(): number[] {
    return [...this.selected].sort((a, b) => a - b);
  }

  clear(): void {
    this.selected.clear();
    this.anchor = null;
  }

  /** A pointer click on item `index`. */
  click(index: number, mods: Modifiers = {}): void {
    if (mods.shift && this.anchor !== null) {
      if (!mods.toggle) this.selected.clear();
      this.addRange(this.anchor, index);
    } else if (mods.toggle) {
      if (this.selected.has(index)) this.selected.delete(index);
      else this.selected.add(index);
      this.anchor = index;
    } else {
      this.selected.clear();
      this.selected.add(index);
      this.anchor = index;
    }
    this.cursor = index;
  }

  /** Keyboard move: plain moves collapse the selection to the cursor, Shift extends from the anchor. */
  moveTo(index: number, extend = false): void {
    if (extend) {
      if (this.anchor === null) this.anchor = this.cursor;
      this.selected.clear();
      this.addRange(this.anchor, index);
    } else {
      this.selected.clear();
      this.anchor = null;
    }
    this.cursor = index;
  }

  selectRange(from: number, to: number): void {
    this.selected.clear();
    this.addRange(from, to);
    this.anchor = from;
    this.cursor = to;
  }

  /** What an action applies to: the selection if there is one, else the item under the cursor. */
  targets(total: number): number[] {
    if (this.selected.size > 0) return this.indices().filter((i) => i < total);
    return total > 0 ? [Math.min(this.cursor, total - 1)] : [];
  }

  private addRange(a: number, b: number): void {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    for (let i = lo; i <= hi; i++) this.selected.add(i);
  }
}
