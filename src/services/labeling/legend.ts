// The class legend (number keys 1–9 in its order) and the rules a label's class must pass: a number key past the
// last class, an unknown name without `create`, a new name a folder cannot hold or that clashes in case with an
// existing class are refused with a message, before anything is written.
import type { Db, RunRecord } from '../../db/index.js';
import { classLegendCounts, insertClass } from '../../db/labels-repo.js';
import { AppError } from '../../shared/errors.js';
import {
  CLASS_KEY_COUNT,
  MIN_CLASS_EXAMPLES,
  type ClassLegend,
  type LabelClass,
  type LabelInput,
} from '../../shared/labeling-dto.js';
import { caseClash, classNameProblem } from '../../shared/labeling-names.js';

export function legend(db: Db, run: RunRecord | null): ClassLegend {
  const inRun = new Set(run?.classes ?? []);
  const classes = classLegendCounts(db).map((c, i): LabelClass => {
    const examples = c.bySource.folder + c.bySource.label + c.bySource.relabel;
    const needed = Math.max(0, MIN_CLASS_EXAMPLES - examples);
    return {
      name: c.name,
      key: i < CLASS_KEY_COUNT ? i + 1 : null,
      examples,
      bySource: c.bySource,
      trainable: needed === 0,
      needed,
      inRun: inRun.has(c.name),
    };
  });
  return { classes, minExamples: MIN_CLASS_EXAMPLES };
}

/** Refuses a name a folder cannot hold, or one that differs from an existing class only in case. */
export function checkNewClass(name: string, existing: readonly string[]): void {
  const problem = classNameProblem(name);
  if (problem) throw new AppError('invalid-argument', `cannot create the class '${name}': ${problem}`);
  const clash = caseClash(name, existing);
  if (clash) {
    throw new AppError(
      'already-exists',
      `cannot create the class '${name}': it differs from the class '${clash}' only in case ` +
        '(a case-insensitive file system would merge their folders)',
    );
  }
}

/** Creates a class with no images yet. */
export function createClass(db: Db, name: string): void {
  const existing = classLegendCounts(db).map((c) => c.name);
  if (existing.includes(name)) throw new AppError('already-exists', `the class '${name}' exists already`);
  checkNewClass(name, existing);
  insertClass(db, name);
}

/** The class a label input names (by key or name), and whether it has to be created first. */
export function resolveClass(
  db: Db,
  input: Pick<LabelInput, 'class' | 'key' | 'create'>,
): { name: string; create: boolean } {
  const names = classLegendCounts(db).map((c) => c.name);
  if (input.key !== undefined) {
    const name = names[input.key - 1];
    if (name === undefined || input.key > CLASS_KEY_COUNT) {
      const shown = Math.min(names.length, CLASS_KEY_COUNT);
      throw new AppError(
        'invalid-argument',
        shown === 0
          ? `no class ${input.key}: the project has no classes yet`
          : `no class ${input.key}: the legend's keys are 1–${shown}`,
      );
    }
    return { name, create: false };
  }
  const name = input.class ?? '';
  if (names.includes(name)) return { name, create: false };
  const clash = caseClash(name, names);
  if (!input.create) {
    throw new AppError(
      'not-found',
      clash ? `no class '${name}' (did you mean '${clash}'?)` : `no class '${name}': create it first (or pass create)`,
    );
  }
  checkNewClass(name, names);
  return { name, create: true };
}
