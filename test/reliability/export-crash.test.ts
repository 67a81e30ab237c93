// Issue 5's promise under SIGKILL: `ssod export` killed at a random moment leaves either nothing at OUT or a
// complete export that `ssod verify` accepts; the sources stay byte-for-byte unchanged and the project keeps
// working (the next export succeeds). SSOD_RELIABILITY_EXPORT_KILLS=100 for a longer run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineChild, REPO, cliArgv } from './helpers/child.js';
import { writeSmallImages } from './helpers/corpus.js';
import { hashTree, treeDiff, type TreeHash } from './helpers/hash-tree.js';
import { scannedProject } from './helpers/project-setup.js';
import { baseSeed, envInt, rng } from './helpers/rng.js';

const KILLS = envInt('SSOD_RELIABILITY_EXPORT_KILLS', 10);
const IMAGES = envInt('SSOD_RELIABILITY_EXPORT_IMAGES', 400);

let dir: string;
let source: string;
let project: string;
let before: TreeHash;

function verify(out: string): { ok: boolean; checked: number } {
  const [node, ...args] = cliArgv('verify', out, '--json');
  const r = spawnSync(node as string, args, { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0 && !r.stdout.trim().startsWith('{')) throw new Error(`verify failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; checked: number };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-export-crash-'));
  source = join(dir, 'source');
  project = join(dir, 'project');
  await writeSmallImages(source, IMAGES, { classes: 4, size: 96 });
  before = hashTree(source);
  await scannedProject(project, source, 40);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('export under SIGKILL', () => {
  it(`${KILLS} kills leave nothing at OUT or a complete, verifiable export`, async () => {
    const seed = baseSeed();
    const r = rng(seed);
    const tally = { nothing: 0, complete: 0, partialsLeft: 0 };
    // Calibrate: how long does one whole export take here? Kill moments are spread over that span.
    const t0 = performance.now();
    const first = new LineChild(cliArgv('export', project, join(dir, 'calibrate'), '--json'));
    const firstEnd = await first.ended;
    expect(firstEnd.code, firstEnd.stderr).toBe(0);
    const span = performance.now() - t0;
    const full = verify(join(dir, 'calibrate'));
    expect(full.ok).toBe(true);
    for (let k = 0; k < KILLS; k += 1) {
      const out = join(dir, `out-${k}`);
      const child = new LineChild(cliArgv('export', project, out, '--json'));
      await new Promise((done) => setTimeout(done, r.int(Math.round(span * 0.2), Math.round(span * 1.05))));
      await child.kill();
      if (!existsSync(out)) tally.nothing += 1;
      else {
        const v = verify(out);
        expect(v.ok, `kill ${k}: a half export at ${out}`).toBe(true);
        expect(v.checked).toBe(full.checked);
        tally.complete += 1;
      }
      tally.partialsLeft += readdirSync(dir).filter((n) => n.startsWith(`.out-${k}.partial`)).length;
      expect(treeDiff(before, hashTree(source))).toEqual([]);
    }
    // The project still works: a fresh export after all the kills completes and verifies.
    const after = new LineChild(cliArgv('export', project, join(dir, 'after'), '--json'));
    const end = await after.ended;
    expect(end.code, end.stderr).toBe(0);
    expect(verify(join(dir, 'after')).ok).toBe(true);
    expect(treeDiff(before, hashTree(source))).toEqual([]);
    console.log(
      `export-crash: ${KILLS} kills (seed ${seed}, export of ${IMAGES} images takes ~${Math.round(span)} ms here): ` +
        `${tally.nothing} left nothing at OUT, ${tally.complete} a complete export that verify accepts, 0 half ` +
        `exports; ${tally.partialsLeft} staging folders left beside OUT; sources unchanged; next export ok`,
    );
  });
});
