// The CLI's names for the Api's arguments. The one schema (shared/validate.ts) refuses an argument by its path
// ('jobs.train[0].folds'); the user typed `--folds`. A field of an options object is its option in kebab-case
// when the command has that option; a positional argument of a call is named in the command's `arguments`.
import type { CommandSpec } from './context.js';

export function argumentName(command: Pick<CommandSpec, 'options' | 'arguments'>, path: string): string | null {
  const named = command.arguments?.[path];
  if (named) return named;
  const field = /\]\.([A-Za-z]+)$/.exec(path)?.[1];
  if (!field) return null;
  const option = field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.hasOwn(command.options, option) ? `--${option}` : null;
}
