// `npm run bench:scan`: the scan through the services, as `ssod add` and `ssod scan` run it (walk, hash, probe,
// thumbnails, SQLite writes). Generates N ~640×480 JPEGs (default 5,000), then in a fresh process each:
//   cold: create a project and add the folder as a train source (every file new: hash + decode + thumbnail);
//   warm: rescan the unchanged folder (stat only).
// Each phase runs in its own process so its peak RSS (getrusage maxrss, the kernel's high-water mark) is its
// own. Targets on the 2-core machine: cold >= 150 images/s including thumbnails; warm 5,000 files <= 2 s.
// --tiny: N tiny distinct 8×8 PNGs (scan-tiny-files.ts) instead of photos, for scans of a million files (memory,
// ETA, resume); --kill-after S: the cold scan is killed (SIGKILL) after S seconds and a resumed scan follows,
// which must find every committed file unchanged.
// Usage: npm run bench:scan -- [--images N] [--tiny] [--kill-after S] [--keep]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanSummary } from '../../src/shared/dto.js';
import { generateJpegs } from '../../src/scan/testing/images.js';
import { generateTinyPngs } from './scan-tiny-files.js';
import { createServices } from '../../src/services/index.js';
import { commandLine, machineLine } from './machine.js';

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
}

type Phase = 'cold' | 'warm' | 'resume';

/** One phase, in this (child) process: prints a JSON line with its figures. */
async function phase(kind: Phase, base: string): Promise<void> {
  const services = createServices({ dataDir: join(base, 'home') });
  const { api } = services;
  try {
    const project = join(base, 'project');
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let firstEta: PhaseResult['firstEta'] = null;
    services.bus.on('job.progress', (p) => {
      if (firstEta || p.etaSeconds === null) return;
      const { phase, done, total, etaSeconds } = p;
      firstEta = { seconds: (performance.now() - t0) / 1000, phase, done, total, etaSeconds };
      console.error(`first ETA after ${firstEta.seconds.toFixed(2)} s: ${JSON.stringify(firstEta)}`);
    });
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
    const summary = result.result as ScanSummary;
    const out: PhaseResult = {
      files: summary.files,
      seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      summary,
      firstEta,
    };
    console.log(JSON.stringify(out));
  } finally {
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

function report(kind: string, r: PhaseResult, wall: number): void {
  const s = r.summary;
  console.log(
    `${kind}: ${r.files} files in ${r.seconds.toFixed(2)} s = ${(r.files / r.seconds).toFixed(0)} files/s ` +
      `(added ${s.added}, unchanged ${s.unchanged}, decoded ${s.decoded}, errors ${Object.keys(s.errors).length}); ` +
      `peak RSS ${r.maxRssMiB.toFixed(0)} MiB; CPU ${r.cpuSeconds.toFixed(1)} s; ` +
      `first ETA ${r.firstEta ? `after ${r.firstEta.seconds.toFixed(1)} s (${r.firstEta.phase}, ${r.firstEta.done}/${r.firstEta.total})` : 'never'}; ` +
      `process wall incl. start-up ${wall.toFixed(1)} s`,
  );
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

async function orchestrate(): Promise<void> {
  const n = Number(arg('images', '5000'));
  const killAfter = arg('kill-after') !== undefined ? Number(arg('kill-after')) : undefined;
  const base = await mkdtemp(join(tmpdir(), 'ssod-bench-scan-'));
  try {
    await generate(base, n, process.argv.includes('--tiny'));
    const cold = await runPhase('cold', base, killAfter);
    if (cold.r) report('cold', cold.r, cold.wall);
    else {
      console.log(`cold: killed (SIGKILL) after ${cold.wall.toFixed(1)} s`);
      const resumed = await runPhase('resume', base);
      report('resume', resumed.r!, resumed.wall);
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
