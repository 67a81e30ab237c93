// Child processes that the tests SIGKILL: started from TypeScript entry points, read line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

type EsbuildModule = typeof Esbuild;

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const HELPERS = join(REPO, 'test', 'reliability', 'helpers');

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** A running child whose stdout lines are collected as they arrive. */
export class LineChild {
  readonly lines: string[] = [];
  stderr = '';
  readonly proc: ChildProcess;
  readonly ended: Promise<Ended>;
  private partial = '';
  private waiters: { test: (line: string) => boolean; resolve: (line: string | null) => void }[] = [];

  constructor(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO) {
    const [cmd, ...args] = argv;
    this.proc = spawn(cmd ?? process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.setEncoding('utf8');
    this.proc.stdout?.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.onLine(line);
    });
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stderr?.on('data', (chunk: string) => {
      // Keep the tail only: a failing child's last words are what matter.
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    this.ended = new Promise((done) => {
      this.proc.on('close', (code, signal) => {
        // A line cut by SIGKILL was never fully acknowledged: drop it.
        this.partial = '';
        for (const w of this.waiters) w.resolve(null);
        this.waiters = [];
        done({ code, signal, lines: this.lines, stderr: this.stderr });
      });
    });
  }

  private onLine(line: string): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (already seen or future) passing `test`, or null if the child ends first. */
  waitFor(test: (line: string) => boolean): Promise<string | null> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** SIGKILL (no chance to clean up) and wait for the process to be gone. */
  async kill(): Promise<Ended> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    return this.ended;
  }
}

/** argv running a TypeScript file through the repository's tsx launcher. */
export function tsArgv(entry: string, ...args: string[]): string[] {
  return [process.execPath, join(REPO, 'bin', 'run-ts.js'), entry, ...args];
}

/** argv for the `ssod` CLI. */
export function cliArgv(...args: string[]): string[] {
  return [process.execPath, join(REPO, 'bin', 'ssod.js'), ...args];
}

/**
 * Bundles a TypeScript entry into one CommonJS file so that each of hundreds of short-lived children starts in
 * tens of milliseconds instead of paying tsx's start-up every time. Native modules stay external and resolve
 * through NODE_PATH (see `bundledArgv`). Falls back to tsx when esbuild is not available.
 */
export async function bundledArgv(entry: string): Promise<{ argv: string[]; env: NodeJS.ProcessEnv }> {
  let esbuild: EsbuildModule;
  try {
    esbuild = await import('esbuild');
  } catch {
    return { argv: tsArgv(entry), env: {} };
  }
  const outDir = join(tmpdir(), 'ssod-reliability-bundles');
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${process.pid}-${entry.replace(/[^a-z0-9]+/gi, '_')}.cjs`);
  await esbuild.build({
    entryPoints: [resolve(REPO, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    external: ['better-sqlite3', 'sharp', '@tensorflow/*', 'nsfwjs'],
    logLevel: 'error',
  });
  return { argv: [process.execPath, outfile], env: { NODE_PATH: join(REPO, 'node_modules') } };
}
