// Writes by another connection (as the command line makes them) are announced; our own are not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addSource, appendDecisions, openDatabase, touchScan, type Db } from '../db/index.js';
import { addScannedSource, finishedRun, scannedFile } from '../db/testing.js';
import type { ApiEvents, EventName } from '../shared/api.js';
import { watchExternalWrites, type EventSink } from './external-writes.js';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function twoConnections(): { app: Db; cli: Db } {
  const dir = mkdtempSync(join(tmpdir(), 'ssod-watch-'));
  dirs.push(dir);
  const app = openDatabase(join(dir, 'project.db'));
  const cli = openDatabase(join(dir, 'project.db'));
  dbs.push(app, cli);
  return { app, cli };
}

function recorder(): EventSink & { got: { name: EventName; payload: unknown }[] } {
  const got: { name: EventName; payload: unknown }[] = [];
  return {
    got,
    emit<K extends EventName>(name: K, payload: ApiEvents[K]) {
      got.push({ name, payload });
    },
  };
}

describe('watchExternalWrites', () => {
  it('announces decisions another connection committed, with the events themselves', () => {
    const { app, cli } = twoConnections();
    const { ids } = addScannedSource(app, '/data/train', 'train', [scannedFile('a/1.png'), scannedFile('a/2.png')]);
    const sink = recorder();
    const watch = watchExternalWrites(app, sink, 60_000);
    expect(watch.check()).toBe(false);
    appendDecisions(cli, { imageIds: [ids[0]!], action: 'reject', reviewer: 'cli', runId: null });
    expect(watch.check()).toBe(true);
    expect(sink.got).toHaveLength(1);
    const made = sink.got[0]!.payload as ApiEvents['decision.made'];
    expect(sink.got[0]!.name).toBe('decision.made');
    expect(made.action).toBe('reject');
    expect(made.events.map((e) => [e.imageId, e.reviewer])).toEqual([[ids[0], 'cli']]);
    expect(watch.check()).toBe(false); // announced once
    watch.stop();
  });

  it('stays quiet about its own connection’s writes', () => {
    const { app } = twoConnections();
    const { ids } = addScannedSource(app, '/data/train', 'train', [scannedFile('a/1.png')]);
    const sink = recorder();
    const watch = watchExternalWrites(app, sink, 60_000);
    appendDecisions(app, { imageIds: [ids[0]!], action: 'keep', reviewer: 'app', runId: null });
    expect(watch.check()).toBe(false);
    expect(sink.got).toEqual([]);
    watch.stop();
  });

  it('announces a rescan by another process as a finished scan', () => {
    const { app, cli } = twoConnections();
    const source = addSource(app, '/data/inbox', 'inbox');
    const sink = recorder();
    const watch = watchExternalWrites(app, sink, 60_000);
    touchScan(cli, source.id, '2030-01-01T00:00:00.000Z');
    expect(watch.check()).toBe(true);
    expect(sink.got.map((g) => g.name)).toEqual(['job.finished']);
    expect(sink.got[0]!.payload).toMatchObject({ kind: 'scan', outcome: 'done' });
    watch.stop();
  });

  it('announces a run trained by another process (ssod train) as the new current run', () => {
    const { app, cli } = twoConnections();
    const sink = recorder();
    const watch = watchExternalWrites(app, sink, 60_000);
    const id = finishedRun(cli, []);
    expect(watch.check()).toBe(true);
    expect(sink.got.map((g) => g.name)).toEqual(['run.done']);
    expect(sink.got[0]!.payload).toMatchObject({ id, isCurrent: true });
    expect(sink.got[0]!.payload).not.toHaveProperty('modelPath');
    watch.stop();
  });

  it('stops by itself once the project is closed', () => {
    const { app } = twoConnections();
    const watch = watchExternalWrites(app, recorder(), 60_000);
    app.close();
    expect(watch.check()).toBe(false);
  });
});
