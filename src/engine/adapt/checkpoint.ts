// One checkpoint per adapt run, rewritten after every epoch: `adapt-checkpoint.<sha8>.bin` (every array, named by
// its content) then `adapt-checkpoint.json` by temp + rename, so a SIGKILL at any moment leaves the previous
// epoch's checkpoint or the new one, never a mix. A run resumes only from a checkpoint of the same data, config
// and base weights (its fingerprint); anything else starts clean.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurably } from '../durable-write.js';

const FORMAT = 'ssod-adapt-checkpoint/1';
const JSON_NAME = 'adapt-checkpoint.json';

export interface CheckpointState {
  fingerprint: string;
  /** Epochs completed (warm-up included). */
  epoch: number;
  /** JSON-able progress of the run (best epoch, loss curve, sampling reports, gamma...). */
  meta: Record<string, unknown>;
  arrays: Record<string, Float32Array>;
}

interface CheckpointFile {
  format: typeof FORMAT;
  fingerprint: string;
  epoch: number;
  meta: Record<string, unknown>;
  weightsFile: string;
  weightsSha256: string;
  arrays: { name: string; offset: number; length: number }[];
}

export function fingerprintOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export async function writeCheckpoint(dir: string, state: CheckpointState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = Object.keys(state.arrays);
  const total = names.reduce((s, n) => s + state.arrays[n]!.length, 0);
  const all = new Float32Array(total);
  const arrays: CheckpointFile['arrays'] = [];
  let offset = 0;
  for (const name of names) {
    const a = state.arrays[name]!;
    all.set(a, offset);
    arrays.push({ name, offset, length: a.length });
    offset += a.length;
  }
  const bytes = new Uint8Array(all.buffer);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const weightsFile = `adapt-checkpoint.${sha.slice(0, 8)}.bin`;
  await writeDurably(join(dir, weightsFile), bytes);
  const file: CheckpointFile = {
    format: FORMAT,
    fingerprint: state.fingerprint,
    epoch: state.epoch,
    meta: state.meta,
    weightsFile,
    weightsSha256: sha,
    arrays,
  };
  await writeDurably(join(dir, JSON_NAME), JSON.stringify(file));
  const stale = (await readdir(dir)).filter((n) => /^adapt-checkpoint\.[0-9a-f]{8}\.bin$/.test(n) && n !== weightsFile);
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
}

/** The checkpoint in `dir` if it is whole and of this fingerprint; undefined otherwise (start clean). */
export async function readCheckpoint(dir: string, fingerprint: string): Promise<CheckpointState | undefined> {
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(join(dir, JSON_NAME), 'utf8')) as CheckpointFile;
  } catch {
    return undefined;
  }
  if (
    file.format !== FORMAT ||
    file.fingerprint !== fingerprint ||
    !/^adapt-checkpoint\.[0-9a-f]{8}\.bin$/.test(file.weightsFile)
  )
    return undefined;
  const bytes = await readFile(join(dir, file.weightsFile)).catch(() => undefined);
  if (!bytes || createHash('sha256').update(bytes).digest('hex') !== file.weightsSha256) return undefined;
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const arrays: Record<string, Float32Array> = {};
  for (const a of file.arrays) arrays[a.name] = all.slice(a.offset, a.offset + a.length);
  return { fingerprint: file.fingerprint, epoch: file.epoch, meta: file.meta, arrays };
}

export async function clearCheckpoint(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.filter((n) => n.startsWith('adapt-checkpoint.')).map((n) => rm(join(dir, n), { force: true })),
  );
}
