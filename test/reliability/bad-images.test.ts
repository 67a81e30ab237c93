// Promise 2: bad images never crash anything. A generated corpus (crafted files of 17 kinds and seeded random
// mutations of valid images) is scanned through the services, every thumbnail and full image is fetched by id,
// and a seeded sample of the readable ones goes through the engine's feature extraction. Zero crashes, every file
// ends ok or with a reason code, RSS of the scanning process stays bounded.
// Sizes: SSOD_RELIABILITY_MUTANTS (2000), SSOD_RELIABILITY_CRAFTED_PER_KIND (20), SSOD_RELIABILITY_EXTRACT (120).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/shared/dto.js';
import { writeCrafted, writeMutants, type CorpusFile } from './helpers/bad-corpus.js';
import { LineChild, tsArgv } from './helpers/child.js';
import { hashTree, treeDiff, type TreeHash } from './helpers/hash-tree.js';
import { baseSeed, envInt, rng } from './helpers/rng.js';

const MUTANTS = envInt('SSOD_RELIABILITY_MUTANTS', 2000);
const PER_KIND = envInt('SSOD_RELIABILITY_CRAFTED_PER_KIND', 20);
const EXTRACT = envInt('SSOD_RELIABILITY_EXTRACT', 120);
/** Peak RSS allowed for the process that scans and serves thumbnails (sharp, SQLite, Node). */
const RSS_LIMIT_MB = envInt('SSOD_RELIABILITY_RSS_LIMIT_MB', 400);

let dir: string;
let source: string;
let corpus: CorpusFile[];
let before: TreeHash;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-bad-images-'));
  source = join(dir, 'source');
  const r = rng(baseSeed());
  corpus = [
    ...(await writeCrafted(join(source, 'crafted'), r, PER_KIND)).map((f) => ({ ...f, rel: `crafted/${f.rel}` })),
    ...(await writeMutants(join(source, 'mutants'), r, MUTANTS)).map((f) => ({ ...f, rel: `mutants/${f.rel}` })),
  ];
  before = hashTree(source);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Summary {
  rows: [string, string, string | null][];
  thumbs: number;
  fulls: number;
  okWithoutThumb: string[];
  extract: { requested: number; extracted: number; cached: number; failed: { path: string; code: string }[] } | null;
  phases: Record<string, { seconds: number; peakRssMb: number }>;
  maxRssMb: number;
}

describe('bad images', () => {
  it('scan, thumbnails and feature extraction survive the whole corpus', async () => {
    const kinds = new Set(corpus.map((f) => f.kind.replace(/^mutant-.*/, 'mutant')));
    expect(kinds.size - 1).toBeGreaterThanOrEqual(12);
    expect(corpus.filter((f) => !f.kind.startsWith('mutant')).length).toBeGreaterThanOrEqual(300);

    const child = new LineChild(
      tsArgv('test/reliability/helpers/scan-thumb-extract.ts', join(dir, 'project'), source, String(EXTRACT)),
    );
    const ended = await child.ended;
    // Zero process crashes: the scanning process exits normally, and so does the engine (a crash fails extract).
    expect(ended.signal, ended.stderr).toBeNull();
    expect(ended.code, ended.stderr).toBe(0);
    const line = ended.lines.find((l) => l.startsWith('summary '));
    expect(line, ended.stderr).toBeDefined();
    const s = JSON.parse((line as string).slice('summary '.length)) as Summary;

    // Every file ends ok or with a reason code.
    const byPath = new Map(s.rows.map(([rel, status, code]) => [rel, { status, code }]));
    const missing = corpus.filter((f) => !byPath.has(f.rel)).map((f) => f.rel);
    expect(missing).toEqual([]);
    const outcome: Record<string, Record<string, number>> = {};
    for (const f of corpus) {
      const row = byPath.get(f.rel) as { status: string; code: string | null };
      const key = row.status === 'ok' ? 'ok' : (row.code ?? 'NO CODE');
      const kind = f.kind.startsWith('mutant') ? 'mutant' : f.kind;
      outcome[kind] = { ...outcome[kind], [key]: (outcome[kind]?.[key] ?? 0) + 1 };
      expect(['ok', 'error'], f.rel).toContain(row.status);
      if (row.status === 'error') expect(ERROR_CODES, f.rel).toContain(row.code);
      if (f.expect !== 'any') expect(row.status, `${f.kind}: ${f.rel}`).toBe(f.expect);
    }
    // Every readable image has a thumbnail served by id.
    expect(s.okWithoutThumb).toEqual([]);
    const okCount = s.rows.filter((r) => r[1] === 'ok').length;
    expect(s.thumbs).toBe(okCount);

    // Extraction: each sampled image is extracted or reported as a failure with a code; the job itself succeeds.
    expect(s.extract).not.toBeNull();
    const ex = s.extract as NonNullable<Summary['extract']>;
    expect(ex.extracted + ex.cached + ex.failed.length).toBe(ex.requested);
    for (const f of ex.failed) expect(f.code, f.path).toMatch(/\S/);

    expect(s.maxRssMb).toBeLessThan(RSS_LIMIT_MB);
    expect(treeDiff(before, hashTree(source))).toEqual([]);
    const crafted = corpus.length - MUTANTS;
    console.log(
      `bad-images: ${corpus.length} files (${crafted} crafted of ${kinds.size - 1} kinds, ${MUTANTS} mutants), ` +
        `0 crashes, 0 without an outcome: ${okCount} ok, ${s.rows.length - okCount} with a reason code; ` +
        `${s.thumbs} thumbnails, ${s.fulls} full images served; extraction of a seeded sample of ${ex.requested}: ` +
        `${ex.extracted + ex.cached} ok, ${ex.failed.length} failed with a code; peak RSS ${s.maxRssMb} MB ` +
        `(limit ${RSS_LIMIT_MB}); phases ${JSON.stringify(s.phases)}; source unchanged`,
    );
    console.log(`bad-images outcomes by kind: ${JSON.stringify(outcome)}`);
  });
});
