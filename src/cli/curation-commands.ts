// The curation commands: `ssod dups`, `label-issues`, `map`, `similar`, `quality`, `budget` (and the
// `--quality KIND` filter of `ssod list`, which delegates here). Each opens the project, calls the `curation`
// namespace of the Api and prints text, or with --json what docs and the README promise.
import { resolve } from 'node:path';
import type { QualityFlag } from '../shared/curation-dto.js';
import { AppError } from '../shared/errors.js';
import type { CommandContext, CommandSpec } from './context.js';
import { openProject, printJsonLines, str } from './options.js';

type CurationCommand = CommandSpec;

function int(ctx: CommandContext, key: string): number | undefined {
  const raw = str(ctx, key);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v))
    throw new AppError('invalid-argument', `--${key} must be a whole number, got '${raw}'`);
  return v;
}

const lines = printJsonLines;
const open = openProject;

async function dups(ctx: CommandContext): Promise<number> {
  await open(ctx);
  const report = await ctx.api.curation.duplicates({ recompute: ctx.values.recompute === true });
  if (ctx.json) {
    lines(
      ctx,
      report.groups.map((g) => ({
        kind: g.kind,
        similarity: Number(g.similarity.toFixed(4)),
        relations: g.relations,
        keep: g.images.find((im) => im.imageId === g.keeper)?.path ?? null,
        reason: g.keeperReason,
        images: g.images.map((im) => ({ path: im.path, class: im.class, role: im.role })),
      })),
    );
  } else {
    for (const g of report.groups) {
      ctx.io.out(
        `${g.kind} ${g.relations.join(', ')} (similarity ${g.similarity.toFixed(3)}); keep: ${g.keeperReason}`,
      );
      for (const im of g.images)
        ctx.io.out(
          `  ${im.imageId === g.keeper ? '*' : ' '} ${im.path}  [${im.role}${im.class ? `, ${im.class}` : ''}]`,
        );
    }
    ctx.io.out(
      `${report.groups.length} groups${report.skipped ? `; ${report.skipped} images without features skipped` : ''}`,
    );
  }
  if (ctx.values.resolve === true && report.groups.length > 0) {
    const events = await ctx.api.curation.resolveDuplicates(
      report.groups.map((g) => g.id),
      str(ctx, 'reviewer'),
    );
    if (!ctx.json) ctx.io.out(`rejected ${events.length} duplicates (reason: duplicate)`);
  }
  return 0;
}

async function labelIssues(ctx: CommandContext): Promise<number> {
  await open(ctx);
  const ranking = str(ctx, 'ranking');
  if (ranking !== undefined && ranking !== 'self-confidence' && ranking !== 'normalized-margin') {
    throw new AppError('invalid-argument', `--ranking must be self-confidence or normalized-margin, got '${ranking}'`);
  }
  const report = await ctx.api.curation.labelIssues({
    recompute: ctx.values.recompute === true,
    issuesOnly: ctx.values.all !== true,
    ...(int(ctx, 'limit') !== undefined ? { limit: int(ctx, 'limit')! } : {}),
    ...(ranking ? { ranking } : {}),
  });
  if (ctx.json) {
    lines(
      ctx,
      report.issues.map((i) => ({
        path: i.path,
        label: i.label,
        suggested: i.suggested,
        suggestedProb: Number(i.suggestedProb.toFixed(4)),
        score: Number(i.score.toFixed(4)),
      })),
    );
  } else {
    for (const i of report.issues)
      ctx.io.out(`${i.score.toFixed(3)}  ${i.path}  ${i.label} → ${i.suggested} (p ${i.suggestedProb.toFixed(2)})`);
    ctx.io.out(`${report.issues.length} shown; about ${Math.round(report.estimatedErrors)} label errors estimated`);
  }
  return 0;
}

async function map(ctx: CommandContext): Promise<number> {
  await open(ctx);
  const method = str(ctx, 'method') ?? 'umap';
  if (method !== 'umap' && method !== 'pca')
    throw new AppError('invalid-argument', `--method must be umap or pca, got '${method}'`);
  const report = await ctx.api.curation.map({ method, recompute: ctx.values.recompute === true });
  if (ctx.json)
    lines(
      ctx,
      report.points.map((p) => ({ path: p.path, x: Number(p.x.toFixed(4)), y: Number(p.y.toFixed(4)) })),
    );
  else ctx.io.out(`map of ${report.points.length} images (${report.method}) stored with run ${report.runId}`);
  return 0;
}

async function similar(ctx: CommandContext): Promise<number> {
  await open(ctx);
  const image = ctx.positionals[1];
  if (!image) throw new AppError('invalid-argument', 'missing IMAGE (a path, or an image id)');
  const limit = int(ctx, 'limit') ?? 20;
  if (limit < 1) throw new AppError('invalid-argument', `--limit must be at least 1, got ${limit}`);
  let ref: { imageId?: number; file?: string };
  try {
    ref = { imageId: await ctx.api.images.resolve(image) };
  } catch {
    ref = { file: resolve(image) };
  }
  const hits = await ctx.api.curation.similar(ref, limit);
  if (ctx.json)
    lines(
      ctx,
      hits.map((h) => ({ path: h.path, similarity: Number(h.similarity.toFixed(4)) })),
    );
  else for (const h of hits) ctx.io.out(`${h.similarity.toFixed(3)}  ${h.path}`);
  return 0;
}

const FLAGS: readonly QualityFlag[] = ['dark', 'bright', 'low-contrast', 'blurry', 'tiny', 'aspect', 'grey'];

/** `ssod list DIR --quality KIND` and `ssod quality DIR [--kind KIND]`. */
export async function listQuality(
  ctx: CommandContext,
  kind: string | undefined,
  limit: number | undefined,
): Promise<number> {
  if (kind !== undefined && !FLAGS.includes(kind as QualityFlag)) {
    throw new AppError('invalid-argument', `--quality must be one of ${FLAGS.join(', ')}, got '${kind}'`);
  }
  const report = await ctx.api.curation.quality(kind as QualityFlag | undefined, limit);
  if (ctx.json)
    lines(
      ctx,
      report.images.map((i) => ({
        path: i.path,
        class: i.class,
        role: i.role,
        flags: i.flags,
        brightness: Number(i.brightness.toFixed(1)),
        contrast: Number(i.contrast.toFixed(1)),
        sharpness: Number(i.sharpness.toFixed(1)),
        width: i.width,
        height: i.height,
      })),
    );
  else {
    for (const i of report.images) ctx.io.out(`${i.flags.join(',').padEnd(20)} ${i.path}`);
    ctx.io.out(
      Object.entries(report.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'no image flagged',
    );
  }
  return 0;
}

async function budget(ctx: CommandContext): Promise<number> {
  await open(ctx);
  const reviews = int(ctx, 'reviews');
  if (reviews === undefined)
    throw new AppError('invalid-argument', 'missing --reviews N (how many images you can review)');
  const audit = int(ctx, 'audit');
  if (audit !== undefined) {
    const ids = await ctx.api.curation.drawAudit(reviews, audit);
    if (!ctx.json)
      ctx.io.out(
        `drew ${ids.length} images below the threshold into the audit sample: review them to estimate what the threshold misses`,
      );
  }
  const r = await ctx.api.curation.budget(reviews);
  if (ctx.json) {
    const { curve, ...rest } = r;
    ctx.io.out(JSON.stringify({ ...rest, curve: ctx.values.curve === true ? curve : undefined }, null, 2));
    return 0;
  }
  ctx.io.out(`review the ${r.flagged} images scoring ≥ ${r.threshold.toFixed(4)} (${r.scorer})`);
  ctx.io.out(
    r.expectedOod === null
      ? 'expected OOD among them: unknown until some images are reviewed'
      : `expected OOD among them: ${r.expectedOod.toFixed(1)}`,
  );
  if (r.estimatedMissed && r.prevalence) {
    ctx.io.out(
      `below the threshold (${r.belowThreshold} images): prevalence ${(100 * r.prevalence[1]).toFixed(2)}% [${(100 * r.prevalence[0]).toFixed(2)}, ${(100 * r.prevalence[2]).toFixed(2)}], ` +
        `about ${r.estimatedMissed[0].toFixed(0)}–${r.estimatedMissed[1].toFixed(0)} OOD missed (from ${r.auditDecided} audit decisions)`,
    );
  } else
    ctx.io.out(
      `what stays below the threshold is unknown: draw an audit sample (--audit 50) and review it${r.auditPending ? ` (${r.auditPending} audit images await review)` : ''}`,
    );
  return 0;
}

export const CURATION_COMMANDS: CurationCommand[] = [
  {
    name: 'dups',
    usage: 'dups DIR [--recompute] [--resolve [--reviewer R]]',
    summary:
      'exact and near duplicates, label conflicts and train/inbox leaks (--resolve: keep the suggested image of each group, reject the rest)',
    positionals: ['DIR'],
    options: { recompute: { type: 'boolean' }, resolve: { type: 'boolean' }, reviewer: { type: 'string' } },
    run: dups,
  },
  {
    name: 'label-issues',
    usage: 'label-issues DIR [--limit N] [--all] [--ranking self-confidence|normalized-margin] [--recompute]',
    summary: 'labelled images most likely mislabelled, with the suggested class (confident learning)',
    positionals: ['DIR'],
    options: {
      limit: { type: 'string' },
      all: { type: 'boolean' },
      ranking: { type: 'string' },
      recompute: { type: 'boolean' },
    },
    run: labelIssues,
  },
  {
    name: 'map',
    usage: 'map DIR [--method umap|pca] [--recompute]',
    summary: '2-D map of every image (UMAP of the pooled features), stored with the run',
    positionals: ['DIR'],
    options: { method: { type: 'string' }, recompute: { type: 'boolean' } },
    run: map,
  },
  {
    name: 'similar',
    usage: 'similar DIR IMAGE [--limit N]',
    summary: 'the images most like IMAGE (a project image, or any image file: its feature is extracted)',
    positionals: ['DIR', 'IMAGE'],
    options: { limit: { type: 'string' } },
    run: similar,
  },
  {
    name: 'quality',
    usage: 'quality DIR [--kind dark|bright|low-contrast|blurry|tiny|aspect|grey] [--limit N]',
    summary: 'image-quality flags (also: ssod list DIR --quality KIND)',
    positionals: ['DIR'],
    options: { kind: { type: 'string' }, limit: { type: 'string' } },
    run: async (ctx) => {
      await open(ctx);
      return listQuality(ctx, str(ctx, 'kind'), int(ctx, 'limit'));
    },
  },
  {
    name: 'budget',
    usage: 'budget DIR --reviews N [--audit SIZE] [--curve]',
    summary:
      'the threshold that spends N reviews best, expected OOD found and missed (--audit: draw an audit sample below it)',
    positionals: ['DIR'],
    options: { reviews: { type: 'string' }, audit: { type: 'string' }, curve: { type: 'boolean' } },
    arguments: {
      'curation.budget[0]': '--reviews',
      'curation.drawAudit[0]': '--reviews',
      'curation.drawAudit[1]': '--audit',
    },
    run: budget,
  },
];
