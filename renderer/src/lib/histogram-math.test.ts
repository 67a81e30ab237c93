import { describe, expect, it } from 'vitest';
import { binCenters, countAbove, valueAtX } from './histogram-math.js';
import { heatmapRgba, normalisedOod } from './heatmap.js';
import { formatEta, formatRate } from './format.js';
import { queryKey, toQuery, EMPTY_FILTERS } from './query.js';
import type { Histogram } from '../../../src/shared/dto.js';

const h: Histogram = {
  scorer: 'ssod',
  min: 0,
  max: 10,
  bins: 5,
  series: [
    { label: 'ID', counts: [10, 10, 10, 0, 0] },
    { label: 'flagged', counts: [0, 0, 0, 4, 6] },
  ],
  threshold: 6,
};

describe('histogram math', () => {
  it('counts images above a threshold, interpolating inside a bin', () => {
    expect(countAbove(h, 0)).toBe(40);
    expect(countAbove(h, 6)).toBe(10);
    expect(countAbove(h, 7)).toBe(8);
    expect(countAbove(h, 10)).toBe(0);
    expect(binCenters(h)).toEqual([1, 3, 5, 7, 9]);
  });

  it('maps pixels to scores', () => {
    expect(valueAtX(50, 100, 0, 10)).toBe(5);
    expect(valueAtX(-5, 100, 0, 10)).toBe(0);
  });
});

describe('heatmap', () => {
  it('normalises with the dataset range, not the image range', () => {
    const hm = { h: 1, w: 2, values: [0.5, 0.6], datasetMin: 0, datasetMax: 1 };
    const ood = normalisedOod(hm);
    expect(ood[0]).toBeCloseTo(0.5);
    expect(ood[1]).toBeCloseTo(0.4);
    expect(heatmapRgba(hm)).toHaveLength(8);
  });
});

describe('format and query', () => {
  it('formats ETA and rate', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(75)).toBe('1 min 15 s');
    expect(formatRate(12.34)).toBe('12.3 img/s');
  });

  it('builds queries and keys that ignore paging', () => {
    const q = toQuery({ ...EMPTY_FILTERS, class: 'Bag', flagged: 'yes' }, 'ssod', 'desc', 2.5);
    expect(q).toEqual({ sortBy: 'ssod', order: 'desc', class: 'Bag', flagged: true, threshold: 2.5 });
    expect(queryKey({ ...q, offset: 10, limit: 5 })).toBe(queryKey(q));
    expect(queryKey({ ...q, class: 'Coat' })).not.toBe(queryKey(q));
  });
});
