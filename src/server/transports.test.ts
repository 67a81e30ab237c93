// One fake service, three transports (in-process, HTTP, IPC), the same assertions: what a client sees must not
// depend on the wire.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Api } from '../shared/api.js';
import type { ReviewEvent } from '../shared/dto.js';
import { AppError, isAppError } from '../shared/errors.js';
import { createClient } from '../rpc/client.js';
import { onEvent } from '../rpc/events.js';
import { createFakeApi, type FakeApi } from '../rpc/testing/fake-api.js';
import { TRANSPORT_NAMES, startFakeTransports, type FakeTransports } from './testing/fake-transports.js';

const event: ReviewEvent = {
  id: 1,
  imageId: 4,
  action: 'reject',
  newClass: null,
  note: 'a dog',
  reviewer: 'ana',
  at: '2025-01-01T00:00:00.000Z',
  runId: null,
  scores: { ssod: 0.9 },
  undoes: null,
};

function makeFake(): FakeApi {
  return createFakeApi({
    'review.decide': () => [event],
    'images.classes': () => ['cat', 'dog'],
    'images.get': (id) => {
      throw new AppError('not-found', `no image ${String(id)}`);
    },
    'jobs.active': () => {
      throw new Error('engine exploded');
    },
  });
}

let wires: FakeTransports;

beforeAll(async () => {
  wires = await startFakeTransports(makeFake);
});

afterAll(async () => {
  await wires.close();
});

describe.each(TRANSPORT_NAMES)('rpc over the %s transport', (name) => {
  const client = () => createClient<Api>(wires.transports[name]);
  const fake = () => wires.fakes[name];

  it('calls a method with its arguments and returns its value', async () => {
    fake().calls.length = 0;
    const out = await client().review.decide({ imageIds: [4], action: 'reject', note: 'a dog' });
    expect(out).toEqual([event]);
    expect(await client().images.classes()).toEqual(['cat', 'dog']);
    expect(fake().calls).toEqual([
      { service: 'review', method: 'decide', args: [{ imageIds: [4], action: 'reject', note: 'a dog' }] },
      { service: 'images', method: 'classes', args: [] },
    ]);
  });

  it('rethrows expected failures as AppError with their code, bugs as internal Error', async () => {
    const notFound = await client()
      .images.get(12)
      .catch((e: unknown) => e);
    expect(isAppError(notFound, 'not-found')).toBe(true);
    expect((notFound as Error).message).toBe('no image 12');
    const bug = await client()
      .jobs.active()
      .catch((e: unknown) => e);
    expect(bug).toBeInstanceOf(Error);
    expect(isAppError(bug)).toBe(false);
    expect((bug as Error).message).toBe('engine exploded');
  });

  it('refuses invalid arguments before the service sees them', async () => {
    fake().calls.length = 0;
    const bad = await client()
      .review.decide({ imageIds: ['1; DROP TABLE'], action: 'reject' } as never)
      .catch((e: unknown) => e);
    expect(isAppError(bad, 'invalid-argument')).toBe(true);
    const unknown = await (client() as unknown as { images: { constructor: () => Promise<unknown> } }).images
      .constructor()
      .catch((e: unknown) => e);
    expect(isAppError(unknown, 'not-found')).toBe(true);
    expect(fake().calls).toEqual([]);
  });

  it('delivers events in order, typed by name', async () => {
    const transport = wires.transports[name];
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const offProgress = onEvent(transport, 'job.progress', (p) => seen.push(`${p.phase}:${p.done}`));
    const offFinished = onEvent(transport, 'job.finished', (r) => {
      seen.push(`finished:${r.outcome}`);
      done();
    });
    await waitForListeners(fake());
    fake().events.emit('job.progress', {
      jobId: 'j',
      kind: 'scan',
      phase: 'walk',
      done: 1,
      total: 2,
      rate: 1,
      etaSeconds: 1,
    });
    fake().events.emit('job.progress', {
      jobId: 'j',
      kind: 'scan',
      phase: 'walk',
      done: 2,
      total: 2,
      rate: 1,
      etaSeconds: 0,
    });
    fake().events.emit('job.finished', { jobId: 'j', kind: 'scan', outcome: 'done' });
    await finished;
    offProgress();
    offFinished();
    expect(seen).toEqual(['walk:1', 'walk:2', 'finished:done']);
  });
});

/** The HTTP stream subscribes on the server once its request arrives: wait for that state, not for a time. */
async function waitForListeners(fake: FakeApi): Promise<void> {
  await vi.waitFor(() => expect(fake.events.listenerCount()).toBeGreaterThan(0), { timeout: 30_000, interval: 5 });
}
