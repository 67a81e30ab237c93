// Promise 7: resource limits. A scan of many images (plus thumbnails served for all of them) keeps the scanning
// process's peak RSS bounded, and a disk that fills up during an export fails cleanly: a one-line message, a
// non-zero exit, nothing at OUT, and a project that still works.
// Sizes: SSOD_RELIABILITY_SCAN_N (5,000; 50,000 for the full promise), SSOD_RELIABILITY_RESOURCE_EXTRACT (0),
// SSOD_RELIABILITY_RSS_LIMIT_MB (400).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineChild, tsArgv } from './helpers/child.js';
import { runCli as cli } from './helpers/project-runs.js';
import { writeSmallImages } from './helpers/corpus.js';
import { hashTree, treeDiff } from './helpers/hash-tree.js';
import { scannedProject } from './helpers/project-setup.js';
import { envInt } from './helpers/rng.js';

const N = envInt('SSOD_RELIABILITY_SCAN_N', 5000);
const EXTRACT = Number(process.env.SSOD_RELIABILITY_RESOURCE_EXTRACT ?? 0);
const RSS_LIMIT_MB = envInt('SSOD_RELIABILITY_RSS_LIMIT_MB', 400);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-resources-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('resource limits', () => {
  it(`a scan of ${N} images keeps peak RSS under ${RSS_LIMIT_MB} MB`, async () => {
    const source = join(dir, 'many');
    const t0 = performance.now();
    await writeSmallImages(source, N, { classes: 10, size: 32 });
    const generated = (performance.now() - t0) / 1000;
    const before = hashTree(source);
    const child = new LineChild(
      tsArgv('test/reliability/helpers/scan-thumb-extract.ts', join(dir, 'many-project'), source, String(EXTRACT)),
    );
    const ended = await child.ended;
    expect(ended.code, ended.stderr).toBe(0);
    const line = ended.lines.find((l) => l.startsWith('summary '));
    const s = JSON.parse((line as string).slice('summary '.length)) as {
      rows: [string, string, string | null][];
      thumbs: number;
      phases: Record<string, { seconds: number; peakRssMb: number }>;
      maxRssMb: number;
    };
    expect(s.rows.filter((r) => r[1] === 'ok')).toHaveLength(N);
    expect(s.thumbs).toBe(N);
    expect(s.maxRssMb).toBeLessThan(RSS_LIMIT_MB);
    expect(treeDiff(before, hashTree(source))).toEqual([]);
    const scan = s.phases.scan as { seconds: number };
    console.log(
      `resource-limits: scan of ${N} images (32 px, generated in ${generated.toFixed(0)} s) + ${s.thumbs} thumbnails ` +
        `served${EXTRACT ? ` + extraction of ${EXTRACT}` : ''}: peak RSS ${s.maxRssMb} MB (limit ${RSS_LIMIT_MB}), scan ` +
        `${scan.seconds.toFixed(1)} s (${(N / scan.seconds).toFixed(0)} files/s); phases ${JSON.stringify(s.phases)}`,
    );
  });

  it('disk full during export: clean failure, nothing at OUT, project still usable', async (ctx) => {
    const small = join(dir, 'tmpfs');
    mkdirSync(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small], { stdio: 'pipe' });
    } catch (error) {
      console.log(
        `resource-limits: disk-full case skipped: cannot mount a 2 MB tmpfs (${(error as Error).message.split('\n')[0]})`,
      );
      ctx.skip();
      return;
    }
    try {
      const source = join(dir, 'export-source');
      const project = join(dir, 'export-project');
      await writeSmallImages(source, 300, { classes: 3, size: 128 });
      const before = hashTree(source);
      await scannedProject(project, source, 10);
      const out = join(small, 'out');
      const r = cli('export', project, out);
      expect(r.status).not.toBe(0);
      const message = r.stderr.trim();
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toMatch(/space|full|ENOSPC/i);
      expect(message).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      // The staging folder is cleaned up too, so the disk is not left full.
      expect(readdirSync(small)).toEqual([]);
      const status = cli('status', project, '--json');
      expect(status.status, status.stderr).toBe(0);
      const retry = cli('export', project, join(dir, 'export-ok'), '--json');
      expect(retry.status, retry.stderr).toBe(0);
      expect(cli('verify', join(dir, 'export-ok')).status).toBe(0);
      expect(treeDiff(before, hashTree(source))).toEqual([]);
      console.log(
        `resource-limits: export onto a full 2 MB tmpfs failed cleanly: "${message}"; OUT absent, staging removed, project usable`,
      );
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
