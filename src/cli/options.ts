// What every command does with its text arguments and its output: read an option, parse a number, open the
// project named first, print one JSON document or JSON lines.
import { resolve } from 'node:path';
import { AppError } from '../shared/errors.js';
import type { CommandContext } from './context.js';

export const str = (ctx: CommandContext, key: string): string | undefined => {
  const v = ctx.values[key];
  return typeof v === 'string' ? v : undefined;
};

/** An option's text as a number (`int` only words the message for text that is no number at all); whether it
 * must be whole and in what range is the Api's rule, not the CLI's. */
export function num(ctx: CommandContext, key: string, int = false): number | undefined {
  const raw = str(ctx, key);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    throw new AppError('invalid-argument', `--${key} must be a${int ? 'n integer' : ' number'}, got '${raw}'`);
  }
  return v;
}

/** For the CLI's own options (list's --limit, serve's --port), which no Api call checks. */
export function ownInt(ctx: CommandContext, key: string, range: { min: number; max?: number }): number | undefined {
  const v = num(ctx, key, true);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < range.min || (range.max !== undefined && v > range.max)) {
    throw new AppError('invalid-argument', `--${key} must be in [${range.min}, ${range.max ?? '∞'}], got ${v}`);
  }
  return v;
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2));
}

export function printJsonLines(ctx: CommandContext, values: unknown[]): void {
  for (const v of values) ctx.io.out(JSON.stringify(v));
}

export async function openProject(ctx: CommandContext, index = 0) {
  const dir = ctx.positionals[index];
  if (!dir) throw new AppError('invalid-argument', 'missing project folder');
  return ctx.api.projects.open(resolve(dir));
}
