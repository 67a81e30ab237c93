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
import { ScanEta, type ScanCosts } from './scan-eta.js';
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
  /** Priced per kind of file (scan-eta.ts): unchanged files cost far less than new ones. */
  etaSeconds: number | null;
  /** Seconds per file this scan measured, by kind: keep them as the next scan's `priorCosts`. */
  costs: ScanCosts;
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
  /**
   * Files probed at once (each holds one file in memory). Default: twice the core count, raised up to four times
   * that while the files in flight are small (together under SMALL_FILES_BUDGET bytes). Given: exactly this many.
   */
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
  /** Files the caller already holds for this root (most will be found unchanged): lets the ETA price them. */
  knownCount?: number;
  /** Costs an earlier scan of this root measured (ScanProgress.costs): the ETA's price for a kind not met yet. */
  priorCosts?: ScanCosts;
}

function classOf(role: Role, relPath: string): string | null {
  if (role !== 'train') return null;
  const slash = relPath.indexOf('/');
  return slash > 0 ? relPath.slice(0, slash) : null;
}

/** What the steps of one scan share: the options as given, resolved once. */
interface ScanRun {
  role: Role;
  known: ScanOptions['known'];
  signal: AbortSignal | undefined;
  counters: ScanCounters;
  limits: ProbeLimits;
  thumbDir: string;
  onSkip: ScanOptions['onSkip'];
  /** Content hashes being decoded right now, so two files with the same bytes decode once. */
  decoding: Map<string, Promise<ScanFailure | null>>;
}

type FileEntry = WalkEntry & { type: 'file' };

const cancelled = (): AppError => new AppError('cancelled', 'scan cancelled');

/**
 * Scans `root` and yields one FileRecord per file (and per unusable folder), in completion order.
 * Throws AppError('cancelled') when the signal aborts; records yielded before that stay valid.
 */
export async function* scanFolder(root: string, options: ScanOptions): AsyncGenerator<FileRecord> {
  const { root: absRoot, realRoot } = await resolveRoot(root);
  const run: ScanRun = {
    role: options.role,
    known: options.known,
    signal: options.signal,
    counters: options.counters ?? createCounters(),
    limits: options.limits ?? DEFAULT_LIMITS,
    thumbDir: await prepareThumbDir(options.thumbDir, realRoot),
    onSkip: options.onSkip,
    decoding: new Map(),
  };
  const progress = new ProgressReporter(options, options.progressIntervalMs ?? 200);
  if (!options.skipCount) await countFirst(absRoot, run.signal, progress);
  progress.startScanning();
  // Twice the cores: while one probe waits on the disk another decodes. Each holds one file in memory.
  const base = Math.max(1, options.concurrency ?? availableParallelism() * 2);
  const limit = new InflightLimit(base, options.concurrency === undefined ? base * 4 : base);
  for await (const record of boundedScan(absRoot, run, limit)) {
    countRecord(run.counters, record);
    progress.fileDone(record.kind === 'unchanged');
    yield record;
    progress.report('scanning');
  }
  progress.report('done', true);
}

async function prepareThumbDir(thumbDir: string, realRoot: string): Promise<string> {
  const abs = resolve(thumbDir);
  await mkdir(abs, { recursive: true });
  if (isInside(realRoot, await realpath(abs)))
    throw new AppError('invalid-argument', `the thumbnail folder must not be inside the scanned folder: ${abs}`);
  return abs;
}

/** A fast counting walk first, so progress has a total from the start. */
async function countFirst(absRoot: string, signal: AbortSignal | undefined, progress: ProgressReporter): Promise<void> {
  progress.report('counting', true);
  try {
    progress.total = await countFiles(absRoot, signal);
  } catch (error) {
    if (signal?.aborted) throw cancelled();
    throw error;
  }
}

/** Progress at most every `interval` ms (the first and last report always go out), with rate and ETA. */
class ProgressReporter {
  total = 0;
  private readonly tally = { unchanged: 0, probed: 0 };
  private lastReport = -Infinity;
  private scanStart = 0;
  private readonly eta: ScanEta;
  private readonly onProgress: ScanOptions['onProgress'];
  private readonly known: number | undefined;

  constructor(
    options: Pick<ScanOptions, 'onProgress' | 'knownCount' | 'priorCosts'>,
    private readonly interval: number,
  ) {
    this.onProgress = options.onProgress;
    this.known = options.knownCount;
    this.eta = new ScanEta(undefined, options.priorCosts);
  }

  private get done(): number {
    return this.tally.unchanged + this.tally.probed;
  }

  startScanning(): void {
    this.scanStart = performance.now();
    this.eta.start();
    this.report('scanning', true);
  }

  fileDone(unchanged: boolean): void {
    if (unchanged) this.tally.unchanged += 1;
    else this.tally.probed += 1;
  }

  report(phase: ScanProgress['phase'], force = false): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastReport < this.interval) return;
    this.lastReport = now;
    const seconds = (now - this.scanStart) / 1000;
    const done = this.done;
    const rate = phase === 'counting' || seconds <= 0 ? 0 : done / seconds;
    this.total = Math.max(this.total, done);
    let etaSeconds: number | null = null;
    // The last window counts too: a short scan's costs are measured only there.
    if (phase !== 'counting') etaSeconds = this.eta.sample(this.tally, { total: this.total, known: this.known });
    if (phase === 'done') etaSeconds = 0;
    this.onProgress({ phase, done, total: this.total, rate, etaSeconds, costs: this.eta.measured(this.tally) });
  }
}

/** Bytes the extra probes (beyond the base count) may hold together: small files only. */
export const SMALL_FILES_BUDGET = 16 * 2 ** 20;

/**
 * How many probes may run at once. Always `base`; up to `max` while the files in flight are small: a probe of a
 * tiny file is mostly waiting on file-system round trips, so more of them keep the cores busy (measured on
 * 8×8 PNGs: 4 → 16 in flight, 488 → 579 files/s and 2.2 → 1.7 CPU-ms per file), while big files keep the
 * memory bound of `base` files.
 */
export class InflightLimit {
  count = 0;
  private bytes = 0;

  constructor(
    private readonly base: number,
    private readonly max: number,
  ) {}

  admits(size: number): boolean {
    if (this.count < this.base) return true;
    return this.count < this.max && this.bytes + size <= SMALL_FILES_BUDGET;
  }

  add(size: number): void {
    this.count += 1;
    this.bytes += size;
  }

  remove(size: number): void {
    this.count -= 1;
    this.bytes -= size;
  }
}

interface Probed {
  id: number;
  size: number;
  record: FileRecord;
}

/**
 * Bounded in-flight work (InflightLimit), so memory stays flat. Records decided from the walk alone skip the
 * pool: a warm rescan is a walk plus a lookup per file.
 */
async function* boundedScan(absRoot: string, run: ScanRun, limit: InflightLimit): AsyncGenerator<FileRecord> {
  const { signal } = run;
  const entries = walk(absRoot, signal ? { signal } : {});
  const inflight = new Map<number, Promise<Probed>>();
  let nextId = 0;
  let walkDone = false;
  // An entry read from the walk that did not fit yet: it goes first once a probe finishes.
  let waiting: FileEntry | null = null;
  try {
    for (;;) {
      while (!walkDone || waiting) {
        if (waiting) {
          if (!limit.admits(waiting.stat.size)) break;
          const entry: FileEntry = waiting;
          waiting = null;
          const id = nextId++;
          const { size } = entry.stat;
          limit.add(size);
          inflight.set(
            id,
            probeEntry(entry, run).then((record) => ({ id, size, record })),
          );
          continue;
        }
        const next = await nextEntry(entries, signal);
        if (next.done) {
          walkDone = true;
          break;
        }
        const decided = decideFromWalk(next.value, run);
        if (decided === 'probe') waiting = next.value as FileEntry;
        else if (decided) yield decided;
      }
      if (inflight.size === 0) break;
      const { id, size, record } = await Promise.race(inflight.values());
      inflight.delete(id);
      limit.remove(size);
      if (signal?.aborted) throw cancelled();
      yield record;
    }
  } finally {
    // Let in-flight probes settle (they never reject for expected failures) so no thumbnail write outlives us.
    await Promise.allSettled(inflight.values());
    await entries.return(undefined);
  }
}

async function nextEntry(
  entries: AsyncGenerator<WalkEntry>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<WalkEntry>> {
  if (signal?.aborted) throw cancelled();
  try {
    return await entries.next();
  } catch (error) {
    if (signal?.aborted) throw cancelled();
    throw error;
  }
}

/** Records that need no file opened, decided from the walk alone (synchronously); 'probe' for the rest. */
function decideFromWalk(entry: WalkEntry, run: ScanRun): FileRecord | null | 'probe' {
  const { relPath, absPath } = entry;
  const className = classOf(run.role, relPath);
  switch (entry.type) {
    case 'skipped':
      run.counters.skipped += 1;
      run.onSkip?.({ relPath, absPath, reason: entry.reason, target: entry.target });
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
      return decideFile(entry, run.known(relPath), className);
  }
}

function decideFile(
  entry: FileEntry,
  prior: { size: number; mtimeMs: number } | undefined,
  className: string | null,
): FileRecord | 'probe' {
  const { relPath, absPath } = entry;
  const { size, mtimeMs } = entry.stat;
  if (prior && prior.size === size && prior.mtimeMs === mtimeMs)
    return { relPath, absPath, size, mtimeMs, kind: 'unchanged', className };
  if (size === 0) {
    const errorMessage = 'the file is empty';
    return { relPath, absPath, size, mtimeMs, kind: 'error', className, errorCode: 'zero-byte', errorMessage };
  }
  return 'probe';
}

/** Opens, hashes and decodes one file (probe.ts); an expected failure is a record with its reason code. */
async function probeEntry(entry: FileEntry, run: ScanRun): Promise<FileRecord> {
  const { relPath, absPath } = entry;
  const className = classOf(run.role, relPath);
  const { size, mtimeMs } = entry.stat;
  run.counters.opened += 1;
  try {
    const p = await probeFile(entry.openPath, {
      thumbDir: run.thumbDir,
      limits: run.limits,
      decoding: run.decoding,
      onDecode: () => {
        run.counters.decoded += 1;
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
}

function countRecord(counters: ScanCounters, r: FileRecord): void {
  counters.files += 1;
  if (r.kind === 'unchanged') counters.unchanged += 1;
  else if (r.kind === 'ok') counters.ok += 1;
  else if (r.errorCode) counters.errors[r.errorCode] = (counters.errors[r.errorCode] ?? 0) + 1;
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
