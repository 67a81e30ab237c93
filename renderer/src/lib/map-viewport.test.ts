import { describe, expect, it } from 'vitest';
import { boundsOf, HOME, MapProjection, panBy, zoomAt } from './map-viewport.js';

const xs = Float32Array.from([-2, 0, 2, 1]);
const ys = Float32Array.from([5, 6, 7, 9]);

describe('map viewport', () => {
  it('fits the bounding box inside the canvas, centred, with its aspect ratio kept', () => {
    const b = boundsOf(xs, ys);
    expect(b).toEqual({ x0: -2, x1: 2, y0: 5, y1: 9 });
    const proj = new MapProjection(b, 420, 220);
    const sx = new Float32Array(4);
    const sy = new Float32Array(4);
    proj.project(HOME, xs, ys, sx, sy);
    // 4 × 4 map units into 400 × 200 usable pixels: 50 px per unit both ways, 200 px wide in 420: centred.
    expect([...sx]).toEqual([110, 210, 310, 260]);
    expect([...sy]).toEqual([10, 60, 110, 210]);
  });

  it('toMap inverts toScreen and project under any zoom and pan', () => {
    const proj = new MapProjection(boundsOf(xs, ys), 900, 560);
    const view = panBy(zoomAt(HOME, 3.7, 123, 45), -31, 17);
    const sx = new Float32Array(4);
    const sy = new Float32Array(4);
    proj.project(view, xs, ys, sx, sy);
    for (let i = 0; i < 4; i++) {
      const [x, y] = proj.toMap(view, sx[i]!, sy[i]!);
      expect(x).toBeCloseTo(xs[i]!, 4);
      expect(y).toBeCloseTo(ys[i]!, 4);
      const [px, py] = proj.toScreen(view, xs[i]!, ys[i]!);
      expect(px).toBeCloseTo(sx[i]!, 3);
      expect(py).toBeCloseTo(sy[i]!, 3);
    }
  });

  it('zooming keeps the point under the cursor in place, within limits', () => {
    const proj = new MapProjection(boundsOf(xs, ys), 900, 560);
    const before = proj.toMap(HOME, 300, 200);
    const view = zoomAt(HOME, 2, 300, 200);
    expect(view.scale).toBe(2);
    const after = proj.toMap(view, 300, 200);
    expect(after[0]).toBeCloseTo(before[0], 9);
    expect(after[1]).toBeCloseTo(before[1], 9);
    expect(zoomAt(HOME, 1e9, 0, 0).scale).toBe(2000);
    expect(zoomAt(HOME, 1e-9, 0, 0).scale).toBe(0.2);
  });

  it('an empty map has unit bounds rather than infinities', () => {
    expect(boundsOf(new Float32Array(0), new Float32Array(0))).toEqual({ x0: 0, x1: 1, y0: 0, y1: 1 });
  });
});
