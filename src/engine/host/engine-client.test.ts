import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAppError } from '../../shared/errors.js';
import { BACKEND_ORDER } from '../backends/select-backend.js';
import { createForkedEngine, type EngineClient } from './engine-client.js';
import type { ImageItem, EngineProgress } from './protocol.js';

const depsModule = fileURLToPath(new URL('./fixtures/fake-deps.ts', import.meta.url));
let dir: string;
let cacheDir: string;
let engine: EngineClient;

async function image(name: string, content: string): Promise<ImageItem> {
  const path = join(dir, name);
  await writeFile(path, content);
  return { path, sha256: createHash('sha256').update(content).digest('hex') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-engine-'));
  cacheDir = join(dir, 'cache');
  engine = createForkedEngine({ depsModule, workers: 1 });
});
afterAll(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('engine process', () => {
  it('reports the backend it selected and why each faster one was skipped', async () => {
    const status = await engine.status();
    expect(status.pid).toBeGreaterThan(0);
    expect(status.pid).not.toBe(process.pid);
    expect(status.busy).toBeNull();
    expect(BACKEND_ORDER).toContain(status.backend.name);
    for (const faster of BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(status.backend.name))) {
      expect(status.backend.skipped[faster]).toMatch(/\w/);
    }
  });

  it('extracts into the cache, reports corrupt images per item, skips cached ones, trains and scores', async () => {
    const items = await Promise.all(Array.from({ length: 11 }, (_, i) => image(`ok-${i}.txt`, String(i + 1))));
    const bad = await image('bad.txt', 'CORRUPT');
    const progress: EngineProgress[] = [];
    const first = await engine.extract({ items: [...items, bad], backbone: { spec: 'fake' }, cacheDir }, (p) =>
      progress.push(p),
    );
    expect(first.extracted).toBe(11);
    expect(first.cached).toBe(0);
    expect(first.failed).toEqual([
      {
        sha256: bad.sha256,
        path: bad.path,
        code: 'invalid-argument',
        message: expect.stringContaining('bad.txt') as string,
      },
    ]);
    expect(first.backboneKey).toBe('fake@1/2');
    expect(first.workers).toBe(1);
    expect(progress.at(-1)).toMatchObject({ phase: 'extract', done: 12, total: 12 });

    const extra = await image('ok-new.txt', '42');
    const second = await engine.extract({ items: [...items, extra], backbone: { spec: 'fake' }, cacheDir });
    expect(second).toMatchObject({ extracted: 1, cached: 11, failed: [] });

    const modelOut = join(dir, 'models', 'run-1.json');
    await mkdir(join(dir, 'models'));
    const trained = await engine.train({
      cacheDir,
      backboneKey: first.backboneKey,
      classes: ['a', 'b'],
      train: items.map((it, i) => ({ sha256: it.sha256, label: i % 2 })),
      score: [extra.sha256],
      modelOut,
    });
    expect(trained.modelPath).toBe(modelOut);
    expect(trained.scores.map((s) => s.sha256)).toEqual([...items.map((it) => it.sha256), extra.sha256]);
    expect(trained.scores.map((s) => s.scores.ssod)).toEqual([...items.map((_, i) => i + 1), 42]);
    const files = (await readdir(join(dir, 'models'))).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^run-1\.[0-9a-f]{8}\.bin$/);
    expect(files[1]).toBe('run-1.json');

    const scores = await engine.score({ modelPath: modelOut, cacheDir, items: [extra.sha256, items[2]?.sha256 ?? ''] });
    expect(scores.map((s) => s.scores.ssod)).toEqual([42, 3]);

    const missing = await engine
      .score({ modelPath: modelOut, cacheDir, items: ['0'.repeat(64)] })
      .catch((e: unknown) => e);
    expect(isAppError(missing, 'not-found')).toBe(true);
  });

  it('cancels a running extraction and stays usable', async () => {
    const items = await Promise.all(Array.from({ length: 3 }, (_, i) => image(`block-${i}.txt`, `BLOCK ${i}`)));
    const abort = new AbortController();
    const job = engine.extract(
      { items, backbone: { spec: 'fake' }, cacheDir },
      (p) => {
        if (p.phase === 'extract') abort.abort();
      },
      abort.signal,
    );
    const err = await job.catch((e: unknown) => e);
    expect(isAppError(err, 'cancelled')).toBe(true);
    expect((await engine.status()).busy).toBeNull();
  });

  it('refuses a second job while one runs; a killed engine fails the job and the next call starts a new one', async () => {
    const items = [await image('block-k.txt', 'BLOCK k')];
    let running!: () => void;
    const started = new Promise<void>((r) => (running = r));
    const job = engine
      .extract({ items, backbone: { spec: 'fake' }, cacheDir }, (p) => {
        if (p.phase === 'extract') running();
      })
      .catch((e: unknown) => e);
    await started;
    const busy = await engine.extract({ items, backbone: { spec: 'fake' }, cacheDir }).catch((e: unknown) => e);
    expect(isAppError(busy, 'busy')).toBe(true);
    const before = await engine.status();
    expect(before.busy).toMatchObject({ kind: 'extract', phase: 'extract' });

    process.kill(before.pid, 'SIGKILL');
    const err = await job;
    expect(isAppError(err, 'engine-failed')).toBe(true);
    expect((err as Error).message).toMatch(/SIGKILL/);

    const after = await engine.status();
    expect(after.pid).not.toBe(before.pid);
    expect(after.busy).toBeNull();
  });
});
