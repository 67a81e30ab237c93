// The labeling commands: `ssod label` (one image, bulk accept with a dry run, undo of a batch, the batches) and
// `ssod classes` (the legend, new classes), plus the text line `ssod list --unlabelled` prints. Each opens the
// project and calls the `labeling` namespace of the Api; the service holds every rule, the CLI only words its
// refusals the way the user typed them (`--create-class`, `--min-confidence`).
import type { ImageRow } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { BulkPreview, ClassLegend, LabelBatch, LabelResult } from '../shared/labeling-dto.js';
import { caseClash } from '../shared/labeling-names.js';
import type { CommandContext, CommandSpec } from './context.js';
import { num, openProject, printJson, printJsonLines, str } from './options.js';

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

const MODES = ['class', 'accept', 'accept-suggestions', 'undo', 'batches'] as const;
type LabelMode = (typeof MODES)[number];

function chosenMode(ctx: CommandContext): LabelMode {
  const chosen = MODES.filter((m) => ctx.values[m] !== undefined && ctx.values[m] !== false);
  if (chosen.length !== 1) {
    throw new AppError(
      'invalid-argument',
      'give exactly one of --class C, --accept, --accept-suggestions --min-confidence C, --undo [BATCH], --batches',
    );
  }
  return chosen[0]!;
}

/** The image a single-image label names (a path or an id), refused when a mode takes none or needs one. */
async function oneImage(ctx: CommandContext, mode: LabelMode): Promise<number> {
  const ref = ctx.positionals[1];
  if (ref === undefined) throw new AppError('invalid-argument', `--${mode} needs an IMAGE (a path, or an image id)`);
  return ctx.api.images.resolve(ref);
}

function noImage(ctx: CommandContext, mode: LabelMode): void {
  if (ctx.positionals[1] !== undefined) {
    throw new AppError(
      'invalid-argument',
      `--${mode} takes no IMAGE (got '${ctx.positionals[1]}'); to label one image: ssod label DIR IMAGE --class C`,
    );
  }
}

/** An unknown class is refused here with the way to create it, before the service would refuse it by its Api name. */
async function checkClass(ctx: CommandContext, name: string): Promise<void> {
  if (ctx.values['create-class'] === true) return;
  const names = (await ctx.api.labeling.classes()).classes.map((c) => c.name);
  if (names.includes(name)) return;
  const clash = caseClash(name, names);
  throw new AppError(
    'not-found',
    clash
      ? `no class '${name}' (did you mean '${clash}'?)`
      : `no class '${name}': add --create-class to create it (or: ssod classes DIR --create '${name}')` +
          (names.length ? `; the classes are ${names.join(', ')}` : ''),
  );
}

function printLabels(ctx: CommandContext, result: LabelResult): void {
  for (const name of result.created) ctx.io.out(`created the class '${name}'`);
  for (const l of result.labels) {
    const event = result.events.find((e) => e.id === l.eventId);
    const seen = l.suggested === null ? 'no suggestion' : `suggested ${l.suggested} at ${pct(l.confidence ?? 0)}`;
    ctx.io.out(`labelled ${event?.path ?? `image ${l.imageId}`} as ${l.class} (${seen})`);
  }
  ctx.io.out(`batch ${result.batchId} (undo: ssod label DIR --undo ${result.batchId})`);
}

async function labelOne(ctx: CommandContext, mode: 'class' | 'accept'): Promise<number> {
  const imageId = await oneImage(ctx, mode);
  const common = { imageIds: [imageId], note: str(ctx, 'note'), reviewer: str(ctx, 'reviewer') };
  let result: LabelResult;
  if (mode === 'accept') result = await ctx.api.labeling.accept(common);
  else {
    const name = str(ctx, 'class') ?? '';
    await checkClass(ctx, name);
    result = await ctx.api.labeling.label({ ...common, class: name, create: ctx.values['create-class'] === true });
  }
  if (ctx.json) printJson(ctx, result);
  else {
    printLabels(ctx, result);
    if (result.created.length) await printNeeded(ctx, result.created);
  }
  return 0;
}

async function printNeeded(ctx: CommandContext, names: readonly string[]): Promise<void> {
  const legend = await ctx.api.labeling.classes();
  for (const c of legend.classes.filter((x) => names.includes(x.name) && x.needed > 0))
    ctx.io.out(
      `'${c.name}' needs ${c.needed} more example(s) before training uses it (at least ${legend.minExamples})`,
    );
}

export function formatPreview(p: BulkPreview): string {
  const lines = [
    `bulk accept at confidence ≥ ${p.minConfidence} (run #${p.runId}): ${p.count} images, ` +
      `about ${p.expectedWrong.toFixed(1)} expected wrong by the calibration`,
  ];
  for (const c of p.perClass)
    lines.push(
      `  ${c.class.padEnd(16)} ${String(c.count).padStart(6)}  (${c.expectedWrong.toFixed(1)} expected wrong)`,
    );
  lines.push(`left out: ${p.skippedFlagged} flagged as OOD, ${p.belowCut} below the cut`);
  return lines.join('\n');
}

async function acceptSuggestions(ctx: CommandContext): Promise<number> {
  const minConfidence = num(ctx, 'min-confidence');
  if (minConfidence === undefined) {
    throw new AppError('invalid-argument', '--accept-suggestions needs --min-confidence C (in [0, 1], e.g. 0.95)');
  }
  const { labeling } = ctx.api;
  if (ctx.values['dry-run'] === true) {
    const preview = await labeling.previewBulk({ minConfidence });
    if (ctx.json) printJson(ctx, preview);
    else ctx.io.out(`${formatPreview(preview)}\ndry run: nothing labelled`);
    return 0;
  }
  const result = await labeling.bulkAccept({ minConfidence, note: str(ctx, 'note'), reviewer: str(ctx, 'reviewer') });
  if (ctx.json) printJson(ctx, result);
  else {
    ctx.io.out(formatPreview(result.preview));
    ctx.io.out(`labelled ${result.labels.length} images as batch ${result.batchId}`);
    ctx.io.out(`undo: ssod label DIR --undo ${result.batchId}`);
  }
  return 0;
}

/** `--undo BATCH`, or `--undo` alone: the newest batch with a label still standing (so undo again walks back). */
async function batchToUndo(ctx: CommandContext): Promise<number> {
  const given = ctx.positionals[1];
  if (given !== undefined) {
    const id = Number(given);
    if (given.trim() === '' || !Number.isInteger(id) || id < 1) {
      throw new AppError(
        'invalid-argument',
        `--undo takes a batch id, got '${given}' (ssod label DIR --batches lists them)`,
      );
    }
    return id;
  }
  const batches = await ctx.api.labeling.batches(1000);
  const last = batches.find((b) => b.standing > 0);
  if (!last) throw new AppError('not-found', 'no label batch with a label still standing: nothing to undo');
  return last.id;
}

async function undo(ctx: CommandContext): Promise<number> {
  const batchId = await batchToUndo(ctx);
  const result = await ctx.api.labeling.undoBatch(batchId, str(ctx, 'reviewer'));
  if (ctx.json) printJson(ctx, result);
  else {
    ctx.io.out(`undid ${result.events.length} label(s) of batch ${batchId}`);
    if (result.skipped) ctx.io.out(`${result.skipped} image(s) decided again since were left as they are`);
  }
  return 0;
}

export function formatBatch(b: LabelBatch): string {
  const cut = b.minConfidence === null ? '' : ` at ≥ ${b.minConfidence}`;
  const run = b.runId === null ? 'no run' : `run #${b.runId}`;
  return `batch ${String(b.id).padStart(5)}  ${b.at}  ${b.reviewer.padEnd(12)} ${b.method}${cut}: ${b.count} label(s), ${b.standing} standing (${run})`;
}

async function label(ctx: CommandContext): Promise<number> {
  await openProject(ctx);
  const mode = chosenMode(ctx);
  if (mode === 'class' || mode === 'accept') return labelOne(ctx, mode);
  if (mode === 'undo') return undo(ctx);
  noImage(ctx, mode);
  if (mode === 'accept-suggestions') return acceptSuggestions(ctx);
  const batches = await ctx.api.labeling.batches(num(ctx, 'limit', true));
  if (ctx.json) printJsonLines(ctx, batches);
  else for (const b of batches) ctx.io.out(formatBatch(b));
  return 0;
}

export function formatLegend(legend: ClassLegend): string {
  const lines = legend.classes.map((c) => {
    const key = c.key === null ? ' ' : String(c.key);
    const { folder, label: labelled, relabel } = c.bySource;
    const use = c.trainable ? (c.inRun ? 'in the current run' : 'trained at the next run') : `needs ${c.needed} more`;
    return `${key}  ${c.name.padEnd(20)} ${String(c.examples).padStart(6)} (folder ${folder}, label ${labelled}, relabel ${relabel})  ${use}`;
  });
  lines.push(`a class needs at least ${legend.minExamples} examples before training uses it`);
  return lines.join('\n');
}

async function classes(ctx: CommandContext): Promise<number> {
  await openProject(ctx);
  const name = str(ctx, 'create');
  if (name !== undefined) {
    await ctx.api.labeling.createClass(name);
    if (!ctx.json) ctx.io.out(`created the class '${name}'`);
  }
  const legend = await ctx.api.labeling.classes();
  if (ctx.json) printJson(ctx, legend);
  else ctx.io.out(formatLegend(legend));
  return 0;
}

/** A row of `ssod list --unlabelled`: the suggestion is what the user acts on, so it leads. */
export function formatUnlabelledLine(r: ImageRow): string {
  const s = r.suggestion;
  const suggested = s ? `${s.class} ${pct(s.confidence)} (margin ${s.margin.toFixed(2)})` : 'no suggestion';
  return `${String(r.id).padStart(6)} ${r.flagged ? 'FLAG' : '    '} ${suggested.padEnd(36)} ${r.path}`;
}

export const LABEL_COMMANDS: CommandSpec[] = [
  {
    name: 'label',
    usage:
      'label DIR (IMAGE --class C [--create-class] | IMAGE --accept | --accept-suggestions --min-confidence C ' +
      '[--dry-run] | --undo [BATCH] | --batches [--limit N]) [--note T] [--reviewer R]',
    summary:
      'give inbox images a class: one image (--accept: its suggestion), every suggestion ≥ C not flagged as OOD ' +
      '(--dry-run: how many, per class, expected wrong), undo a batch (default: the latest still standing)',
    positionals: ['DIR', 'IMAGE?'],
    options: {
      class: { type: 'string' },
      'create-class': { type: 'boolean' },
      accept: { type: 'boolean' },
      'accept-suggestions': { type: 'boolean' },
      'min-confidence': { type: 'string' },
      'dry-run': { type: 'boolean' },
      undo: { type: 'boolean' },
      batches: { type: 'boolean' },
      limit: { type: 'string' },
      note: { type: 'string' },
      reviewer: { type: 'string' },
    },
    arguments: {
      'images.resolve[0]': 'IMAGE',
      'labeling.undoBatch[0]': 'BATCH',
      'labeling.undoBatch[1]': '--reviewer',
      'labeling.batches[0]': '--limit',
    },
    run: label,
  },
  {
    name: 'classes',
    usage: 'classes DIR [--create NAME]',
    summary: 'the class legend (number keys, examples by origin, whether training uses each); --create adds a class',
    positionals: ['DIR'],
    options: { create: { type: 'string' } },
    arguments: { 'labeling.createClass[0]': '--create' },
    run: classes,
  },
];

/** `ssod list`'s `--order informative` (the labeling namespace's order, reused as a sort key) beside `--sort SCORER`. */
export function listSortKey(ctx: CommandContext): string | undefined {
  const order = str(ctx, 'order');
  const sort = str(ctx, 'sort');
  if (order === undefined) return sort;
  if (order !== 'informative' && order !== 'path') {
    throw new AppError(
      'invalid-argument',
      `--order must be informative or path, got '${order}' (--sort SCORER sorts by a score)`,
    );
  }
  if (sort !== undefined) throw new AppError('invalid-argument', 'give --order or --sort, not both');
  return order;
}

/** `ssod list`'s `--unlabelled` (no class yet and not rejected) and `--labelled`. */
export function listLabelled(ctx: CommandContext): boolean | undefined {
  const yes = ctx.values.labelled === true;
  const no = ctx.values.unlabelled === true;
  if (yes && no) throw new AppError('invalid-argument', 'give --labelled or --unlabelled, not both');
  return yes ? true : no ? false : undefined;
}
