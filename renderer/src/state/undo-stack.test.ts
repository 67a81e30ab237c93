import { describe, expect, it } from 'vitest';
import { UndoStack } from './undo-stack.js';

describe('UndoStack', () => {
  it('gives back decisions and label batches newest first, whatever their kind', () => {
    const s = new UndoStack();
    s.push({ kind: 'decisions', ids: [1] });
    s.push({ kind: 'labels', ids: [2, 3], batchIds: [7] });
    s.push({ kind: 'decisions', ids: [4] });
    expect(s.pop()).toEqual({ kind: 'decisions', ids: [4] });
    expect(s.pop()).toEqual({ kind: 'labels', ids: [2, 3], batchIds: [7] });
    expect(s.pop()).toEqual({ kind: 'decisions', ids: [1] });
    expect(s.pop()).toBeUndefined();
  });

  it('ignores an empty batch and drops the oldest past its limit', () => {
    const s = new UndoStack(2);
    s.push({ kind: 'decisions', ids: [] });
    expect(s.size).toBe(0);
    for (const id of [1, 2, 3]) s.push({ kind: 'decisions', ids: [id] });
    expect(s.size).toBe(2);
    expect(s.pop()?.ids).toEqual([3]);
    expect(s.pop()?.ids).toEqual([2]);
  });

  it('takes an entry back when its undo failed, and clears', () => {
    const s = new UndoStack();
    s.push({ kind: 'labels', ids: [5], batchIds: [1] });
    const e = s.pop()!;
    s.restore(e);
    expect(s.size).toBe(1);
    s.clear();
    expect(s.pop()).toBeUndefined();
  });
});
