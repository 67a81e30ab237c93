import { describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../shared/errors.js';
import { createClient } from './client.js';
import { createDispatcher } from './dispatcher.js';
import { onEvent } from './events.js';
import { createLocalTransport } from './local-transport.js';
import { createFakeApi } from './testing/fake-api.js';

describe('createDispatcher', () => {
  it('calls the method with validated arguments and wraps the value', async () => {
    const fake = createFakeApi({ 'images.get': (id) => ({ id }) });
    const dispatch = createDispatcher(fake.api);
    expect(await dispatch({ service: 'images', method: 'get', args: [7] })).toEqual({ ok: true, value: { id: 7 } });
    expect(fake.calls).toEqual([{ service: 'images', method: 'get', args: [7] }]);
  });

  it('refuses malformed envelopes, unknown services and prototype names without calling anything', async () => {
    const fake = createFakeApi();
    const dispatch = createDispatcher(fake.api);
    const bad: unknown[] = [
      null,
      42,
      'images.get',
      [],
      { service: 'images' },
      { service: 'images', method: 'get', args: 'x' },
      { service: 'images', method: 'get', args: [1], extra: true },
      { service: 'nope', method: 'get', args: [] },
      { service: '__proto__', method: 'toString', args: [] },
      { service: 'constructor', method: 'name', args: [] },
      { service: 'images', method: '__proto__', args: [] },
      { service: 'images', method: 'constructor', args: [] },
      { service: 'images', method: 'toString', args: [] },
      { service: 'images', method: 'hasOwnProperty', args: ['get'] },
      { service: 'images', method: 'get', args: ['../../etc/passwd'] },
    ];
    for (const msg of bad) {
      const reply = await dispatch(msg);
      expect(reply.ok, JSON.stringify(msg)).toBe(false);
      if (!reply.ok) expect(['invalid-argument', 'not-found']).toContain(reply.error.code);
    }
    expect(fake.calls).toEqual([]);
  });

  it('turns thrown AppError into its code and other errors into internal', async () => {
    const fake = createFakeApi({
      'images.get': () => {
        throw new AppError('not-found', 'no image 9');
      },
      'images.classes': () => {
        throw new TypeError('bug');
      },
    });
    const dispatch = createDispatcher(fake.api);
    expect(await dispatch({ service: 'images', method: 'get', args: [9] })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no image 9' },
    });
    expect(await dispatch({ service: 'images', method: 'classes', args: [] })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'bug' },
    });
  });

  it('calls class-based services with their own `this`', async () => {
    class Images {
      private readonly prefix = 'img';
      get(id: number) {
        return Promise.resolve(`${this.prefix}${id}`);
      }
    }
    const fake = createFakeApi();
    const api = { ...fake.api, images: new Images() } as unknown as typeof fake.api;
    expect(await createDispatcher(api)({ service: 'images', method: 'get', args: [3] })).toEqual({
      ok: true,
      value: 'img3',
    });
  });
});

describe('createClient over the local transport', () => {
  it('gives back typed methods and rethrows AppError', async () => {
    const fake = createFakeApi({
      'settings.get': () => ({ reviewer: 'ana', theme: 'dark' }),
      'runs.get': () => {
        throw new AppError('no-run', 'no run yet');
      },
    });
    const client = createClient(createLocalTransport(fake.api, fake.events));
    expect(await client.settings.get()).toEqual({ reviewer: 'ana', theme: 'dark' });
    const err = await client.runs.get(1).catch((e: unknown) => e);
    expect(isAppError(err, 'no-run')).toBe(true);
    const bad = await client.images.get('x' as unknown as number).catch((e: unknown) => e);
    expect(isAppError(bad, 'invalid-argument')).toBe(true);
  });

  it('is not a thenable, so it can be returned from async functions', async () => {
    const fake = createFakeApi();
    const client = createClient(createLocalTransport(fake.api));
    const same = await Promise.resolve(client);
    expect(same).toBe(client);
    expect(await Promise.resolve(client.images)).toBe(client.images);
  });

  it('delivers typed events by name and unsubscribes', () => {
    const fake = createFakeApi();
    const transport = createLocalTransport(fake.api, fake.events);
    const seen: number[] = [];
    const off = onEvent(transport, 'job.progress', (p) => seen.push(p.done));
    fake.events.emit('job.progress', {
      jobId: 'j',
      kind: 'scan',
      phase: 'walk',
      done: 3,
      total: 9,
      rate: 1,
      etaSeconds: 6,
    });
    fake.events.emit('project.changed', null);
    off();
    fake.events.emit('job.progress', {
      jobId: 'j',
      kind: 'scan',
      phase: 'walk',
      done: 4,
      total: 9,
      rate: 1,
      etaSeconds: 5,
    });
    expect(seen).toEqual([3]);
    expect(fake.events.listenerCount()).toBe(0);
  });
});
