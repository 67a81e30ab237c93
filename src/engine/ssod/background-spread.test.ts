import { describe, expect, it } from 'vitest';
import { PositionSample, spreadRatio } from './background-spread.js';

describe('background spread', () => {
  it('is the mean squared distance to the centroid, from the first rows offered', () => {
    const s = new PositionSample(2, 3);
    // Rows (0,0), (2,0), (0,2), (9,9): the fourth is past capacity.
    s.add(Float32Array.of(0, 0, 2, 0, 0, 2, 9, 9), [0, 1, 2, 3]);
    expect(s.count).toBe(3);
    // Centroid (2/3, 2/3): squared distances 8/9, 20/9, 20/9 -> mean 48/27.
    expect(s.spread()).toBeCloseTo(48 / 27, 6);
  });

  it('flags a uniform background against varied objects, and declines to judge on too few positions', () => {
    const id = new PositionSample(4);
    const bg = new PositionSample(4);
    const x = new Float32Array(100 * 4);
    for (let i = 0; i < 50; i++) for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(i * 7 + j * 3) * 2; // varied
    for (let i = 50; i < 100; i++) for (let j = 0; j < 4; j++) x[i * 4 + j] = 0.01 * ((i + j) % 2); // near constant
    const rows = Array.from({ length: 100 }, (_, i) => i);
    id.add(x, rows, (i) => i < 50);
    bg.add(x, rows, (i) => i >= 50);
    expect(spreadRatio(id, bg)!).toBeLessThan(0.01);
    expect(spreadRatio(bg, id)!).toBeGreaterThan(100);
    expect(spreadRatio(id, bg, 60)).toBeUndefined();
  });
});
