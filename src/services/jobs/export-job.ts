// Builds the export's entries from the store (train images minus rejected, relabels applied, by default) and
// hands them to the writer. The audit log goes along as decisions.jsonl.
import { statSync } from 'node:fs';
import {
  allEvents,
  currentDecisions,
  currentRun,
  type Db,
  getImages,
  iterateImages,
  listSources,
  queryImages,
  recordExport,
} from '../../db/index.js';
import type { ExportOptions, ExportResult, ImageRow } from '../../shared/dto.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { writeExport, type ExportEntry } from '../export/write-export.js';

function* idsToExport(project: ProjectHandle, options: ExportOptions): Generator<number> {
  const include = options.include ?? 'train';
  if (include === 'query') {
    const run = currentRun(project.db);
    const q = options.query ?? {};
    for (let offset = 0; ;) {
      const page = queryImages(project.db, {
        ...q,
        offset,
        limit: 1000,
        runId: run?.id ?? null,
        defaultScorer: run?.defaultScorer ?? 'ssod',
      });
      for (const r of page.rows) yield r.id;
      offset += page.rows.length;
      if (!page.rows.length || offset >= page.total) return;
    }
  }
  // `train`: the train folders, and inbox images that were given a class (a label) since they train as it too.
  const labelled = include === 'train' ? labelledInboxIds(project.db) : new Set<number>();
  for (const img of iterateImages(project.db, { status: 'ok' })) {
    if (include !== 'train' || img.role === 'train' || labelled.has(img.id)) yield img.id;
  }
}

function labelledInboxIds(db: Db): Set<number> {
  const ids = new Set<number>();
  for (const [id, d] of currentDecisions(db)) if (d.action === 'relabel') ids.add(id);
  return ids;
}

function toEntry(row: ImageRow, runId: number | null): ExportEntry | null {
  const d = row.decision;
  if (d?.action === 'reject' || !row.sha256 || row.status !== 'ok') return null;
  return {
    imageId: row.id,
    srcPath: row.path,
    relPath: row.relPath,
    className: d?.action === 'relabel' ? d.newClass : row.class,
    originalClass: row.folderClass ?? null,
    classSource: row.classSource ?? null,
    sha256: row.sha256,
    size: 0,
    decision: d?.action ?? null,
    reviewer: d?.reviewer ?? null,
    decidedAt: d?.at ?? null,
    note: d?.note ?? null,
    scores: row.scores,
    calibrated: row.calibrated,
    runId,
    role: row.role,
  };
}

export async function runExport(
  project: ProjectHandle,
  options: ExportOptions,
  ctx: JobContext,
): Promise<ExportResult> {
  const run = currentRun(project.db);
  const runId = run?.id ?? null;
  const include = options.include ?? 'train';
  const ids = [...idsToExport(project, options)];
  const entries: ExportEntry[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of getImages(project.db, ids.slice(i, i + 500), runId)) {
      const entry = toEntry(row, runId);
      if (!entry) continue;
      if (include === 'kept' && !(row.decision?.action === 'keep' || row.decision?.action === 'relabel')) continue;
      try {
        entry.size = statSync(entry.srcPath).size;
      } catch {
        continue; // vanished since the scan: not exported, the manifest stays true
      }
      entries.push(entry);
    }
    ctx.progress({ phase: 'collect', done: Math.min(ids.length, i + 500), total: ids.length });
  }
  const result = await writeExport({
    out: options.out,
    format: options.format ?? 'imagefolder',
    mode: options.mode ?? 'copy',
    entries,
    decisionsJsonl: function* () {
      for (const e of allEvents(project.db)) yield JSON.stringify(e);
    },
    sourceFolders: listSources(project.db).map((s) => s.path),
    projectInfo: { project: project.info(), run: runId, exportedAt: new Date().toISOString(), include },
    signal: ctx.signal,
    onProgress: (done, total) => ctx.progress({ phase: 'export', done, total }),
  });
  const perClass: Record<string, number> = {};
  for (const e of entries) perClass[e.className ?? '_unlabelled'] = (perClass[e.className ?? '_unlabelled'] ?? 0) + 1;
  recordExport(project.db, {
    out: result.out,
    options,
    counts: { perClass },
    images: result.images,
    bytes: result.bytes,
  });
  return result;
}
