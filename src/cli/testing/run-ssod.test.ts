// The runner the CLI suites share: what it captures must be what a terminal shows, or every CLI test would
// check the wrong thing. Commands that need no project keep this fast.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLines, runSsod, ssodRunner } from './run-ssod.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-runner-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runSsod', () => {
  it('returns the exit code and what went to each stream, each line terminated once', async () => {
    const version = await runSsod(['--version'], { dataDir: join(dir, 'home') });
    expect(version).toEqual({ code: 0, out: '0.1.0\n', err: '' });
    const unknown = await runSsod(['frobnicate'], { dataDir: join(dir, 'home') });
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    expect(unknown.err).toMatch(/^ssod: unknown command 'frobnicate'\n/);
  });
});

describe('ssodRunner', () => {
  const cli = ssodRunner(() => ({ dataDir: join(dir, 'home') }));

  it('ok gives stdout of a command that succeeds and throws with stderr for one that fails', async () => {
    expect(await cli.ok('--version')).toBe('0.1.0\n');
    await expect(cli.ok('status', join(dir, 'no-project'))).rejects.toThrow(/exited 1: ssod status: /);
  });

  it('json parses the one document a --json command prints', async () => {
    const info = await cli.json<{ path: string; name: string }>('init', join(dir, 'p'), '--name', 'runner');
    expect(info).toMatchObject({ path: join(dir, 'p'), name: 'runner' });
  });
});

describe('parseJsonLines', () => {
  it('reads one document per line and ignores blank lines', () => {
    expect(parseJsonLines<number[]>('[1]\n\n[2,3]\n')).toEqual([[1], [2, 3]]);
    expect(parseJsonLines('')).toEqual([]);
  });
});
