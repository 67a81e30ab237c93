// What `u` undoes: one stack for the whole session, holding review decisions and labeling batches in the order
// they were made, so `u` always takes back the latest action of either kind (a relabel after a bulk accept
// undoes the relabel first, the bulk accept next).

/** A decision batch (keep, reject, relabel, unsure, note: one `review.decide`) undoes image by image. */
export interface DecisionEntry {
  kind: 'decisions';
  ids: number[];
}

/** Labels the labeling service wrote (a key, Enter, a picked class, a cluster, a bulk accept) undo by batch. */
export interface LabelEntry {
  kind: 'labels';
  ids: number[];
  batchIds: number[];
}

export type UndoEntry = DecisionEntry | LabelEntry;

export class UndoStack {
  private entries: UndoEntry[] = [];

  /** `limit`: the oldest entries are dropped past it, so a long session does not grow without bound. */
  constructor(private readonly limit = 200) {}

  push(entry: UndoEntry): void {
    if (!entry.ids.length) return;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
  }

  pop(): UndoEntry | undefined {
    return this.entries.pop();
  }

  /** Put an entry back (its undo was refused, so it still stands). */
  restore(entry: UndoEntry): void {
    this.entries.push(entry);
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }
}
