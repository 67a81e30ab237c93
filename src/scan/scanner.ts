// The scan pipeline: walk → (unchanged? skip) → probe with bounded parallelism → records, yielded as they finish.
// No database here: the caller decides what to do with records (services commit them in batches, one transaction
// per batch, which is what makes a killed scan resumable).
import { availableParallelism } from 'node:os';
import { mkdir, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ErrorCode, Role } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { ScanFailure } from './failure.js';
import { probeFile, DEFAULT_LIMITS } from './probe.js';
import type { ProbeLimits } from './probe.js';
import { walk, countFiles, resolveRoot, isInside } from './walk.js';
import type { WalkEntry, SkipReason } from './walk.js';

export interface FileRecord {
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  /** unchanged: size and mtime equal what `known` returned; the file was not opened and nothing else is set. */
  kind: 'unchanged' | 'ok' | 'error';
  sha256?: string;
  width?: number;
  height?: number;
  format?: string;
  /** First-level subfolder for role 'train'; null for 'inbox' and for files directly in the root. */
  className: string | null;
  errorCode?: ErrorCode;
  errorMessage?: string;
  /** Set when the error concerns a folder (unreadable folder, folder name not UTF-8): its contents were not scanned. */
  isDirectory?: boolean;
  /** Lossless raw bytes of relPath (base64), only for 'invalid-utf8-name' (relPath is then %XX-escaped). */
  relPathBase64?: string;
}

export interface ScanProgress {
  phase: 'counting' | 'scanning' | 'done';
  done: number;
  /** From a fast counting walk before the scan; raised if the scan finds more. */
  total: number;
  /** Files per second since the scanning phase began. */
  rate: number;
  etaSeconds: number | null;
}

export interface SkippedEntry {
  relPath: string;
  absPath: string;
  reason: SkipReason;
  target: string | null;
}

/** Mutable counters the caller can read during and after a scan. */
export interface ScanCounters {
  files: number;
  unchanged: number;
  ok: number;
  errors: Partial<Record<ErrorCode, number>>;
  /** Full decodes performed (a thumbnail already cached for the same content skips the decode). */
  decoded: number;
  /** Files opened for reading. */
  opened: number;
  skipped: number;
}

export function createCounters(): ScanCounters {
  return { files: 0, unchanged: 0, ok: 0, errors: {}, decoded: 0, opened: 0, skipped: 0 };
}

export interface ScanOptions {
  role: Role;
  /** What the caller already stored for this path; equal size and mtimeMs means "unchanged, do not open". */
  known: (relPath: string) => { size: number; mtimeMs: number } | undefined;
  /** Thumbnail cache folder (services: `<project>/cache/thumbs`). Must not be inside the scanned root. */
  thumbDir: string;
  /** Files probed at once (each holds one file in memory). Default: twice the core count. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** Minimum milliseconds between progress calls (the first and last call always happen). Default 200. */
  progressIntervalMs?: number;
  /** Symlinks not followed (outside the root, already walked, broken, loops). */
  onSkip?: (s: SkippedEntry) => void;
  counters?: ScanCounters;
  limits?: ProbeLimits;
  /** Skip the counting walk (total then grows as files are found). */
  skipCount?: boolean;
}

function classOf(role: Role, relPath: string): string | null {
  if (role !== 'train') return null;
  const slash = relPath.indexOf('/');
  return slash > 0 ? relPath.slice(0, slash) : null;
}

/**
 * Scans `root` and yields one FileRecord per file (and per unusable folder), in completion order.
 * Throws AppError('cancelled') when the signal aborts; records yielded before that stay valid.
 */
export async function* scanFolder(root: string, options: ScanOptions): AsyncGenerator<FileRecord> {
  const { role, known, signal } = options;
  const counters = options.counters ?? createCounters();
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Twice the cores: while one probe waits on the disk another decodes. Each holds one file in memory.
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism() * 2);
  const interval = options.progressIntervalMs ?? 200;
  const { root: absRoot, realRoot } = await resolveRoot(root);

  const thumbDir = resolve(options.thumbDir);
  await mkdir(thumbDir, { recursive: true });
  if (isInside(realRoot, await realpath(thumbDir)))
    throw new AppError('invalid-argument', `the thumbnail folder must not be inside the scanned folder: ${thumbDir}`);

  const decoding = new Map<string, Promise<ScanFailure | null>>();
  const cancelled = (): AppError => new AppError('cancelled', 'scan cancelled');
  let total = 0;
  let done = 0;
  let lastReport = -Infinity;
  let scanStart = 0;
  const report = (phase: ScanProgress['phase'], force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    const seconds = (now - scanStart) / 1000;
    const rate = phase === 'counting' || seconds <= 0 ? 0 : done / seconds;
    total = Math.max(total, done);
    const etaSeconds = phase === 'done' ? 0 : rate > 0 ? (total - done) / rate : null;
    options.onProgress({ phase, done, total, rate, etaSeconds });
  };

  if (!options.skipCount) {
    report('counting', true);
    try {
      total = await countFiles(absRoot, signal);
    } catch (error) {
      if (signal?.aborted) throw cancelled();
      throw error;
    }
  }
  scanStart = performance.now();
  report('scanning', true);

  /** Records that need no file opened: decided from the walk alone, synchronously. */
  const decide = (entry: WalkEntry): FileRecord | null | 'probe' => {
    const { relPath, absPath } = entry;
    const className = classOf(role, relPath);
    switch (entry.type) {
      case 'skipped':
        counters.skipped += 1;
        options.onSkip?.({ relPath, absPath, reason: entry.reason, target: entry.target });
        return null;
      case 'error':
        return {
          relPath,
          absPath,
          size: entry.stat?.size ?? 0,
          mtimeMs: entry.stat?.mtimeMs ?? 0,
          kind: 'error',
          className,
          errorCode: entry.code,
          errorMessage: entry.message,
          isDirectory: entry.isDirectory,
          ...(entry.relPathBase64 ? { relPathBase64: entry.relPathBase64 } : {}),
        };
      case 'special':
        return {
          relPath,
          absPath,
          size: 0,
          mtimeMs: entry.stat.mtimeMs,
          kind: 'error',
          className,
          errorCode: 'not-an-image',
          errorMessage: `${entry.special}: not a regular file, never opened`,
        };
      case 'file':
        break;
    }
    const { size, mtimeMs } = entry.stat;
    const prior = known(relPath);
    if (prior && prior.size === size && prior.mtimeMs === mtimeMs)
      return { relPath, absPath, size, mtimeMs, kind: 'unchanged', className };
    if (size === 0)
      return {
        relPath,
        absPath,
        size,
        mtimeMs,
        kind: 'error',
        className,
        errorCode: 'zero-byte',
        errorMessage: 'the file is empty',
      };
    return 'probe';
  };

  const probe = async (entry: WalkEntry & { type: 'file' }): Promise<FileRecord> => {
    const { relPath, absPath } = entry;
    const className = classOf(role, relPath);
    const { size, mtimeMs } = entry.stat;
    counters.opened += 1;
    try {
      const p = await probeFile(entry.openPath, {
        thumbDir,
        limits,
        decoding,
        onDecode: () => {
          counters.decoded += 1;
        },
      });
      return {
        relPath,
        absPath,
        size: p.size,
        mtimeMs: p.mtimeMs,
        kind: 'ok',
        className,
        sha256: p.sha256,
        width: p.width,
        height: p.height,
        format: p.format,
      };
    } catch (error) {
      if (!(error instanceof ScanFailure)) throw error;
      return {
        relPath,
        absPath,
        size,
        mtimeMs,
        kind: 'error',
        className,
        errorCode: error.code,
        errorMessage: error.message,
      };
    }
  };

  const count = (r: FileRecord): void => {
    counters.files += 1;
    if (r.kind === 'unchanged') counters.unchanged += 1;
    else if (r.kind === 'ok') counters.ok += 1;
    else if (r.errorCode) counters.errors[r.errorCode] = (counters.errors[r.errorCode] ?? 0) + 1;
  };

  // Bounded in-flight work: at most `concurrency` probes (each holds one file's bytes), so memory stays flat.
  const entries = walk(absRoot, signal ? { signal } : {});
  const inflight = new Map<number, Promise<{ id: number; record: FileRecord }>>();
  let nextId = 0;
  let walkDone = false;
  try {
    for (;;) {
      while (!walkDone && inflight.size < concurrency) {
        if (signal?.aborted) throw cancelled();
        let next: IteratorResult<WalkEntry>;
        try {
          next = await entries.next();
        } catch (error) {
          if (signal?.aborted) throw cancelled();
          throw error;
        }
        if (next.done) {
          walkDone = true;
          break;
        }
        const decided = decide(next.value);
        if (decided === 'probe') {
          const id = nextId++;
          const entry = next.value as WalkEntry & { type: 'file' };
          inflight.set(
            id,
            probe(entry).then((record) => ({ id, record })),
          );
        } else if (decided) {
          // Unchanged files and walk errors skip the pool: a warm rescan is a walk plus a lookup per file.
          count(decided);
          done += 1;
          yield decided;
          report('scanning');
        }
      }
      if (inflight.size === 0) break;
      const { id, record } = await Promise.race(inflight.values());
      inflight.delete(id);
      if (signal?.aborted) throw cancelled();
      count(record);
      done += 1;
      yield record;
      report('scanning');
    }
    report('done', true);
  } finally {
    // Let in-flight probes settle (they never reject for expected failures) so no thumbnail write outlives us.
    await Promise.allSettled(inflight.values());
    await entries.return(undefined);
  }
}

/**
 * The same scan in batches: yields arrays of up to `batchSize` records (default 200). Commit each batch in one
 * transaction; a killed scan then loses at most the uncommitted batch, which the next scan simply redoes.
 */
export async function* scanFolderBatches(
  root: string,
  options: ScanOptions & { batchSize?: number },
): AsyncGenerator<FileRecord[]> {
  const size = Math.max(1, options.batchSize ?? 200);
  let batch: FileRecord[] = [];
  for await (const record of scanFolder(root, options)) {
    batch.push(record);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
