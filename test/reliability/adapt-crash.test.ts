// Promise 1b (adapt mode): an adapt run SIGKILLed at any moment leaves no half-written model, the previous current
// run stays current and usable, and the next adapt run on the same data resumes from the last epoch checkpoint
// instead of starting over. Random kills: SSOD_RELIABILITY_ADAPT_KILLS (default 2), plus one kill right after an
// epoch's checkpoint is written, which the resume is checked against.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineChild, cliArgv } from './helpers/child.js';
import { checkModelFiles, readRuns, runCli as cli, trainedProject, type RunRow } from './helpers/project-runs.js';
import { hashTree, treeDiff, type TreeHash } from './helpers/hash-tree.js';
import { baseSeed, envInt, rng } from './helpers/rng.js';

const KILLS = envInt('SSOD_RELIABILITY_ADAPT_KILLS', 2);
const TRAIN = ['--mode', 'adapt', '--input-size', '96', '--folds', '2'];
/** Tries at catching a run between two checkpoints (a run that finishes first is simply tried again). */
const CHECKPOINT_TRIES = 4;

let dir: string;
let source: string;
let project: string;
let before: TreeHash;
let span = 0;

const runs = (): RunRow[] => readRuns(project);

const checkpointFile = (): string => join(project, 'models', 'adapt.checkpoint', 'adapt-checkpoint.json');

/** Epochs the checkpoint on disk has completed, or null when there is none. */
function checkpointEpoch(): number | null {
  if (!existsSync(checkpointFile())) return null;
  return (JSON.parse(readFileSync(checkpointFile(), 'utf8')) as { epoch: number }).epoch;
}

const checkModels = (): number => checkModelFiles(project);

/** Starts an adapt run and resolves once its run row exists (start-up time varies a lot on a loaded machine). */
async function startRun(): Promise<LineChild> {
  const lastId = Math.max(0, ...runs().map((x) => x.id));
  const child = new LineChild(cliArgv('train', project, ...TRAIN, '--json'));
  while (child.proc.exitCode === null && !runs().some((x) => x.id > lastId)) {
    await new Promise((done) => setTimeout(done, 100));
  }
  return child;
}

/** After a kill: models parse, the next open fails the dead run, the previous current run still scores. */
function checkAfterKill(currentId: number): void {
  checkModels();
  const status = cli('status', project, '--json');
  expect(status.status, status.stderr).toBe(0);
  const reopened = runs();
  expect(reopened.filter((x) => x.status === 'running')).toEqual([]);
  const newest = reopened[reopened.length - 1] as RunRow;
  if (newest.status !== 'done') expect(reopened.find((x) => x.is_current === 1)?.id).toBe(currentId);
  const score = cli('score', project, '--json');
  expect(score.status, score.stderr).toBe(0);
}

function currentRunId(): number {
  const current = runs().find((x) => x.is_current === 1);
  expect(current?.status).toBe('done');
  return (current as RunRow).id;
}

beforeAll(async () => {
  ({ dir, source, project, before, span } = await trainedProject('ssod-adapt-crash-', 30, TRAIN));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('adapt mode under SIGKILL', () => {
  it(`${KILLS} random kills leave the previous run current and usable`, async () => {
    const seed = baseSeed();
    const r = rng(seed);
    for (let k = 0; k < KILLS; k += 1) {
      const currentId = currentRunId();
      const child = await startRun();
      await new Promise((done) => setTimeout(done, r.int(0, Math.round(span * 0.7))));
      const ended = await child.kill();
      expect(ended.signal === 'SIGKILL' || ended.code === 0, ended.stderr).toBe(true);
      checkAfterKill(currentId);
    }
    expect(treeDiff(before, hashTree(source))).toEqual([]);
    console.log(`adapt-crash: ${KILLS} random kills (seed ${seed}, a run takes ~${Math.round(span / 1000)} s)`);
  });

  it('a run killed after an epoch checkpoint is resumed by the next run', async () => {
    let killedAt: number | null = null;
    for (let t = 0; t < CHECKPOINT_TRIES && killedAt === null; t += 1) {
      const currentId = currentRunId();
      const child = await startRun();
      while (child.proc.exitCode === null && checkpointEpoch() === null) {
        await new Promise((done) => setTimeout(done, 50));
      }
      await child.kill();
      checkAfterKill(currentId);
      // The run may have finished (and cleared its checkpoint) before the kill landed: then try again.
      killedAt = checkpointEpoch();
    }
    expect(killedAt, `no kill landed between two checkpoints in ${CHECKPOINT_TRIES} tries`).not.toBeNull();
    const next = cli('train', project, ...TRAIN, '--json');
    expect(next.status, next.stderr).toBe(0);
    const done = runs().filter((x) => x.status === 'done');
    const newest = done[done.length - 1] as RunRow;
    expect(newest.is_current).toBe(1);
    const metrics = JSON.parse(newest.metrics ?? '{}') as {
      adapt?: { record?: { summary?: { resumedFromEpoch?: number; epochsRun?: number } } };
    };
    expect(metrics.adapt?.record?.summary?.resumedFromEpoch).toBe(killedAt);
    expect(checkpointEpoch()).toBeNull();
    checkModels();
    expect(treeDiff(before, hashTree(source))).toEqual([]);
  });
});
