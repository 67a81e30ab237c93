// What a newcomer meets before anything else, at the services: settings that work without a project, a folder
// of images opened as a project beside the app's data (and checked first), a demo that builds once, and writes
// by another process (the command line) announced to every open window.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiEvents } from '../shared/api.js';
import { isAppError } from '../shared/errors.js';
import { createServices, type Services } from './create-services.js';
import { BLUE, RED, colourSet, pixelEngineFactory } from './testing/curate-fixture.js';

let dir: string;
let home: string;
let services: Services;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-first-run-'));
  home = join(dir, 'home');
  await colourSet(join(dir, 'Shoe Photos', 'red'), 'r', RED, 4, 1);
  await colourSet(join(dir, 'Shoe Photos', 'blue'), 'b', BLUE, 4, 50);
  services = createServices({ dataDir: home, engineFactory: pixelEngineFactory() });
});

afterAll(async () => {
  await services?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('before any project exists', () => {
  it('keeps the reviewer’s name and theme as the person’s settings', async () => {
    expect(await services.api.projects.current()).toBeNull();
    expect(await services.api.settings.get()).toEqual({ reviewer: null, theme: 'system' });
    await services.api.settings.set({ reviewer: 'Ana', theme: 'dark' });
    const again = createServices({ dataDir: home, engineFactory: pixelEngineFactory() });
    expect(await again.api.settings.get()).toEqual({ reviewer: 'Ana', theme: 'dark' });
    await again.close();
  });
});

describe('opening a folder of images', () => {
  it('refuses a file, a missing folder and a folder without images, and creates nothing', async () => {
    writeFileSync(join(dir, 'list.txt'), 'x');
    mkdirSync(join(dir, 'no-images', 'a'), { recursive: true });
    const { projects } = services.api;
    expect(await refusal(projects.openFolder(join(dir, 'list.txt')))).toMatchObject({ code: 'invalid-argument' });
    expect(await refusal(projects.openFolder(join(dir, 'gone')))).toMatchObject({ code: 'not-found' });
    expect((await refusal(projects.openFolder(join(dir, 'no-images')))).message).toMatch(/no images/);
    expect(await projects.current()).toBeNull();
    expect(existsSync(join(home, 'projects'))).toBe(false);
  });

  it('makes the project in the app’s projects folder, scans the folder, and reopens it the next time', async () => {
    const folder = join(dir, 'Shoe Photos');
    const info = await services.api.projects.openFolder(folder);
    expect(info.path).toBe(join(home, 'projects', 'shoe-photos'));
    expect(info.name).toBe('Shoe Photos');
    const job = await services.api.jobs.active();
    expect(job?.kind).toBe('scan');
    await services.api.jobs.wait(job!.jobId);
    const status = await services.api.projects.status();
    expect(status.sources.map((s) => [s.path, s.role])).toEqual([[folder, 'train']]);
    expect(status.byStatus.ok).toBe(8);
    expect(existsSync(join(folder, 'project.db'))).toBe(false); // the user's folder is only read
    await services.api.projects.close();
    const again = await services.api.projects.openFolder(folder);
    expect(again.path).toBe(info.path);
    await services.api.jobs.wait((await services.api.jobs.active())!.jobId);
    expect((await services.api.sources.list()).length).toBe(1);
  });

  it('says why a project folder cannot be created', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const r = await refusal(services.api.projects.create(join(dir, 'a-file', 'project')));
    expect(r.code).toBe('refused');
    expect(r.message).toMatch(/cannot create the project folder/);
  });

  it('refuses a folder on a special filesystem at once (no endless mkdir under /proc)', async () => {
    const r = await refusal(services.api.projects.create('/proc/ssod-no-such-dir/project'));
    expect(r).toMatchObject({ code: 'refused' });
    expect(r.message).toMatch(/cannot create the project folder \/proc\/ssod-no-such-dir\/project/);
  });
});

describe('writes by another process', () => {
  it('reach this process as decision events', async () => {
    const p = await services.api.projects.current();
    const id = (await services.api.images.list({ limit: 1, sortBy: 'path' })).rows[0]!.id;
    const heard: ApiEvents['decision.made'][] = [];
    const off = services.bus.on('decision.made', (e) => heard.push(e));
    const cli = createServices({ dataDir: home, engineFactory: pixelEngineFactory() });
    await cli.api.projects.open(p!.path);
    await cli.api.review.decide({ imageIds: [id], action: 'reject', reviewer: 'terminal' });
    await cli.close();
    await vi.waitFor(() => expect(heard.length).toBe(1), { timeout: 10_000 });
    off();
    expect(heard[0]!.events.map((e) => [e.imageId, e.action, e.reviewer])).toEqual([[id, 'reject', 'terminal']]);
  });
});

describe('the demo', () => {
  it('builds once when started twice at once; the second call is told why', async () => {
    const demoDir = join(dir, 'demo-src');
    await colourSet(join(demoDir, 'train', 'red'), 'r', RED, 3, 100);
    await colourSet(join(demoDir, 'inbox'), 'i', BLUE, 2, 200);
    const s = createServices({ dataDir: join(dir, 'home2'), engineFactory: pixelEngineFactory(), demoDir });
    const target = join(dir, 'home2', 'projects', 'demo');
    const [first, second] = await Promise.allSettled([
      s.api.projects.createDemo(target),
      s.api.projects.createDemo(target),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(String((second as PromiseRejectedResult).reason)).toMatch(/already being built/);
    const job = await s.api.jobs.active();
    expect(job?.kind).toBe('demo');
    await s.api.jobs.cancel(job!.jobId);
    await s.api.jobs.wait(job!.jobId);
    expect((await s.api.settings.get()).reviewer).toBeNull(); // the demo does not answer for the person
    await s.close();
  });
});
