import { describe, expect, it } from 'vitest';
import type { MapPointInfo } from '../../../src/shared/curation-dto.js';
import { categoryColour, colourPoints, scaleColour, SCORE_STOPS } from './map-colour.js';
import { packRgb } from './map-render.js';

function pt(i: number, over: Partial<MapPointInfo>): MapPointInfo {
  return {
    imageId: i + 1,
    x: i,
    y: i,
    path: `/d/${i}.png`,
    class: null,
    score: null,
    flagged: null,
    decision: null,
    quality: [],
    ...over,
  };
}

describe('map colouring', () => {
  it('by class: one colour per class, unlabelled grey, counts in the legend', () => {
    const points = [pt(0, { class: 'b' }), pt(1, { class: 'a' }), pt(2, {}), pt(3, { class: 'b' })];
    const c = colourPoints(points, 'class', 'ssod');
    expect(c.legend).toEqual({
      kind: 'categories',
      entries: [
        { label: 'no class', colour: '#a0a6b0', count: 1 },
        { label: 'a', colour: categoryColour(0), count: 1 },
        { label: 'b', colour: categoryColour(1), count: 2 },
      ],
    });
    expect(c.colours[0]).toBe(c.colours[3]);
    expect(c.colours[0]).not.toBe(c.colours[1]);
    expect(new Set(Array.from({ length: 40 }, (_, i) => categoryColour(i))).size).toBe(40);
  });

  it('by flag and decision: what a reviewer looks for is drawn last (on top)', () => {
    const points = [pt(0, { flagged: true }), pt(1, { flagged: false }), pt(2, {}), pt(3, { decision: 'reject' })];
    const f = colourPoints(points, 'flag', 'ssod');
    expect(f.order.at(-1)).toBe(0);
    expect(f.legend.kind === 'categories' && f.legend.entries.map((e) => `${e.label}:${e.count}`)).toEqual([
      'not scored:2',
      'not flagged:1',
      'flagged:1',
    ]);
    const d = colourPoints(points, 'decision', 'ssod');
    expect(d.order.at(-1)).toBe(3);
    expect(d.legend.kind === 'categories' && d.legend.entries.map((e) => e.label)).toEqual(['undecided', 'rejected']);
  });

  it('by score: a continuous scale between the 1st and 99th percentile, unscored grey, highest on top', () => {
    const points = Array.from({ length: 201 }, (_, i) => pt(i, { score: i === 200 ? 1e6 : i / 100 }));
    points.push(pt(201, {}));
    const c = colourPoints(points, 'score', 'knn');
    expect(c.legend.kind).toBe('scale');
    if (c.legend.kind !== 'scale') return;
    expect(c.legend.scorer).toBe('knn');
    expect(c.legend.unscored).toBe(1);
    expect(c.legend.low).toBeCloseTo(0.02, 9);
    expect(c.legend.high).toBeCloseTo(1.98, 9);
    expect(c.colours[0]).toBe(packRgb(SCORE_STOPS[0]!));
    expect(c.colours[200]).toBe(packRgb(SCORE_STOPS.at(-1)!));
    expect(c.colours[201]).toBe(packRgb('#a0a6b0'));
    expect(c.order.at(-1)).toBe(200);
    expect(c.order[0]).toBe(201);
  });

  it('the scale interpolates between its stops', () => {
    expect(scaleColour(0)).toBe(SCORE_STOPS[0]);
    expect(scaleColour(1)).toBe(SCORE_STOPS.at(-1));
    expect(scaleColour(0.5)).toBe(SCORE_STOPS[4]);
    expect(scaleColour(-3)).toBe(SCORE_STOPS[0]);
  });
});
