// What the crash tests read back after a kill: the CLI run to completion, the project's runs, its model files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { REPO, cliArgv } from './child.js';
import { writeSmallImages } from './corpus.js';
import { hashTree, type TreeHash } from './hash-tree.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `ssod ARGS...` run to its end. */
export function runCli(...args: string[]): CliResult {
  const [node, ...rest] = cliArgv(...args);
  const r = spawnSync(node as string, rest, { cwd: REPO, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunRow {
  id: number;
  status: string;
  is_current: number;
  model_path: string | null;
  error: string | null;
  metrics: string | null;
}

/** The project's runs, oldest first, read from its database (read-only). */
export function readRuns(project: string): RunRow[] {
  const db = new Database(join(project, 'project.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT id, status, is_current, model_path, error, metrics FROM runs ORDER BY id')
      .all() as RunRow[];
  } finally {
    db.close();
  }
}

/** Every model file under its final name parses; every done run's model exists. Returns how many parsed. */
export function checkModelFiles(project: string): number {
  const models = join(project, 'models');
  let parsed = 0;
  for (const name of readdirSync(models)) {
    if (name.endsWith('.json')) {
      expect(() => JSON.parse(readFileSync(join(models, name), 'utf8')) as unknown, name).not.toThrow();
      parsed += 1;
    }
  }
  for (const run of readRuns(project).filter((r) => r.status === 'done')) {
    expect(run.model_path, `run ${run.id}`).toBeTruthy();
    const path = run.model_path as string;
    expect(existsSync(path.startsWith('/') ? path : join(project, path)), `run ${run.id}: ${path}`).toBe(true);
  }
  return parsed;
}

export interface TrainedProject {
  dir: string;
  source: string;
  project: string;
  /** The source folder's hashes before anything ran: it must never change. */
  before: TreeHash;
  /** How long the first training run took (ms): the window the kills are drawn from. */
  span: number;
}

/** A temp project over `images` small generated images (2 classes), scanned and trained once with `trainArgs`. */
export async function trainedProject(prefix: string, images: number, trainArgs: string[]): Promise<TrainedProject> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const source = join(dir, 'source');
  const project = join(dir, 'project');
  await writeSmallImages(source, images, { classes: 2, size: 48 });
  const before = hashTree(source);
  expect(runCli('init', project).status).toBe(0);
  const add = runCli('add', project, source, '--role', 'train', '--json');
  expect(add.status, add.stderr).toBe(0);
  const t0 = performance.now();
  const first = runCli('train', project, ...trainArgs, '--json');
  expect(first.status, first.stderr).toBe(0);
  return { dir, source, project, before, span: performance.now() - t0 };
}
