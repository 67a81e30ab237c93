// Scanner-only throughput (no database): generate N ~640×480 JPEGs, scan cold (hash + decode + thumbnail), then
// warm (nothing changed: stat only). The full `npm run bench:scan` (scripts/bench/scan.ts) adds the DB.
// Usage: node bin/run-ts.js scripts/bench/scan-files.ts [N=500] [concurrency=cores]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanFolder, createCounters } from '../../src/scan/index.js';
import type { FileRecord } from '../../src/scan/index.js';
import { generateJpegs } from '../../src/scan/testing/images.js';

const n = Number(process.argv[2] ?? 500);
const concurrency = process.argv[3] ? Number(process.argv[3]) : undefined;
const base = await mkdtemp(join(tmpdir(), 'ssod-bench-scan-'));
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
try {
  const root = join(base, 'images');
  const t0 = performance.now();
  const paths = await generateJpegs(root, n, { classes: 10 });
  let bytes = 0;
  for (const p of paths) bytes += (await stat(p)).size;
  console.log(
    `generated ${n} JPEGs 640×480 (avg ${(bytes / n / 1024).toFixed(0)} KiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  async function run(label: string, known: Map<string, FileRecord>): Promise<Map<string, FileRecord>> {
    const counters = createCounters();
    const seen = new Map<string, FileRecord>();
    peakRss = process.memoryUsage().rss;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for await (const r of scanFolder(root, {
      role: 'train',
      known: (rel) => known.get(rel),
      thumbDir: join(base, 'thumbs'),
      counters,
      ...(concurrency ? { concurrency } : {}),
    }))
      seen.set(r.relPath, r);
    const s = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `${label}: ${seen.size} files in ${s.toFixed(2)} s = ${(seen.size / s).toFixed(0)} files/s ` +
        `(ok ${counters.ok}, unchanged ${counters.unchanged}, decoded ${counters.decoded}), ` +
        `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, CPU ${cpuS.toFixed(2)} s ` +
        `(${((cpuS * 1000) / Math.max(1, seen.size)).toFixed(2)} ms/file; load average ${loadavg()[0]!.toFixed(1)})`,
    );
    return seen;
  }
  const cold = await run('cold', new Map());
  await run('warm', cold);
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; ` +
      `command: node bin/run-ts.js scripts/bench/scan-files.ts ${process.argv.slice(2).join(' ')}`,
  );
} finally {
  clearInterval(sampler);
  await rm(base, { recursive: true, force: true });
}
