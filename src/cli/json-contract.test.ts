// The CLI's machine-readable contract, frozen: a small Fashion-MNIST project built with `ssod` itself, every
// command's --json output, stderr and exit code compared with a recorded file. Paths, times and durations are
// masked; scores are rounded so the file pins shapes and values, not the last float bit. The pixel-statistics
// backbone keeps training in seconds; everything else (engine process, database, scanner) is the real thing.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FASHION_CLASSES,
  FASHION_DIR,
  loadFashion,
  pickPerClass,
  writeGreyPng,
} from '../../scripts/data/fashion-mnist.js';
import { pixelEngineFactory } from '../services/testing/curate-fixture.js';
import { runSsod } from './testing/run-ssod.js';

const HAVE_DATA = existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
let dir: string;
let inbox: string[] = [];

/** Writes class folders of 28×28 PNGs; returns the files written, in Fashion-MNIST order. */
async function writeFashion(out: string, classes: number[], perClass: number, skip: number): Promise<string[]> {
  const { images, labels } = loadFashion('train');
  const files: string[] = [];
  for (const i of pickPerClass(labels, classes, perClass, skip)) {
    const folder = join(out, FASHION_CLASSES[labels[i]!]!);
    await mkdir(folder, { recursive: true });
    files.push(join(folder, `f${i}.png`));
    await writeGreyPng(images, i, files[files.length - 1]!);
  }
  return files;
}

const VOLATILE_KEYS = new Set(['seconds', 'createdAt', 'finishedAt', 'startedAt', 'at', 'durationMs', 'mtime']);
// Image ids follow the scanner's parallel decode order, and training scores follow the ids' fold assignment.
const IMAGE_ID_KEYS = new Set(['imageId', 'imageIds']);
// So which image a model flags, predicts or moves is pinned by count only.
const MODEL_KEYS = new Set(['predicted', 'flagged', 'flaggedA', 'flaggedB', 'suggested']);
const MODEL_LISTS = new Set(['largestChanges', 'newlyFlagged', 'newlyCleared']);
const ENGINE_KEYS = new Set([
  'metrics',
  'scorers',
  'thresholds',
  'scores',
  'calibrated',
  'calibratedThresholds',
  'perScorer',
  'roc',
  'backendSkipped',
]);
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Masks what differs between machines and runs: the temp folder, clock times, durations, float noise. */
function normalise(value: unknown, key = ''): unknown {
  // The engine's own reporting (which scorers a run has, its metrics, why a backend was skipped) is the engine's
  // to change; the CLI's contract is everything around it.
  if (ENGINE_KEYS.has(key)) return '<engine>';
  if (MODEL_KEYS.has(key)) return '<model>';
  // A suggestion is the model's, like `predicted`: its shape is pinned, the class it names is not.
  if (key === 'suggestion' && value && typeof value === 'object') return normalise({ ...value, class: '<model>' });
  // A bulk-accept preview counts the model's suggestions above a cut: its shape is pinned, its counts are not.
  if (value && typeof value === 'object' && 'skippedFlagged' in value) {
    const counts = ['count', 'perClass', 'expectedWrong', 'skippedFlagged', 'belowCut'];
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, counts.includes(k) ? '<model>' : normalise(v, k)]),
    );
  }
  if (MODEL_LISTS.has(key) && Array.isArray(value)) return `<${value.length} images>`;
  if (typeof value === 'string') {
    if (TIME.test(value)) return '<time>';
    return value.split(dir).join('<dir>');
  }
  if (typeof value === 'number') {
    if (VOLATILE_KEYS.has(key) || /Ms$|Seconds$|At$/.test(key)) return '<n>';
    if (IMAGE_ID_KEYS.has(key)) return '<image>';
    return Number.isInteger(value) ? value : '<float>';
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => normalise(v, IMAGE_ID_KEYS.has(key) ? key : ''));
    // Rows sorted by a score come in an order that float noise may change; the set is what is pinned.
    return items.every((v) => typeof v === 'object') ? sortByJson(items) : items;
  }
  if (value && typeof value === 'object') {
    // Maps keyed by image id (a run's label snapshot, decisions per image): their size is what is stable.
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return `<${keys.length} by image>`;
    const isImage = 'relPath' in value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isImage && k === 'id' ? '<image>' : normalise(v, k)]),
    );
  }
  return value;
}

function sortByJson(items: unknown[]): unknown[] {
  return items
    .map((v) => [JSON.stringify(v), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, v]) => v);
}

function parseOutput(out: string): unknown {
  const text = out.trim();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text.split('\n').map((line) => JSON.parse(line) as unknown);
  }
}

interface Recorded {
  argv: string[];
  code: number;
  json: unknown;
  err: string;
}

async function ssod(...argv: string[]): Promise<Recorded> {
  const services = { dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() };
  const { code, out, err } = await runSsod([...argv, '--json'], services);
  const shown = argv.map((a) => a.split(dir).join('<dir>'));
  return { argv: shown, code, json: normalise(parseOutput(out)), err: err.split(dir).join('<dir>').trim() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-contract-'));
  if (!HAVE_DATA) return;
  await writeFashion(join(dir, 'train'), [0, 1, 7], 10, 0);
  inbox = await writeFashion(join(dir, 'inbox'), [1, 8], 3, 20);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.runIf(HAVE_DATA)('ssod --json on a small Fashion-MNIST project', () => {
  it('prints the same documents and exit codes as recorded', async () => {
    const p = join(dir, 'project');
    const bags = inbox.filter((f) => f.includes('/Bag/'));
    const trouser = inbox.find((f) => f.includes('/Trouser/'))!;
    const steps: Recorded[] = [];
    const run = async (...argv: string[]) => steps.push(await ssod(...argv));
    await run('init', p, '--name', 'contract');
    await run('add', p, join(dir, 'train'), '--role', 'train');
    await run('add', p, join(dir, 'inbox'), '--role', 'inbox');
    await run('add', p, join(dir, 'inbox'), '--role', 'other');
    await run('status', p);
    await run('scan', p);
    await run('list', p, '--limit', '5');
    await run('list', p, '--role', 'nope');
    await run('train', p, '--folds', '1');
    await run('train', p, '--mode', 'sideways');
    await run('train', p, '--epochs', '3', '--seed', '7', '--folds', '3');
    await run('score', p);
    await run('list', p, '--sort', 'ssod');
    await run('review', p, join(dir, 'inbox', 'Bag', 'nope.png'), '--keep');
    await run('review', p, bags[0]!, '--keep', '--reject');
    await run('review', p, bags[0]!, '--reject', '--note', 'a bag', '--reviewer', 'ana');
    await run('review', p, bags[1]!, '--relabel', 'Trouser', '--reviewer', 'ana');
    await run('review', p, trouser, '--keep', '--reviewer', 'x'.repeat(100));
    await run('review', p, bags[0]!, '--undo', '--reviewer', 'ana');
    await run('history', p);
    await run('history', p, bags[1]!, '--limit', '1');
    await run('train', p, '--epochs', '3', '--seed', '7', '--folds', '3');
    await run('runs', p);
    await run('runs', p, '--use', '1');
    await run('runs', p, '--use', '0');
    await run('diff', p, '1', '2', '--limit', '3');
    await run('diff', p, 'x');
    await run('eval', p, '--from-reviews');
    await run('eval', p);
    await run('export', p, join(dir, 'out'), '--mode', 'copy', '--include', 'all');
    await run('export', p, join(dir, 'out2'), '--format', 'xml');
    await run('verify', join(dir, 'out'));
    await run('classes', p);
    await run('classes', p, '--create', 'Bag');
    await run('classes', p, '--create', 'bag');
    await run('label', p, bags[2]!, '--class', 'Shoe', '--reviewer', 'ana');
    await run('label', p, bags[2]!, '--class', 'Bag', '--reviewer', 'ana');
    await run('list', p, '--unlabelled', '--order', 'informative');
    await run('label', p, '--accept-suggestions', '--min-confidence', '0.5', '--dry-run');
    await run('label', p, '--accept-suggestions');
    await run('label', p, '--batches');
    await run('label', p, '--undo', '--reviewer', 'ana');
    await run('label', p, '--undo', '999', '--reviewer', 'ana');
    await run('status', join(dir, 'no-such-project'));
    await run('bogus');
    // Last, so that what they change cannot move anything above: one rule for a reviewer's name everywhere.
    await run('review', p, trouser, '--keep', '--reviewer', '');
    await run('review', p, trouser, '--keep', '--reviewer', 'x'.repeat(101));
    await expect(JSON.stringify(steps, null, 1)).toMatchFileSnapshot('./testing/json-contract.snap');
  }, 240_000);
});
