// Scans sources into the store. Each batch of records is committed in one transaction, so a scan killed at
// any moment loses at most the batch in flight; the next scan compares against what was committed and goes on.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  beginScan,
  findMissingBySha,
  getSetting,
  getSource,
  knownFileLookup,
  listSources,
  markMissing,
  markSeen,
  touchScan,
  setSetting,
  upsertScanned,
  useScanPragmas,
  type Db,
  type KnownFile,
  type ScannedFile,
} from '../../db/index.js';
import { createCounters, scanFolderBatches, type FileRecord, type ScanCosts } from '../../scan/index.js';
import type { ScanSummary, SourceInfo } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';

export interface ScanJobOptions {
  sourceId?: number;
  batchSize?: number;
  /** Test hook: called after each committed batch with the number of records committed so far. */
  afterBatch?: (committed: number) => void;
}

export async function runScan(
  project: ProjectHandle,
  ctx: JobContext,
  options: ScanJobOptions = {},
): Promise<ScanSummary> {
  const started = performance.now();
  // First, so the sources' counts (a pass over every image row) already read through the small cache.
  const restorePragmas = useScanPragmas(project.db);
  try {
    const sources =
      options.sourceId !== undefined ? [getSource(project.db, options.sourceId)] : listSources(project.db);
    return await scanSources(project, sources, ctx, options, started);
  } finally {
    restorePragmas();
  }
}

async function scanSources(
  project: ProjectHandle,
  sources: SourceInfo[],
  ctx: JobContext,
  options: ScanJobOptions,
  started: number,
): Promise<ScanSummary> {
  const summary: ScanSummary = {
    files: 0,
    added: 0,
    changed: 0,
    unchanged: 0,
    moved: 0,
    missing: 0,
    errors: {},
    decoded: 0,
    seconds: 0,
  };
  for (const source of sources) {
    if (!existsSync(source.path)) {
      throw new AppError('not-found', `source folder is gone: ${source.path} (reconnect the drive or remove it)`);
    }
    await scanSource(project, source, ctx, summary, options);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

async function scanSource(
  project: ProjectHandle,
  source: SourceInfo,
  ctx: JobContext,
  summary: ScanSummary,
  options: ScanJobOptions,
): Promise<void> {
  const { db } = project;
  const gen = beginScan(db, source.id);
  const known = new KnownPaths(knownFileLookup(db, source.id));
  const counters = createCounters();
  const costs = new SavedCosts(db, source.id);
  let committed = 0;
  const batches = scanFolderBatches(source.path, {
    role: source.role,
    known: (rel) => known.check(rel),
    thumbDir: project.thumbDir,
    signal: ctx.signal,
    counters,
    batchSize: options.batchSize ?? 200,
    knownCount: source.counts.ok + source.counts.error,
    priorCosts: costs.prior,
    // The scanner's ETA prices unchanged and new files apart; the runner's single rate cannot.
    onProgress: (p) => {
      costs.offer(p.costs);
      ctx.progress({
        phase: p.phase === 'counting' ? 'counting' : 'scanning',
        done: p.done,
        total: p.total,
        etaSeconds: p.etaSeconds,
      });
    },
  });
  for await (const batch of batches) {
    const unchangedIds: number[] = [];
    const files: ScannedFile[] = [];
    for (const record of batch) {
      summary.files++;
      const prior = known.take(record.relPath);
      if (record.kind === 'unchanged' && prior) {
        unchangedIds.push(prior.id);
        summary.unchanged++;
        continue;
      }
      const file = toScannedFile(record, source);
      if (record.kind === 'error' && record.errorCode) {
        summary.errors[record.errorCode] = (summary.errors[record.errorCode] ?? 0) + 1;
      }
      const moved = prior || !file.sha256 ? null : movedFrom(project, source, file.sha256, gen);
      if (prior) summary.changed++;
      else if (moved) {
        file.id = moved.id;
        summary.moved++;
      } else summary.added++;
      files.push(file);
    }
    if (unchangedIds.length) markSeen(db, unchangedIds, gen);
    if (files.length) upsertScanned(db, source.id, gen, files);
    committed += batch.length;
    options.afterBatch?.(committed);
  }
  summary.decoded += counters.decoded;
  costs.save();
  if (ctx.signal.aborted) throw new AppError('cancelled', 'scan cancelled');
  // Only a complete scan may decide what is missing.
  summary.missing += markMissing(db, source.id, gen);
  touchScan(db, source.id);
}

/** What the store holds for the paths the scanner is deciding on, looked up one path at a time: only the paths
 * between the scanner's check and their batch's commit are held (in-flight probes plus one batch), never the
 * whole source, so a scan of a million files stays flat in memory. */
class KnownPaths {
  private readonly held = new Map<string, KnownFile>();

  constructor(private readonly lookup: (relPath: string) => KnownFile | undefined) {}

  check(relPath: string): KnownFile | undefined {
    const k = this.lookup(relPath);
    if (k) this.held.set(relPath, k);
    return k;
  }

  /** The stored record of a path the scanner reported (forgotten here once taken). */
  take(relPath: string): KnownFile | undefined {
    const k = this.held.get(relPath) ?? this.lookup(relPath);
    this.held.delete(relPath);
    return k;
  }
}

/**
 * What scans of a source cost per file, kept in the project's settings so the next scan (a resume after a kill
 * above all) can price the new files before it meets one. Saved every SAVE_EVERY_MS while a scan runs, since a
 * killed scan never reaches its end.
 */
class SavedCosts {
  static readonly SAVE_EVERY_MS = 30_000;
  readonly prior: ScanCosts;
  private readonly key: string;
  private current: ScanCosts;
  private savedAt = performance.now();

  constructor(
    private readonly db: Db,
    sourceId: number,
  ) {
    this.key = `scan.costs.${sourceId}`;
    this.prior = validCosts(getSetting<unknown>(db, this.key, null));
    this.current = { ...this.prior };
  }

  /** Takes the scan's latest measurement; a kind it has not met keeps the earlier figure. */
  offer(measured: ScanCosts): void {
    this.current = {
      unchanged: measured.unchanged ?? this.current.unchanged,
      probed: measured.probed ?? this.current.probed,
    };
    if (performance.now() - this.savedAt >= SavedCosts.SAVE_EVERY_MS) this.save();
  }

  save(): void {
    this.savedAt = performance.now();
    if (this.current.unchanged === null && this.current.probed === null) return;
    setSetting(this.db, this.key, this.current);
  }
}

/** A stored value is only trusted as seconds per file: anything else (an older or hand-edited value) is ignored. */
function validCosts(value: unknown): ScanCosts {
  const ok = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return { unchanged: ok(o.unchanged), probed: ok(o.probed) };
}

/** A new path whose content matches an image that is no longer at its old path: the same image, moved. */
function movedFrom(project: ProjectHandle, source: SourceInfo, sha256: string, gen: number): KnownFile | null {
  for (const candidate of findMissingBySha(project.db, source.id, sha256, gen)) {
    if (!existsSync(join(source.path, candidate.relPath))) return candidate;
  }
  return null;
}

function toScannedFile(record: FileRecord, source: SourceInfo): ScannedFile {
  return {
    relPath: record.relPath,
    size: record.size,
    mtimeMs: record.mtimeMs,
    sha256: record.sha256 ?? null,
    width: record.width ?? null,
    height: record.height ?? null,
    format: record.format ?? null,
    class: source.role === 'train' ? record.className : null,
    status: record.kind === 'error' ? 'error' : 'ok',
    errorCode: record.errorCode ?? null,
    errorMessage: record.errorMessage ?? null,
  };
}
