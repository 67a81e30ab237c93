import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.js';

describe('EventBus', () => {
  it('delivers typed payloads and unsubscribes', () => {
    const bus = new EventBus<{ a: number; b: string }>();
    const got: unknown[] = [];
    const off = bus.on('a', (n) => got.push(n * 2));
    bus.on('b', (s) => got.push(s.toUpperCase()));
    bus.emit('a', 2);
    bus.emit('b', 'x');
    off();
    bus.emit('a', 5);
    expect(got).toEqual([4, 'X']);
  });
});
