// `npm run bench:scan`: the scan through the services, as `ssod add` and `ssod scan` run it (walk, hash, probe,
// thumbnails, SQLite writes). Generates N ~640×480 JPEGs (default 5,000), then in a fresh process each:
//   cold: create a project and add the folder as a train source (every file new: hash + decode + thumbnail);
//   warm: rescan the unchanged folder (stat only).
// Each phase runs in its own process so its peak RSS (getrusage maxrss, the kernel's high-water mark) is its
// own. Targets on the 2-core machine: cold >= 150 images/s including thumbnails; warm 5,000 files <= 2 s.
// --tiny: N tiny distinct 8×8 PNGs (scan-tiny-files.ts) instead of photos, for scans of a million files (memory,
// ETA, resume); --kill-after S: the cold scan is killed (SIGKILL) after S seconds and a resumed scan follows,
// which must find every committed file unchanged.
// --dir D: scan the tiny files already generated in D (scan-tiny-files.ts layout; generated there when D is
// empty) instead of a fresh temporary folder, so a million files are written once for several runs.
// Every phase samples its memory once a second (scan-memory.ts) and prints a line every --mem-every samples.
// Usage: npm run bench:scan -- [--images N] [--tiny] [--kill-after S] [--dir D] [--mem-every K] [--keep]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanSummary } from '../../src/shared/dto.js';
import { generateJpegs } from '../../src/scan/testing/images.js';
import { generateTinyPngs } from './scan-tiny-files.js';
import { createServices } from '../../src/services/index.js';
import { commandLine, machineLine } from './machine.js';
import { MemorySampler, formatSample, type MemoryPeaks } from './scan-memory.js';
import { openDatabase } from '../../src/db/index.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

interface PhaseResult {
  files: number;
  seconds: number;
  maxRssMiB: number;
  cpuSeconds: number;
  summary: ScanSummary;
  /** Seconds from the job's start to its first progress event with an ETA, and that event. */
  firstEta: { seconds: number; phase: string; done: number; total: number; etaSeconds: number } | null;
  /** Peaks over the whole phase, and over its second half only (a flat peak shows as the same figure twice). */
  memory: { whole: MemoryPeaks; secondHalf: MemoryPeaks | null };
  /** Rows the project held before this phase (resume: what the killed scan had committed). */
  rowsBefore: number;
}

type Phase = 'cold' | 'warm' | 'resume';

/** Rows in the project's database (0 before the project exists). */
function rowsIn(project: string): number {
  const file = join(project, 'project.db');
  if (!existsSync(file)) return 0;
  const db = openDatabase(file, { create: false });
  try {
    return db.prepare('SELECT count(*) FROM images').pluck().get() as number;
  } finally {
    db.close();
  }
}

interface Watch {
  firstEta: PhaseResult['firstEta'];
  done: number;
  /** The latest ETA shown, printed with each memory line so it can be held against the real end. */
  eta: number | null;
}

/** Follows the job's progress: the first ETA shown, how far the scan is (for the memory series). */
function watchProgress(services: ReturnType<typeof createServices>, t0: number): Watch {
  const watch: Watch = { firstEta: null, done: 0, eta: null };
  services.bus.on('job.progress', (p) => {
    watch.done = p.done;
    watch.eta = p.etaSeconds;
    if (watch.firstEta || p.etaSeconds === null) return;
    const { phase, done, total, etaSeconds } = p;
    watch.firstEta = { seconds: (performance.now() - t0) / 1000, phase, done, total, etaSeconds };
    console.error(`first ETA after ${watch.firstEta.seconds.toFixed(2)} s: ${JSON.stringify(watch.firstEta)}`);
  });
  return watch;
}

/** One phase, in this (child) process: prints a JSON line with its figures. */
async function phase(kind: Phase, base: string): Promise<void> {
  const project = join(base, 'project');
  const rowsBefore = rowsIn(project);
  const services = createServices({ dataDir: join(base, 'home') });
  const { api } = services;
  const t0 = performance.now();
  const watch = watchProgress(services, t0);
  const sampler = new MemorySampler(() => watch.done);
  const every = Number(arg('mem-every', '30'));
  sampler.onSample = (s, i) => {
    if (i % every !== 0) return;
    const eta = watch.eta === null ? 'none' : `${watch.eta.toFixed(0)} s`;
    console.error(`${kind} ${((performance.now() - t0) / 1000).toFixed(0)} s ${formatSample(s)}; ETA shown ${eta}`);
  };
  sampler.start();
  try {
    const cpu0 = process.cpuUsage();
    let ref;
    if (kind === 'cold') {
      await api.projects.create(project, 'bench');
      const source = await api.sources.add(join(base, 'images'), 'train');
      ref = await api.jobs.scan(source.id);
    } else {
      await api.projects.open(project);
      ref = await api.jobs.scan();
    }
    const result = await api.jobs.wait(ref.id);
    if (result.outcome !== 'done') throw new Error(`scan ${result.outcome}: ${result.error ?? ''}`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    sampler.stop();
    const summary = result.result as ScanSummary;
    const out: PhaseResult = {
      files: summary.files,
      seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      summary,
      firstEta: watch.firstEta,
      memory: { whole: sampler.peaks, secondHalf: sampler.peaksFrom(Math.floor(summary.files / 2)) },
      rowsBefore,
    };
    console.log(JSON.stringify(out));
  } finally {
    sampler.stop();
    await services.close();
  }
}

/** Runs one phase in a child process; killAfter (seconds) SIGKILLs it: resolves null then. */
function runPhase(kind: Phase, base: string, killAfter?: number): Promise<{ r: PhaseResult | null; wall: number }> {
  const self = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
  const t0 = performance.now();
  const child = spawn(process.execPath, [runTs, self, '--phase', kind, '--base', base], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = killAfter ? setTimeout(() => child.kill('SIGKILL'), killAfter * 1000) : undefined;
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wall = (performance.now() - t0) / 1000;
      if (signal === 'SIGKILL' && killAfter) return resolve({ r: null, wall });
      if (code !== 0) return reject(new Error(`${kind} phase failed (exit ${code}): ${out}`));
      resolve({ r: JSON.parse(out.trim().split('\n').pop()!) as PhaseResult, wall });
    });
  });
}

function peaksText(m: MemoryPeaks | null): string {
  if (!m) return 'n/a';
  return (
    `rss ${m.rssMiB.toFixed(0)} (anon ${m.anonMiB.toFixed(0)}, file ${m.fileMiB.toFixed(0)}), ` +
    `heap ${m.heapUsedMiB.toFixed(0)}, external ${m.externalMiB.toFixed(0)} MiB`
  );
}

function report(kind: string, r: PhaseResult, wall: number): void {
  const s = r.summary;
  console.log(
    `${kind}: ${r.files} files in ${r.seconds.toFixed(2)} s = ${(r.files / r.seconds).toFixed(0)} files/s ` +
      `(added ${s.added}, unchanged ${s.unchanged}, decoded ${s.decoded}, errors ${Object.keys(s.errors).length}); ` +
      `peak RSS ${r.maxRssMiB.toFixed(0)} MiB; CPU ${r.cpuSeconds.toFixed(1)} s; ` +
      `first ETA ${r.firstEta ? `after ${r.firstEta.seconds.toFixed(1)} s (${r.firstEta.phase}, ${r.firstEta.done}/${r.firstEta.total}, said ${r.firstEta.etaSeconds.toFixed(0)} s)` : 'never'}; ` +
      `process wall incl. start-up ${wall.toFixed(1)} s; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.log(
    `${kind} memory peaks: whole run ${peaksText(r.memory.whole)}; second half ${peaksText(r.memory.secondHalf)}`,
  );
}

/** After a kill: every row the killed scan committed is found unchanged (not redone), and nothing is lost. */
function checkResume(r: PhaseResult): void {
  const s = r.summary;
  const redone = r.rowsBefore - s.unchanged;
  const lost = r.files - s.unchanged - s.added - s.changed - s.moved;
  console.log(
    `resume check: ${r.rowsBefore} rows committed before the kill, ${s.unchanged} found unchanged ` +
      `(${redone} committed rows redone), ${s.added} added, ${lost} files unaccounted for: ` +
      `${redone === 0 && lost === 0 ? 'ok' : 'FAILED'}`,
  );
  if (redone !== 0 || lost !== 0) process.exitCode = 1;
}

async function generate(base: string, n: number, tiny: boolean): Promise<void> {
  const t0 = performance.now();
  if (tiny) {
    await generateTinyPngs(join(base, 'images'), n);
    console.log(`generated ${n} tiny 8×8 PNGs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return;
  }
  const paths = await generateJpegs(join(base, 'images'), n, { classes: 10 });
  let bytes = 0;
  for (const p of paths) bytes += (await stat(p)).size;
  console.log(
    `generated ${n} JPEGs 640×480 in 10 class folders (avg ${(bytes / n / 1024).toFixed(0)} KiB, ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/** --dir: the images live in a folder kept between runs (generated there once); base/images links to it. */
async function useDir(base: string, dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length === 0) {
    const t0 = performance.now();
    await generateTinyPngs(dir, n);
    console.log(`generated ${n} tiny 8×8 PNGs in ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else console.log(`scanning the files already in ${dir} (--images ${n} is not re-checked)`);
  await symlink(dir, join(base, 'images'));
}

async function orchestrate(): Promise<void> {
  const n = Number(arg('images', '5000'));
  const killAfter = arg('kill-after') !== undefined ? Number(arg('kill-after')) : undefined;
  const base = await mkdtemp(join(tmpdir(), 'ssod-bench-scan-'));
  const dir = arg('dir');
  try {
    if (dir) await useDir(base, dir, n);
    else await generate(base, n, process.argv.includes('--tiny'));
    const cold = await runPhase('cold', base, killAfter);
    if (cold.r) report('cold', cold.r, cold.wall);
    else {
      console.log(`cold: killed (SIGKILL) after ${cold.wall.toFixed(1)} s`);
      const resumed = await runPhase('resume', base);
      report('resume', resumed.r!, resumed.wall);
      checkResume(resumed.r!);
    }
    const warm = await runPhase('warm', base);
    report('warm', warm.r!, warm.wall);
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept ${base}`);
    else await rm(base, { recursive: true, force: true });
  }
  console.log(machineLine());
  console.log(commandLine('bench:scan'));
}

const which = arg('phase');
if (which === 'cold' || which === 'warm' || which === 'resume') await phase(which, arg('base')!);
else await orchestrate();
