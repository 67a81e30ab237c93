// `npm run bench:vs-torch`: the project's files -> features path against a short PyTorch script, side by side on
// the same images, input size and threads.
//   images: N real JPEGs of mixed sizes (Fashion-MNIST test images, tinted and resized to 96..1024 px; default
//           2,000), written once to a temporary folder and reused;
//   ssod:   read + sha256 every file (the feature cache key), then the engine's extract job (decode with sharp in
//           the workers, forward pass on the runtime the engine picks, float16 encoding, feature-cache writes) into
//           a fresh cache, the engine already started;
//   torch:  scripts/bench/torch_mobilenet.py (PIL decode, torchvision MobileNetV2 in channels_last, frozen
//           TorchScript) to the same two layers, model built and warmed up before the clock starts.
// Runs alternate (ssod, torch, ssod, torch, ...) so both see the same load. One JSON line per run, a stage line
// (decode alone, forward pass alone) and a final summary line with the medians.
// Options: --images N, --size N (224), --threads N (cores), --runs N (3), --torch-batch N (16), --backend NAME,
// --workers N (engine workers; default --threads, each ONNX session then gets threads / workers), --torch-passive
// (OMP_WAIT_POLICY=PASSIVE for PyTorch: fairer to it when other work shares the cores).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBatchForBackbone } from '../../src/engine/backbones/preprocess.js';
import { mobilenetPreprocess } from '../../src/engine/backbones/mobilenet-v2.js';
import { createForkedEngine } from '../../src/engine/host/engine-client.js';
import type { ExtractResult, ImageItem } from '../../src/engine/host/protocol.js';
import { writeFashionJpegs } from '../../src/engine/onnx/testing/fashion-jpegs.js';
import { commandLine, machineLine } from './machine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const IMAGES = Number(arg('images', '2000'));
const SIZE = Number(arg('size', '224'));
const THREADS = Number(arg('threads', String(availableParallelism())));
const WORKERS = Number(arg('workers', String(THREADS)));
const RUNS = Number(arg('runs', '3'));
const TORCH_BATCH = Number(arg('torch-batch', '16'));
const BACKEND = arg('backend', '');
/** PyTorch's OpenMP threads spin while they wait, which costs it dearly on a busy machine: this makes them sleep. */
const TORCH_PASSIVE = process.argv.includes('--torch-passive');
const SCRIPT = new URL('./torch_mobilenet.py', import.meta.url).pathname;
const INSTALL = 'apt-get install python3-torch python3-torchvision';

/** The first python3 that imports torch and torchvision (a pyenv shim may hide Debian's). */
function findPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

async function images(): Promise<{ dir: string; list: string; paths: string[] }> {
  const dir = join(tmpdir(), `ssod-vs-torch-fashion-${IMAGES}`);
  const list = join(dir, 'list.txt');
  if (existsSync(list)) {
    const paths = (await readFile(list, 'utf8')).split('\n').filter(Boolean);
    if (paths.length === IMAGES && paths.every((p) => existsSync(p))) return { dir, list, paths };
  }
  process.stderr.write(`writing ${IMAGES} JPEGs to ${dir} ...\n`);
  const paths = await writeFashionJpegs(join(dir, 'images'), IMAGES);
  await writeFile(list, paths.join('\n'));
  return { dir, list, paths };
}

async function hashAll(paths: string[]): Promise<ImageItem[]> {
  const items: ImageItem[] = new Array<ImageItem>(paths.length);
  let next = 0;
  const one = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      const path = paths[i] as string;
      items[i] = {
        path,
        sha256: createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      };
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  return items;
}

function load(): number[] {
  return loadavg().map((l) => Number(l.toFixed(2)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function torchRun(python: string, list: string): Promise<Record<string, unknown>> {
  const args = [SCRIPT, '--list', list, '--size', String(SIZE), '--threads', String(THREADS)];
  const env = TORCH_PASSIVE ? { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } : process.env;
  const child = spawn(python, [...args, '--batch', String(TORCH_BATCH), '--runs', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`torch_mobilenet.py exited ${code}: ${line}`));
      resolve({ ...(JSON.parse(line) as Record<string, unknown>), ompWaitPolicy: env['OMP_WAIT_POLICY'] ?? 'default' });
    });
  });
}

type Engine = ReturnType<typeof createForkedEngine>;

interface RunFigures {
  imagesPerS: number;
  /** Images per second of CPU time (all threads of the process): the fairer figure when others load the cores. */
  imagesPerCpuS: number;
}

async function ssodRun(engine: Engine, paths: string[], modelCacheDir: string, run: number): Promise<RunFigures> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'ssod-vs-torch-cache-'));
  try {
    const t0 = performance.now();
    const items = await hashAll(paths);
    const hashSeconds = (performance.now() - t0) / 1000;
    const backbone = { spec: 'mobilenet_v2', inputSize: SIZE, modelCacheDir };
    const r: ExtractResult = await engine.extract({ items, backbone, cacheDir });
    const seconds = (performance.now() - t0) / 1000;
    const imagesPerS = r.extracted / seconds;
    const line = {
      runtime: 'ssod',
      run,
      inputSize: SIZE,
      threads: THREADS,
      images: r.extracted,
      failed: r.failed.length,
      seconds,
      imagesPerS,
      hashSeconds,
      extractSeconds: r.extractSeconds,
      backend: r.backend.name,
      skipped: r.backend.skipped,
      workers: r.workers,
      inferBatch: r.inferBatch,
      stages: r.stages,
      cpuSeconds: r.cpuSeconds,
      load: load(),
    };
    console.log(JSON.stringify(line));
    return { imagesPerS, imagesPerCpuS: r.extracted / r.cpuSeconds };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Decode alone (sharp, 4 in flight per thread, this process) on the first 400 images: the decode stage's ceiling. */
async function decodeAlone(paths: string[]): Promise<number> {
  const sample = paths.slice(0, 400);
  const t0 = performance.now();
  for (let i = 0; i < sample.length; i += 32)
    await decodeBatchForBackbone(sample.slice(i, i + 32), mobilenetPreprocess(SIZE), 4 * THREADS);
  return sample.length / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(commandLine('bench:vs-torch'));
  const python = findPython();
  if (python === undefined) {
    console.error(`PyTorch is not installed: ${INSTALL}`);
    process.exit(2);
  }
  const { dir, list, paths } = await images();
  const modelCacheDir = join(dir, 'models');
  const engine = createForkedEngine({ workers: WORKERS, ...(BACKEND ? { backend: BACKEND } : {}) });
  try {
    // Warm-up: starts the workers, converts (or reuses) the ONNX model, times the batch sizes.
    const warm = await hashAll(paths.slice(0, 32));
    const scratch = await mkdtemp(join(tmpdir(), 'ssod-vs-torch-warm-'));
    await engine.extract({
      items: warm,
      backbone: { spec: 'mobilenet_v2', inputSize: SIZE, modelCacheDir },
      cacheDir: scratch,
    });
    await rm(scratch, { recursive: true, force: true });
    const ssod: RunFigures[] = [];
    const torch: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run++) {
      ssod.push(await ssodRun(engine, paths, modelCacheDir, run));
      const t = await torchRun(python, list);
      console.log(JSON.stringify({ ...t, run, load: load() }));
      torch.push({ imagesPerS: Number(t['imagesPerS']), imagesPerCpuS: Number(t['images']) / Number(t['cpuSeconds']) });
    }
    console.log(JSON.stringify({ stage: 'decode-alone', imagesPerS: await decodeAlone(paths), threads: THREADS }));
    const a = median(ssod.map((f) => f.imagesPerS));
    const b = median(torch.map((f) => f.imagesPerS));
    const ca = median(ssod.map((f) => f.imagesPerCpuS));
    const cb = median(torch.map((f) => f.imagesPerCpuS));
    console.log(JSON.stringify({ perCpuSecond: { ssod: ca, torch: cb, ratio: ca / cb }, load: load() }));
    console.log(
      JSON.stringify({ ssodImagesPerS: a, torchImagesPerS: b, ratio: a / b, inputSize: SIZE, threads: THREADS }),
    );
  } finally {
    await engine.close();
  }
}

await main();
