import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from './event-bus.js';

interface Events {
  a: number;
  b: string;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('EventBus', () => {
  it('delivers typed payloads to the handlers of that name and stops after unsubscribing', () => {
    const bus = new EventBus<Events>();
    const got: unknown[] = [];
    const off = bus.on('a', (n) => got.push(n * 2));
    bus.on('b', (s) => got.push(s.toUpperCase()));
    bus.emit('a', 2);
    bus.emit('b', 'x');
    off();
    bus.emit('a', 5);
    expect(got).toEqual([4, 'X']);
  });

  it('hands every event with its name to onAny listeners, after the named ones', () => {
    const bus = new EventBus<Events>();
    const order: string[] = [];
    bus.onAny((name, payload) => order.push(`any:${String(name)}=${String(payload)}`));
    bus.on('b', (s) => order.push(`b=${s}`));
    bus.emit('b', 'y');
    bus.emit('a', 1);
    expect(order).toEqual(['b=y', 'any:b=y', 'any:a=1']);
  });

  it('reports a throwing listener and still delivers to the others', () => {
    const reported = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const bus = new EventBus<Events>();
    const got: number[] = [];
    bus.on('a', () => {
      throw new Error('broken subscriber');
    });
    bus.on('a', (n) => got.push(n));
    bus.onAny(() => got.push(-1));
    bus.emit('a', 3);
    expect(got).toEqual([3, -1]);
    expect(reported).toHaveBeenCalledTimes(1);
  });

  it('keeps the current delivery unchanged when a handler unsubscribes or subscribes while handling', () => {
    const bus = new EventBus<Events>();
    const got: string[] = [];
    const offFirst = bus.on('a', () => {
      got.push('first');
      offFirst();
      bus.on('a', () => got.push('late'));
    });
    bus.on('a', () => got.push('second'));
    bus.emit('a', 0);
    expect(got).toEqual(['first', 'second']);
    got.length = 0;
    bus.emit('a', 0);
    expect(got).toEqual(['second', 'late']);
  });

  it('counts named and onAny listeners, and forgets them when they unsubscribe', () => {
    const bus = new EventBus<Events>();
    const offA = bus.on('a', () => undefined);
    bus.on('b', () => undefined);
    const offAny = bus.onAny(() => undefined);
    expect(bus.listenerCount()).toBe(3);
    offA();
    offAny();
    expect(bus.listenerCount()).toBe(1);
  });
});
