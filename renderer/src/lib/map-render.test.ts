import { describe, expect, it } from 'vitest';
import { drawMarks, drawPoints, nearestPoint, packRgb } from './map-render.js';

describe('map rendering', () => {
  it('packs colours as ImageData pixels (RGBA bytes on a little-endian host)', () => {
    const px = new Uint32Array([packRgb('#102030')]);
    expect([...new Uint8Array(px.buffer)]).toEqual([0x10, 0x20, 0x30, 255]);
  });

  it('draws squares in drawing order, clipped to the canvas', () => {
    const [w, h] = [6, 4];
    const buf = new Uint32Array(w * h);
    const red = packRgb('#ff0000');
    const blue = packRgb('#0000ff');
    const layer = {
      sx: Float32Array.from([1, 1.4, 5.5]),
      sy: Float32Array.from([1, 1, 3.6]),
      colours: Uint32Array.from([red, blue, red]),
      order: Int32Array.from([1, 0, 2]),
    };
    drawPoints(buf, w, h, layer, 2, 1);
    // Point 0 is drawn after point 1 at the same spot: red wins. Point 2 is clipped at the corner.
    expect(buf[0 * w + 0]).toBe(red);
    expect(buf[1 * w + 1]).toBe(red);
    expect(buf[2 * w + 1]).toBe(0);
    expect(buf[3 * w + 5]).toBe(red);
    expect(buf.filter((v) => v !== 0).length).toBe(4 + 1);
  });

  it('scales to device pixels and skips points off screen', () => {
    const buf = new Uint32Array(8 * 8);
    const c = packRgb('#00ff00');
    const layer = {
      sx: Float32Array.from([2, -50]),
      sy: Float32Array.from([2, 3]),
      colours: Uint32Array.of(c, c),
      order: null,
    };
    drawPoints(buf, 8, 8, layer, 2, 2);
    expect(buf[4 * 8 + 4]).toBe(c);
    expect(buf[3 * 8 + 3]).toBe(c);
    expect(buf.filter((v) => v !== 0).length).toBe(4);
  });

  it('marks chosen points with a ring', () => {
    const buf = new Uint32Array(9 * 9);
    const m = packRgb('#000000');
    drawMarks(buf, 9, 9, { sx: Float32Array.of(4), sy: Float32Array.of(4) }, [0], m, 2, 1);
    expect(buf[2 * 9 + 4]).toBe(m);
    expect(buf[4 * 9 + 4]).toBe(0);
    expect(buf.filter((v) => v === m).length).toBe(16);
  });

  it('finds the nearest point within the distance, or none', () => {
    const sx = Float32Array.from([0, 10, 20]);
    const sy = Float32Array.from([0, 10, 20]);
    expect(nearestPoint(sx, sy, 11, 12, 5)).toBe(1);
    expect(nearestPoint(sx, sy, 40, 40, 5)).toBe(-1);
  });
});
