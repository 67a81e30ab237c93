// The table of `ssod` commands. Each is a few lines over the Api client; formatting lives in format.ts. A command
// parses its text arguments (a number is a number) and leaves every rule about them to the Api's one schema,
// whose refusals come back named by the option the user typed (argument-names.ts).
import { resolve } from 'node:path';
import type { Action, ExportOptions, ImageQuery, Role, ScanSummary, TrainOptions } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { writeRocPlot } from '../services/index.js';
import type { CommandSpec } from './context.js';
import { CURATION_COMMANDS, listQuality } from './curation-commands.js';
import { formatUnlabelledLine, LABEL_COMMANDS, listLabelled, listSortKey } from './label-commands.js';
import { num, openProject, ownInt, printJson, printJsonLines, str } from './options.js';
import { serve } from './serve.js';
import { formatEval, formatStatus, formatImageLine, formatHistoryLine, formatDiff, formatRun } from './format.js';

function scanText(s: ScanSummary): string {
  const errors = Object.entries(s.errors)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `scanned ${s.files} files in ${s.seconds.toFixed(1)} s: ${s.added} new, ${s.changed} changed, ` +
    `${s.unchanged} unchanged, ${s.moved} moved, ${s.missing} missing` +
    (errors ? `; errors: ${errors}` : '')
  );
}

export const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    usage: 'init DIR [--name NAME]',
    summary: 'create a project',
    positionals: ['DIR'],
    options: { name: { type: 'string' } },
    async run(ctx) {
      const info = await ctx.api.projects.create(resolve(ctx.positionals[0] ?? ''), str(ctx, 'name'));
      if (ctx.json) printJson(ctx, info);
      else ctx.io.out(`created project '${info.name}' at ${info.path}`);
      return 0;
    },
  },
  {
    name: 'add',
    usage: 'add DIR FOLDER --role train|inbox',
    summary: 'add a source folder and scan it',
    positionals: ['DIR', 'FOLDER'],
    options: { role: { type: 'string' } },
    arguments: { 'sources.add[1]': '--role' },
    async run(ctx) {
      await openProject(ctx);
      const source = await ctx.api.sources.add(resolve(ctx.positionals[1] ?? ''), str(ctx, 'role') as Role);
      const result = await ctx.runJob(ctx.api.jobs.scan(source.id));
      const summary = result.result as ScanSummary;
      if (ctx.json) printJson(ctx, { source, scan: summary });
      else ctx.io.out(`added ${source.role} source ${source.path}\n${scanText(summary)}`);
      return 0;
    },
  },
  {
    name: 'scan',
    usage: 'scan DIR',
    summary: 'rescan every source incrementally',
    positionals: ['DIR'],
    options: {},
    async run(ctx) {
      await openProject(ctx);
      const result = await ctx.runJob(ctx.api.jobs.scan());
      const summary = result.result as ScanSummary;
      if (ctx.json) printJson(ctx, summary);
      else ctx.io.out(scanText(summary));
      return 0;
    },
  },
  {
    name: 'status',
    usage: 'status DIR',
    summary: 'counts per source, class and status; errors by reason code',
    positionals: ['DIR'],
    options: {},
    async run(ctx) {
      await openProject(ctx);
      const status = await ctx.api.projects.status();
      if (ctx.json) printJson(ctx, status);
      else ctx.io.out(formatStatus(status));
      return 0;
    },
  },
  {
    name: 'list',
    usage:
      'list DIR [--errors] [--class C] [--flagged] [--sort SCORER] [--limit N] [--quality KIND] [--raw] ' +
      '[--unlabelled | --labelled] [--order informative|path]',
    summary:
      'images with path, class, status, score (held-out ID percentile; --raw: the raw value), decision ' +
      '(--unlabelled --order informative: the inbox images a label helps most first, with their suggestion)',
    positionals: ['DIR'],
    options: {
      errors: { type: 'boolean' },
      class: { type: 'string' },
      flagged: { type: 'boolean' },
      sort: { type: 'string' },
      limit: { type: 'string' },
      role: { type: 'string' },
      quality: { type: 'string' },
      raw: { type: 'boolean' },
      unlabelled: { type: 'boolean' },
      labelled: { type: 'boolean' },
      order: { type: 'string' },
    },
    async run(ctx) {
      await openProject(ctx);
      if (str(ctx, 'quality') !== undefined)
        return listQuality(ctx, str(ctx, 'quality'), ownInt(ctx, 'limit', { min: 1 }));
      const limit = ownInt(ctx, 'limit', { min: 1 }) ?? (ctx.json ? 1_000_000 : 50);
      const query: ImageQuery = {
        // An unlabelled image that is missing or unreadable since the scan cannot take a label: not listed.
        status: ctx.values.errors ? 'error' : ctx.values.unlabelled ? 'ok' : undefined,
        class: str(ctx, 'class'),
        flagged: ctx.values.flagged ? true : undefined,
        sortBy: listSortKey(ctx),
        labelled: listLabelled(ctx),
        role: str(ctx, 'role') as Role | undefined,
        limit: Math.min(limit, 1000),
        offset: 0,
      };
      // `source` (the source folder's absolute path) is part of the documented --json shape.
      const sourcePaths = new Map((await ctx.api.sources.list()).map((s) => [s.id, s.path]));
      let printed = 0;
      for (;;) {
        const page = await ctx.api.images.list({ ...query, offset: printed, limit: Math.min(1000, limit - printed) });
        if (ctx.json)
          printJsonLines(
            ctx,
            page.rows.map((r) => ({ ...r, source: sourcePaths.get(r.sourceId) ?? null })),
          );
        else if (ctx.values.unlabelled) for (const row of page.rows) ctx.io.out(formatUnlabelledLine(row));
        else for (const row of page.rows) ctx.io.out(formatImageLine(row, Boolean(ctx.values.raw)));
        printed += page.rows.length;
        if (page.rows.length === 0 || printed >= limit || printed >= page.total) {
          if (!ctx.json && page.total > printed) ctx.io.out(`… ${page.total - printed} more (use --limit)`);
          break;
        }
      }
      return 0;
    },
  },
  {
    name: 'train',
    usage:
      'train DIR [--backbone B] [--layer L] [--mode heads|adapt|end-to-end] [--budget SECONDS] [--input-size N] ' +
      '[--folds K] [--gamma G] [--alpha A] [--epochs E] [--seed S] [--backend NAME] [--crops N]',
    summary:
      'extract missing features, train SSOD, score everything (--crops N: random crops per image to widen ' +
      'sampling; 0 = never, default = only when the background is degenerate; without --mode: reuse the ' +
      "current run's adapted top, or, with 10+ reviewed OOD images and an adaptation that fits --budget, train " +
      'heads and adapt mode and keep the one that validates better; else heads; --budget SECONDS: the whole ' +
      "run's time (default 300): adapting gets what extraction took and the heads and storing the run will " +
      'take leave, and stops starting epochs when that is spent)',
    positionals: ['DIR'],
    options: {
      backbone: { type: 'string' },
      layer: { type: 'string' },
      mode: { type: 'string' },
      budget: { type: 'string' },
      'input-size': { type: 'string' },
      folds: { type: 'string' },
      gamma: { type: 'string' },
      alpha: { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      crops: { type: 'string' },
    },
    async run(ctx) {
      await openProject(ctx);
      const options: TrainOptions = {
        backbone: str(ctx, 'backbone'),
        layer: str(ctx, 'layer'),
        mode: str(ctx, 'mode') as TrainOptions['mode'],
        budget: num(ctx, 'budget', true),
        inputSize: num(ctx, 'input-size', true),
        folds: num(ctx, 'folds', true),
        gamma: num(ctx, 'gamma'),
        alpha: num(ctx, 'alpha'),
        epochs: num(ctx, 'epochs', true),
        seed: num(ctx, 'seed', true),
        backend: str(ctx, 'backend'),
        crops: num(ctx, 'crops', true),
      };
      const result = await ctx.runJob(ctx.api.jobs.train(options));
      const run = await ctx.api.runs.get((result.result as { id: number }).id);
      if (ctx.json) printJson(ctx, run);
      else ctx.io.out(formatRun(run));
      return 0;
    },
  },
  {
    name: 'score',
    usage: 'score DIR',
    summary: 'rescore every image with the current run',
    positionals: ['DIR'],
    options: {},
    async run(ctx) {
      await openProject(ctx);
      const result = await ctx.runJob(ctx.api.jobs.score());
      if (ctx.json) printJson(ctx, result.result);
      else ctx.io.out(`scored ${(result.result as { scored: number }).scored} images`);
      return 0;
    },
  },
  {
    name: 'eval',
    usage: 'eval DIR (--ood FOLDER [--id FOLDER] [--plot FILE] | --from-reviews [--pass-rate R])',
    summary: 'AUROC, FPR95, AUPR per scorer on labelled folders or on the reviewers’ decisions',
    positionals: ['DIR'],
    options: {
      ood: { type: 'string' },
      id: { type: 'string' },
      plot: { type: 'string' },
      'from-reviews': { type: 'boolean' },
      'pass-rate': { type: 'string' },
    },
    arguments: {
      'runs.evalFromReviews[0]': '--pass-rate',
      'jobs.evalFolders[0]': '--ood',
      'jobs.evalFolders[1]': '--id',
    },
    async run(ctx) {
      await openProject(ctx);
      let report;
      if (ctx.values['from-reviews']) {
        report = await ctx.api.runs.evalFromReviews(num(ctx, 'pass-rate'));
      } else {
        const ood = str(ctx, 'ood');
        if (!ood) throw new AppError('invalid-argument', 'give --ood FOLDER or --from-reviews');
        const id = str(ctx, 'id');
        const result = await ctx.runJob(ctx.api.jobs.evalFolders(resolve(ood), id ? resolve(id) : undefined));
        report = result.result as Awaited<ReturnType<typeof ctx.api.runs.evalFromReviews>>;
      }
      const plot = str(ctx, 'plot');
      if (plot) await writeRocPlot(report, resolve(plot));
      if (ctx.json) printJson(ctx, report);
      else ctx.io.out(formatEval(report) + (plot ? `\nROC plot written to ${resolve(plot)}` : ''));
      return 0;
    },
  },
  {
    name: 'review',
    usage: 'review DIR IMAGE (--keep | --reject | --relabel CLASS | --unsure | --undo) [--note TEXT] [--reviewer NAME]',
    summary: 'record one decision exactly as the app does (IMAGE: path or id)',
    positionals: ['DIR', 'IMAGE'],
    options: {
      keep: { type: 'boolean' },
      reject: { type: 'boolean' },
      relabel: { type: 'string' },
      unsure: { type: 'boolean' },
      undo: { type: 'boolean' },
      note: { type: 'string' },
      reviewer: { type: 'string' },
    },
    arguments: {
      'review.decide[0].newClass': '--relabel',
      'review.undo[1]': '--reviewer',
      'images.resolve[0]': 'IMAGE',
    },
    async run(ctx) {
      await openProject(ctx);
      const chosen = (['keep', 'reject', 'relabel', 'unsure', 'undo'] as const).filter((a) => ctx.values[a]);
      if (chosen.length !== 1) {
        throw new AppError(
          'invalid-argument',
          'give exactly one of --keep, --reject, --relabel CLASS, --unsure, --undo',
        );
      }
      const imageId = await ctx.api.images.resolve(ctx.positionals[1] ?? '');
      const reviewer = str(ctx, 'reviewer');
      const action = chosen[0];
      const events =
        action === 'undo'
          ? await ctx.api.review.undo([imageId], reviewer)
          : await ctx.api.review.decide({
              imageIds: [imageId],
              action: action as Action,
              newClass: str(ctx, 'relabel'),
              note: str(ctx, 'note'),
              reviewer,
            });
      if (ctx.json) printJson(ctx, events[0]);
      else for (const e of events) ctx.io.out(formatHistoryLine(e));
      return 0;
    },
  },
  {
    name: 'history',
    usage: 'history DIR [IMAGE] [--limit N]',
    summary: 'the audit trail of review decisions',
    positionals: ['DIR', 'IMAGE?'],
    options: { limit: { type: 'string' } },
    arguments: { 'review.history[1]': '--limit', 'images.resolve[0]': 'IMAGE' },
    async run(ctx) {
      await openProject(ctx);
      const ref = ctx.positionals[1];
      const imageId = ref === undefined ? undefined : await ctx.api.images.resolve(ref);
      const events = await ctx.api.review.history(imageId, num(ctx, 'limit', true));
      if (ctx.json) printJsonLines(ctx, events);
      else for (const e of events) ctx.io.out(formatHistoryLine(e));
      return 0;
    },
  },
  {
    name: 'runs',
    usage: 'runs DIR [--use RUN]',
    summary: 'list model runs; --use makes a run current again',
    positionals: ['DIR'],
    options: { use: { type: 'string' } },
    arguments: { 'runs.setCurrent[0]': '--use' },
    async run(ctx) {
      await openProject(ctx);
      const use = num(ctx, 'use', true);
      if (use !== undefined) await ctx.api.runs.setCurrent(use);
      const runs = await ctx.api.runs.list();
      if (ctx.json) printJsonLines(ctx, runs);
      else for (const r of runs) ctx.io.out(formatRun(r));
      return 0;
    },
  },
  {
    name: 'diff',
    usage: 'diff DIR [RUN_A] [RUN_B] [--limit N]',
    summary: 'what moved between two runs (default: previous vs current)',
    positionals: ['DIR', 'RUN_A?', 'RUN_B?'],
    options: { limit: { type: 'string' } },
    arguments: { 'runs.diff[0]': 'RUN_A', 'runs.diff[1]': 'RUN_B', 'runs.diff[2]': '--limit' },
    async run(ctx) {
      await openProject(ctx);
      const toRun = (s: string | undefined): number | undefined => {
        if (s === undefined) return undefined;
        const v = Number(s);
        if (s.trim() === '' || !Number.isFinite(v)) throw new AppError('invalid-argument', `not a run id: '${s}'`);
        return v;
      };
      const diff = await ctx.api.runs.diff(
        toRun(ctx.positionals[1]),
        toRun(ctx.positionals[2]),
        num(ctx, 'limit', true),
      );
      if (ctx.json) printJson(ctx, diff);
      else ctx.io.out(formatDiff(diff));
      return 0;
    },
  },
  {
    name: 'export',
    usage: 'export DIR OUT [--format imagefolder|csv|json] [--mode copy|hardlink|symlink] [--include train|all|kept]',
    summary: 'export the curated dataset with manifests and the audit log',
    positionals: ['DIR', 'OUT'],
    options: { format: { type: 'string' }, mode: { type: 'string' }, include: { type: 'string' } },
    async run(ctx) {
      await openProject(ctx);
      const options: ExportOptions = {
        out: resolve(ctx.positionals[1] ?? ''),
        format: (str(ctx, 'format') ?? 'imagefolder') as ExportOptions['format'],
        mode: (str(ctx, 'mode') ?? 'copy') as ExportOptions['mode'],
        include: (str(ctx, 'include') ?? 'train') as ExportOptions['include'],
      };
      const result = await ctx.runJob(ctx.api.jobs.export(options));
      if (ctx.json) printJson(ctx, result.result);
      else {
        const r = result.result as { images: number; out: string; bytes: number };
        ctx.io.out(`exported ${r.images} images (${(r.bytes / 1e6).toFixed(1)} MB) to ${r.out}`);
      }
      return 0;
    },
  },
  {
    name: 'verify',
    usage: 'verify OUT',
    summary: 're-hash an export against its manifest',
    positionals: ['OUT'],
    options: {},
    async run(ctx) {
      const result = await ctx.api.exports.verify(resolve(ctx.positionals[0] ?? ''));
      if (ctx.json) printJson(ctx, result);
      else {
        ctx.io.out(result.ok ? `ok: ${result.checked} files match` : `FAILED: ${result.checked} checked`);
        for (const m of result.mismatched) ctx.io.out(`  changed: ${m}`);
        for (const m of result.missing) ctx.io.out(`  missing: ${m}`);
      }
      return result.ok ? 0 : 1;
    },
  },
  {
    name: 'demo',
    usage: 'demo [DIR]',
    summary: 'create a demo project (Fashion-MNIST images with out-of-distribution ones in the inbox)',
    positionals: ['DIR?'],
    options: {},
    async run(ctx) {
      const dir = ctx.positionals[0];
      const info = await ctx.api.projects.createDemo(dir ? resolve(dir) : undefined);
      const job = await ctx.api.jobs.active();
      if (job) await ctx.runJob(Promise.resolve({ id: job.jobId, kind: job.kind }));
      if (ctx.json) printJson(ctx, info);
      else ctx.io.out(`demo project ready at ${info.path}`);
      return 0;
    },
  },
  {
    name: 'serve',
    usage: 'serve [DIR] [--port N] [--host 127.0.0.1]',
    summary: 'browser mode: serve the app on this machine',
    positionals: ['DIR?'],
    options: { port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' } },
    async run(ctx) {
      if (ctx.positionals[0]) await openProject(ctx);
      const port = ownInt(ctx, 'port', { min: 0, max: 65535 });
      await serve(ctx.services, {
        host: str(ctx, 'host'),
        port,
        json: ctx.json,
        open: ctx.values.open === true,
        io: ctx.io,
      });
      return 0;
    },
  },
  ...CURATION_COMMANDS,
  ...LABEL_COMMANDS,
];
