// Writes a curated dataset. Safety first: OUT must not lie inside a source folder and must be empty or absent;
// everything is built in a staging folder beside OUT and renamed into place only when complete, so a kill at
// any moment leaves either nothing at OUT or a complete export.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { ExportResult } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';

export interface ExportEntry {
  imageId: number;
  srcPath: string;
  /** Path relative to its source, used for stable, readable names. */
  relPath: string;
  className: string | null;
  originalClass: string | null;
  /** Where the class came from: its train folder, a label given to an inbox image, or a relabel (null: none). */
  classSource?: string | null;
  sha256: string;
  size: number;
  decision: string | null;
  reviewer: string | null;
  decidedAt: string | null;
  note: string | null;
  scores: Record<string, number>;
  /** The scores as held-out ID percentiles in [0, 1] (absent for runs without calibration). */
  calibrated?: Record<string, number>;
  runId: number | null;
  role: string;
}

export interface WriteExportInput {
  out: string;
  format: 'imagefolder' | 'csv' | 'json';
  mode: 'copy' | 'hardlink' | 'symlink';
  entries: ExportEntry[];
  /** Every review event, already serialised as JSON lines. */
  decisionsJsonl: () => AsyncIterable<string> | Iterable<string>;
  sourceFolders: string[];
  projectInfo: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Test hook: called before each file is placed (SIGKILL tests use it to pace the export). */
  beforeFile?: (index: number) => Promise<void> | void;
}

export const MANIFEST_SHA256 = 'manifest-sha256.txt';
const CONCURRENCY = 8;

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/** Refusals that must happen before anything is written. */
export async function checkExportTarget(out: string, sourceFolders: string[]): Promise<void> {
  const target = resolve(out);
  for (const src of sourceFolders) {
    if (isInside(target, src)) {
      throw new AppError('refused', `refusing to export into a source folder: ${target} is inside ${src}`);
    }
  }
  try {
    const st = await stat(target);
    if (!st.isDirectory()) throw new AppError('already-exists', `export target exists and is not a folder: ${target}`);
    const names = await readdir(target);
    if (names.length > 0) {
      throw new AppError('already-exists', `export target is not empty (${names.length} entries): ${target}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    const parent = await stat(dirname(target));
    if (!parent.isDirectory()) throw new AppError('invalid-argument', `not a folder: ${dirname(target)}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('not-found', `the folder to export into does not exist: ${dirname(target)}`);
    }
    throw error;
  }
}

/** Class folder names must be safe path components. */
export function safeComponent(name: string): string {
  const cleaned = name.replace(/[/\\\0]/g, '_').replace(/^\.+$/, '_');
  return cleaned.length ? cleaned : '_';
}

/** Destination names inside each class folder: the file's base name, with a deterministic suffix on clashes
 * (sorted by relative path, then id, so the same data always gives the same names). */
export function assignNames(entries: ExportEntry[]): Map<number, string> {
  const sorted = [...entries].sort((a, b) =>
    a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : a.imageId - b.imageId,
  );
  const used = new Set<string>();
  const names = new Map<number, string>();
  for (const e of sorted) {
    const cls = safeComponent(e.className ?? '_unlabelled');
    const base = safeComponent(basename(e.relPath));
    const ext = extname(base);
    const stem = base.slice(0, base.length - ext.length);
    let candidate = `${cls}/${base}`;
    for (let i = 1; used.has(candidate.toLowerCase()); i++) candidate = `${cls}/${stem}~${i}${ext}`;
    used.add(candidate.toLowerCase());
    names.set(e.imageId, candidate);
  }
  return names;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function wrapIo(error: unknown, what: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof AppError) return error;
  if (code === 'ENOSPC')
    return new AppError('io-error', `disk full while ${what}; nothing was exported`, { cause: error });
  if (code === 'EXDEV') {
    return new AppError('refused', `hardlinks need OUT on the same filesystem as the sources; use --mode copy`, {
      cause: error,
    });
  }
  return new AppError('io-error', `${what} failed: ${(error as Error).message}`, { cause: error });
}

const stagingPrefix = (out: string): string => `.${basename(out)}.partial-`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A killed export leaves its staging folder behind; the next export to the same OUT removes those whose
 * process is gone (the pid is part of the name), never one that is still being written. */
async function removeAbandonedStaging(out: string): Promise<void> {
  const prefix = stagingPrefix(out);
  let names: string[];
  try {
    names = await readdir(dirname(out));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) {
      await rm(join(dirname(out), name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

export async function writeExport(input: WriteExportInput): Promise<ExportResult> {
  const out = resolve(input.out);
  await checkExportTarget(out, input.sourceFolders);
  await removeAbandonedStaging(out);
  const staging = join(dirname(out), `${stagingPrefix(out)}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  try {
    const names = assignNames(input.entries);
    const placed = input.format === 'imagefolder';
    const bytes = placed ? await placeImages(input, staging, names) : countBytes(input);
    const rows = manifestRows(input.entries, placed ? names : null);
    const files = manifestFiles(input, rows);
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
    await writeDecisionLog(input, staging);
    await writeChecksums(staging, placed ? input.entries : [], names, [...Object.keys(files), 'decisions.jsonl']);
    if (input.signal?.aborted) throw new AppError('cancelled', 'cancelled');
    // An empty OUT folder may exist (the user made it); rename cannot replace it on every platform.
    await rmdir(out).catch(() => undefined);
    await rename(staging, out);
    return { out, images: input.entries.length, bytes, format: input.format, mode: input.mode };
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw wrapIo(error, 'exporting');
  }
}

/** Copies, hardlinks or symlinks every image into `images/<class>/` of the staging folder, a few at a time. */
async function placeImages(input: WriteExportInput, staging: string, names: Map<number, string>): Promise<number> {
  const total = input.entries.length;
  const dirs = new Set([...names.values()].map((n) => dirname(n)));
  for (const d of dirs) await mkdir(join(staging, 'images', d), { recursive: true });
  let bytes = 0;
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      if (input.signal?.aborted) throw new AppError('cancelled', 'cancelled');
      const e = input.entries[i]!;
      await input.beforeFile?.(i);
      const dest = join(staging, 'images', names.get(e.imageId)!);
      if (input.mode === 'copy') await copyFile(e.srcPath, dest);
      else if (input.mode === 'hardlink') await link(e.srcPath, dest);
      else await symlink(e.srcPath, dest);
      bytes += e.size;
      done++;
      input.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, total)) }, worker));
  return bytes;
}

/** Manifest-only formats place nothing: the bytes are what the manifest points at. */
function countBytes(input: WriteExportInput): number {
  let bytes = 0;
  for (const e of input.entries) bytes += e.size;
  input.onProgress?.(input.entries.length, input.entries.length);
  return bytes;
}

type ManifestRow = ReturnType<typeof manifestRows>[number];

/** One row per image; `names` (imagefolder) points the row at its placed copy, else at its source file. */
function manifestRows(entries: ExportEntry[], names: Map<number, string> | null) {
  return entries.map((e) => ({
    path: names ? `images/${names.get(e.imageId)!}` : e.srcPath,
    source_path: e.srcPath,
    class: e.className,
    original_class: e.originalClass,
    class_source: e.classSource ?? null,
    sha256: e.sha256,
    decision: e.decision,
    reviewer: e.reviewer,
    time: e.decidedAt,
    note: e.note,
    run_id: e.runId,
    scores: e.scores,
    calibrated: e.calibrated ?? {},
    image_id: e.imageId,
    role: e.role,
  }));
}

/** manifest.csv always; manifest.json too unless the format is csv. */
function manifestFiles(input: WriteExportInput, rows: ManifestRow[]): Record<string, string> {
  const files: Record<string, string> = { 'manifest.csv': manifestCsv(rows) };
  if (input.format !== 'csv') {
    files['manifest.json'] = JSON.stringify(
      { ...input.projectInfo, format: input.format, mode: input.mode, images: rows },
      null,
      1,
    );
  }
  return files;
}

function manifestCsv(rows: ManifestRow[]): string {
  const scorerNames = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))].sort();
  const calibratedNames = [...new Set(rows.flatMap((r) => Object.keys(r.calibrated)))].sort();
  const header = [
    ...['path', 'class', 'original_class', 'sha256', 'decision', 'reviewer', 'time', 'note', 'run_id', 'class_source'],
    ...scorerNames.map((s) => `score_${s}`),
    ...calibratedNames.map((s) => `calibrated_${s}`),
    'source_path',
  ];
  const csv = [header.join(',')];
  for (const r of rows) {
    const cells: (string | number | null | undefined)[] = [r.path, r.class, r.original_class, r.sha256];
    cells.push(r.decision, r.reviewer, r.time, r.note, r.run_id, r.class_source);
    cells.push(...scorerNames.map((s) => r.scores[s]), ...calibratedNames.map((s) => r.calibrated[s]), r.source_path);
    csv.push(cells.map(csvCell).join(','));
  }
  return csv.join('\n') + '\n';
}

async function writeDecisionLog(input: WriteExportInput, staging: string): Promise<void> {
  const log = await open(join(staging, 'decisions.jsonl'), 'w');
  try {
    for await (const line of input.decisionsJsonl()) await log.write(line + '\n');
  } finally {
    await log.close();
  }
}

/** BagIt-style checksum manifest over every file: images carry the sha256 recorded at scan time (no second read
 * of every image), so `ssod verify` also reveals a source file that changed after its scan. */
async function writeChecksums(
  staging: string,
  placedEntries: ExportEntry[],
  names: Map<number, string>,
  files: string[],
): Promise<void> {
  const sums: string[] = [];
  for (const e of placedEntries) sums.push(`${e.sha256}  images/${names.get(e.imageId)!}`);
  for (const name of files) sums.push(`${await sha256File(join(staging, name))}  ${name}`);
  await writeFile(join(staging, MANIFEST_SHA256), sums.join('\n') + '\n');
  await writeFile(join(staging, 'bagit.txt'), 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');
}

export interface VerifyOutcome {
  ok: boolean;
  checked: number;
  mismatched: string[];
  missing: string[];
}

export async function verifyExport(outDir: string): Promise<VerifyOutcome> {
  const out = resolve(outDir);
  let text: string;
  try {
    text = await readFile(join(out, MANIFEST_SHA256), 'utf8');
  } catch {
    throw new AppError('not-found', `not an export (no ${MANIFEST_SHA256}): ${out}`);
  }
  const mismatched: string[] = [];
  const missing: string[] = [];
  let checked = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) throw new AppError('invalid-argument', `malformed manifest line: ${line}`);
    const rel = m[2]!;
    const path = resolve(out, rel);
    if (!isInside(path, out)) throw new AppError('refused', `manifest path escapes the export: ${rel}`);
    checked++;
    try {
      if ((await sha256File(path)) !== m[1]) mismatched.push(rel);
    } catch {
      missing.push(rel);
    }
  }
  return { ok: mismatched.length === 0 && missing.length === 0, checked, mismatched, missing };
}
