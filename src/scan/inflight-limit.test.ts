import { describe, expect, it } from 'vitest';
import { InflightLimit, SMALL_FILES_BUDGET } from './scanner.js';

describe('InflightLimit', () => {
  it('always admits the base count, whatever the file sizes', () => {
    const limit = new InflightLimit(2, 8);
    expect(limit.admits(SMALL_FILES_BUDGET * 4)).toBe(true);
    limit.add(SMALL_FILES_BUDGET * 4);
    expect(limit.admits(SMALL_FILES_BUDGET * 4)).toBe(true);
    limit.add(SMALL_FILES_BUDGET * 4);
    // Two big files in flight: a third file waits, however small.
    expect(limit.admits(10)).toBe(false);
  });

  it('admits extra small files up to max while their bytes fit the budget', () => {
    const limit = new InflightLimit(2, 4);
    for (let i = 0; i < 4; i++) {
      expect(limit.admits(1000)).toBe(true);
      limit.add(1000);
    }
    expect(limit.admits(1000)).toBe(false);
    limit.remove(1000);
    expect(limit.admits(1000)).toBe(true);
    expect(limit.admits(SMALL_FILES_BUDGET)).toBe(false);
  });

  it('with max equal to base (an explicit concurrency) never goes beyond it', () => {
    const limit = new InflightLimit(3, 3);
    for (let i = 0; i < 3; i++) limit.add(1);
    expect(limit.admits(1)).toBe(false);
  });
});
