// A small generated project and a running `ssod serve` for it, all through the real CLI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export const SSOD = join(process.cwd(), 'bin', 'ssod.js');

export function ssod(args: string[], timeoutMs = 10 * 60_000, home?: string): string {
  const env = home ? { ...process.env, SSOD_HOME: home } : process.env;
  const r = spawnSync(process.execPath, [SSOD, ...args], { encoding: 'utf8', timeout: timeoutMs, env });
  if (r.status !== 0) throw new Error(`ssod ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function ssodJson<T>(args: string[]): T {
  return JSON.parse(ssod([...args, '--json'])) as T;
}

async function png(path: string, hue: number, shape: 'disc' | 'bar' | 'ring' | 'noise', seed: number): Promise<void> {
  const size = 64;
  const data = Buffer.alloc(size * size * 3);
  let s = seed * 9301 + 49297;
  const rand = () => (s = (s * 9301 + 49297) % 233280) / 233280;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - 32 + (seed % 5);
      const dy = y - 32 + (seed % 3);
      const r = Math.hypot(dx, dy);
      let on: boolean;
      if (shape === 'disc') on = r < 18;
      else if (shape === 'ring') on = r > 12 && r < 22;
      else if (shape === 'bar') on = Math.abs(dx) < 8;
      else on = rand() > 0.5;
      const i = (y * size + x) * 3;
      const v = on ? 220 : 30;
      data[i] = shape === 'noise' ? Math.floor(rand() * 255) : (v * (hue % 3 === 0 ? 1 : 0.6)) | 0;
      data[i + 1] = shape === 'noise' ? Math.floor(rand() * 255) : (v * (hue % 3 === 1 ? 1 : 0.6)) | 0;
      data[i + 2] = shape === 'noise' ? Math.floor(rand() * 255) : (v * (hue % 3 === 2 ? 1 : 0.6)) | 0;
    }
  }
  await sharp(data, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
}

export interface Project {
  root: string;
  dir: string;
}

/** Three classes of simple shapes for training, an inbox with the same shapes plus noise images (OOD). */
export async function makeProject(perClass = 14, inbox = 12): Promise<Project> {
  const root = mkdtempSync(join(tmpdir(), 'ssod-e2e-'));
  const classes = { disc: 0, bar: 1, ring: 2 } as const;
  for (const [name, hue] of Object.entries(classes)) {
    mkdirSync(join(root, 'train', name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await png(join(root, 'train', name, `${name}-${i}.png`), hue, name as keyof typeof classes, i);
    }
  }
  mkdirSync(join(root, 'inbox'), { recursive: true });
  for (let i = 0; i < inbox; i++) {
    const shapes = ['disc', 'bar', 'ring', 'noise'] as const;
    const shape = shapes[i % 4]!;
    await png(join(root, 'inbox', `in-${i}.png`), i, shape, 100 + i);
  }
  const dir = join(root, 'project');
  ssod(['init', dir, '--name', 'e2e']);
  ssod(['add', dir, join(root, 'train'), '--role', 'train']);
  ssod(['add', dir, join(root, 'inbox'), '--role', 'inbox']);
  ssod(['scan', dir]);
  ssod(['train', dir, ...(process.env.SSOD_E2E_TRAIN_ARGS ?? '--epochs 3 --seed 1').split(' ').filter(Boolean)]);
  return { root, dir };
}

export interface Served {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A spec's teardown: stop its server, then remove its folders (kept with SSOD_E2E_KEEP=1 for a post-mortem). */
export async function tearDown(server: Served | undefined, ...folders: (string | undefined)[]): Promise<void> {
  await server?.stop();
  if (process.env.SSOD_E2E_KEEP) return;
  for (const folder of folders) if (folder) rmSync(folder, { recursive: true, force: true });
}

/** A profile nobody has used: no projects, no settings, no recent list (the app's data folder is empty). */
export function freshProfile(): string {
  return mkdtempSync(join(tmpdir(), 'ssod-e2e-home-'));
}

/**
 * `ssod serve [DIR] --port 0` and the login URL it prints. `home` (SSOD_HOME) is the app's own data folder:
 * settings, recent projects and the projects it creates.
 */
export function serve(dir: string | null, home?: string): Promise<Served> {
  const args = [SSOD, 'serve', ...(dir ? [dir] : []), '--port', '0'];
  const env = home ? { ...process.env, SSOD_HOME: home } : process.env;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ssod serve printed no URL:\n${out}`)), 120_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /(http:\/\/(?:127\.0\.0\.1|localhost):\d+\/\S*token=\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          process: child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ssod serve exited (${code}):\n${out}`));
    });
  });
}
