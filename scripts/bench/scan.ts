// `npm run bench:scan`: the scan through the services, as `ssod add` and `ssod scan` run it (walk, hash, probe,
// thumbnails, SQLite writes). Generates N ~640×480 JPEGs (default 5,000), then in a fresh process each:
//   cold: create a project and add the folder as a train source (every file new: hash + decode + thumbnail);
//   warm: rescan the unchanged folder (stat only).
// Each phase runs in its own process so its peak RSS (getrusage maxrss, the kernel's high-water mark) is its
// own. Targets on the 2-core machine: cold >= 150 images/s including thumbnails; warm 5,000 files <= 2 s.
// Usage: npm run bench:scan -- [--images N] [--keep]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanSummary } from '../../src/shared/dto.js';
import { generateJpegs } from '../../src/scan/testing/images.js';
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
}

/** One phase, in this (child) process: prints a JSON line with its figures. */
async function phase(kind: 'cold' | 'warm', base: string): Promise<void> {
  const services = createServices({ dataDir: join(base, 'home') });
  const { api } = services;
  try {
    const project = join(base, 'project');
    const t0 = performance.now();
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
    const summary = result.result as ScanSummary;
    const out: PhaseResult = {
      files: summary.files,
      seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      summary,
    };
    console.log(JSON.stringify(out));
  } finally {
    await services.close();
  }
}

async function orchestrate(): Promise<void> {
  const n = Number(arg('images', '5000'));
  const base = await mkdtemp(join(tmpdir(), 'ssod-bench-scan-'));
  const self = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
  try {
    let t0 = performance.now();
    const paths = await generateJpegs(join(base, 'images'), n, { classes: 10 });
    let bytes = 0;
    for (const p of paths) bytes += (await stat(p)).size;
    console.log(
      `generated ${n} JPEGs 640×480 in 10 class folders (avg ${(bytes / n / 1024).toFixed(0)} KiB, ` +
        `${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const kind of ['cold', 'warm'] as const) {
      t0 = performance.now();
      const child = spawnSync(process.execPath, [runTs, self, '--phase', kind, '--base', base], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const wall = (performance.now() - t0) / 1000;
      if (child.status !== 0) throw new Error(`${kind} phase failed (exit ${child.status}): ${child.stdout}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as PhaseResult;
      const s = r.summary;
      console.log(
        `${kind}: ${r.files} files in ${r.seconds.toFixed(2)} s = ${(r.files / r.seconds).toFixed(0)} files/s ` +
          `(added ${s.added}, unchanged ${s.unchanged}, decoded ${s.decoded}, errors ${Object.keys(s.errors).length}); ` +
          `peak RSS ${r.maxRssMiB.toFixed(0)} MiB; CPU ${r.cpuSeconds.toFixed(1)} s; ` +
          `process wall incl. start-up ${wall.toFixed(1)} s`,
      );
    }
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept ${base}`);
    else await rm(base, { recursive: true, force: true });
  }
  console.log(machineLine());
  console.log(commandLine('bench:scan'));
}

const which = arg('phase');
if (which === 'cold' || which === 'warm') await phase(which, arg('base')!);
else await orchestrate();
