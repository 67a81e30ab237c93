import { describe, expect, it } from 'vitest';
import { EMPTY_FILTERS, queryKey, toQuery } from './query.js';

describe('review query', () => {
  it('sends a map selection and a quality kind as ImageQuery.selection and .quality', () => {
    const q = toQuery(
      { ...EMPTY_FILTERS, selection: { id: 7, count: 12, origin: 'lasso on the map' }, quality: 'blurry' },
      'ssod',
      'desc',
      null,
    );
    expect(q).toEqual({ sortBy: 'ssod', order: 'desc', selection: 7, quality: 'blurry' });
  });

  it('leaves both out when unset, and a new selection is a new query', () => {
    const none = toQuery(EMPTY_FILTERS, 'ssod', 'desc', null);
    expect(none).toEqual({ sortBy: 'ssod', order: 'desc' });
    const a = toQuery({ ...EMPTY_FILTERS, selection: { id: 1, count: 3, origin: 'x' } }, 'ssod', 'desc', null);
    const b = toQuery({ ...EMPTY_FILTERS, selection: { id: 2, count: 3, origin: 'x' } }, 'ssod', 'desc', null);
    expect(queryKey(a)).not.toBe(queryKey(b));
    expect(queryKey(none)).not.toBe(queryKey(a));
  });
});
