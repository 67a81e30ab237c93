import { describe, expect, it } from 'vitest';
import { TourState, type TourMemory } from './tour.svelte.js';

function memory(): TourMemory & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('the demo tour', () => {
  it('has four steps, walks forward and back, and ends after the last', () => {
    const tour = new TourState(memory());
    expect(tour.steps).toHaveLength(4);
    expect(tour.start()).toBe(true);
    expect(tour.current?.title).toMatch(/flagged/i);
    tour.back();
    expect(tour.step).toBe(0);
    tour.next();
    tour.next();
    tour.back();
    expect(tour.step).toBe(1);
    tour.next();
    tour.next();
    expect(tour.current?.action).toBe('go-train');
    tour.next();
    expect(tour.step).toBeNull();
    expect(tour.current).toBeNull();
  });

  it('is not shown again once finished or skipped, unless asked for', () => {
    const m = memory();
    const tour = new TourState(m);
    tour.start();
    tour.dismiss();
    expect(tour.step).toBeNull();
    expect(new TourState(m).start()).toBe(false);
    expect(new TourState(m).start(true)).toBe(true);
  });

  it('works without any storage (shows again next time)', () => {
    const tour = new TourState(null);
    tour.start();
    tour.dismiss();
    expect(tour.start()).toBe(true);
  });
});
