// The one schema of every call: arguments that cross a boundary (IPC, HTTP, the CLI's in-process transport) are
// `unknown` until checked here, by the dispatcher, before any service runs; the services trust what reaches
// them. Each validator returns a fresh value built only from the keys it knows, so a payload cannot smuggle
// `__proto__` or extra fields into the services. `API_ARGS` is typed against `Api`: when a method or a DTO
// changes, this file stops compiling. A refusal names the argument's path (AppError.path) and says what is
// allowed, in words every client shows as they are (the CLI swaps the path for its --flag).
import type { Api, ServiceName } from './api.js';
import {
  QUALITY_FLAGS,
  type DuplicateOptions,
  type LabelIssueOptions,
  type MapOptions,
  type QualityThresholdsDto,
  type SelectionInput,
  type SimilarRef,
} from './curation-dto.js';
import { AppError } from './errors.js';
import {
  LABEL_METHODS,
  SUGGESTION_ORDERS,
  type AcceptInput,
  type BulkAcceptInput,
  type BulkAcceptOptions,
  type LabelInput,
  type SuggestionQuery,
} from './labeling-dto.js';
import {
  ACTIONS,
  ERROR_CODES,
  ROLES,
  type DecisionFilter,
  type DecisionInput,
  type ExportOptions,
  type ImageQuery,
  type ImageStatus,
  type Settings,
  type TrainOptions,
} from './dto.js';

/** Returns the checked value or throws AppError('invalid-argument') naming the offending path. */
export type Validator<T> = (value: unknown, path: string) => T;

const MAX_STRING = 4096;
const MAX_TEXT = 20_000;
const MAX_ARRAY = 1_000_000;

/** Refuses the argument at `path`: the message is `<path>: <problem>`. */
export function refuse(path: string, problem: string): never {
  throw new AppError('invalid-argument', `${path}: ${problem}`, { path });
}

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  refuse(path, `expected ${expected}, got ${got}`);
}

function rangeText(range: { min?: number; max?: number }): string {
  return `[${range.min ?? '-∞'}, ${range.max ?? '∞'}]`;
}

/** 'a', 'a or b', 'a, b or c' */
function alternatives(values: readonly string[]): string {
  return values.length < 2 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function string(maxLength = MAX_STRING): Validator<string> {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'a string', value);
    if (value.length > maxLength) refuse(path, `longer than ${maxLength} characters`);
    if (value.includes('\0')) refuse(path, 'contains a NUL character');
    return value;
  };
}

export function number(range: { min?: number; max?: number } = {}): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
    const outside = (range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max);
    if (outside) refuse(path, `must be in ${rangeText(range)}, got ${value}`);
    return value;
  };
}

export function integer(range: { min?: number; max?: number } = {}): Validator<number> {
  const n = number(range);
  return (value, path) => {
    const v = n(value, path);
    if (!Number.isSafeInteger(v)) refuse(path, `must be an integer, got ${v}`);
    return v;
  };
}

/** Database ids: positive safe integers. */
export const id: Validator<number> = integer({ min: 1 });

export const boolean: Validator<boolean> = (value, path) => {
  if (typeof value !== 'boolean') fail(path, 'a boolean', value);
  return value;
};

export function oneOf<const T extends string>(values: readonly T[]): Validator<T> {
  return (value, path) => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      refuse(path, `must be ${alternatives(values)}`);
    }
    return value as T;
  };
}

/** A validator that accepts absence: inside `object` its key may be left out (the only way a key can be). */
export type OptionalValidator<T> = Validator<T> & { readonly optional: true };

export function optional<T>(inner: Validator<T>): OptionalValidator<T | undefined> {
  const check: Validator<T | undefined> = (value, path) => (value === undefined ? undefined : inner(value, path));
  return Object.assign(check, { optional: true as const });
}

/** A required key whose absence deserves its own words (what to give) rather than `is required`. */
export type RequiredValidator<T> = Validator<T> & { readonly missing: string };

export function required<T>(inner: Validator<T>, missing: string): RequiredValidator<T> {
  const check: Validator<T> = (value, path) => inner(value, path);
  return Object.assign(check, { missing });
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

export function array<T>(item: Validator<T>, maxLength = MAX_ARRAY): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, 'an array', value);
    if (value.length > maxLength) refuse(path, `more than ${maxLength} items`);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

/**
 * Every key of T needs a validator, so a DTO field added later must be added here too; a key T declares optional
 * (it may be undefined) must be given an `optional(...)` validator, and only such a key may be left out.
 */
export type Shape<T> = {
  [K in keyof T]-?: undefined extends T[K] ? OptionalValidator<T[K]> : Validator<T[K]>;
};

function isOptional(check: Validator<unknown>): boolean {
  return (check as Partial<OptionalValidator<unknown>>).optional === true;
}

function missingProblem(check: Validator<unknown>): string {
  return (check as Partial<RequiredValidator<unknown>>).missing ?? 'is required';
}

function plainRecord(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(path, 'a plain object', value);
  return value as Record<string, unknown>;
}

/**
 * A plain object with only the listed keys: unknown keys are refused, a required key that is absent (or
 * undefined) is refused at its own path, an optional key that is absent stays absent.
 */
export function object<T>(shape: Shape<T>): Validator<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  return (value, path) => {
    const record = plainRecord(value, path);
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(shape, key)) refuse(path, `unknown field '${key}'`);
    }
    const out = {} as T;
    for (const key of keys) {
      const check = shape[key] as Validator<T[typeof key]>;
      if (!Object.hasOwn(record, key) || record[key] === undefined) {
        if (isOptional(check)) continue;
        refuse(`${path}.${key}`, missingProblem(check));
      }
      out[key] = check(record[key], `${path}.${key}`);
    }
    return out;
  };
}

/** A rule across fields, checked after the object's shape: `problem` names what is wrong at `field`. */
export function refine<T>(
  inner: Validator<T>,
  rule: (value: T) => { field: string; problem: string } | null,
): Validator<T> {
  return (value, path) => {
    const out = inner(value, path);
    const broken = rule(out);
    if (broken) refuse(`${path}.${broken.field}`, broken.problem);
    return out;
  };
}

/** Text a person typed (a name, a class): trimmed, then 1..maxLength characters. */
export function text(maxLength: number): Validator<string> {
  const raw = string(MAX_STRING);
  return (value, path) => {
    const out = raw(value, path).trim();
    if (!out || out.length > maxLength) refuse(path, `must be 1–${maxLength} characters`);
    return out;
  };
}

/** A file-system path: a non-empty string (relative paths resolve against the caller's folder). */
export const path: Validator<string> = (value, at) => {
  const out = string()(value, at);
  if (!out) refuse(at, 'must not be empty');
  return out;
};

/** The reviewer's name, the same rule wherever it is given: settings, a decision, an undo. */
export const reviewerName: Validator<string> = text(100);

// ---- DTO validators ----

const IMAGE_STATUSES: readonly ImageStatus[] = ['ok', 'error', 'missing'];
const DECISION_FILTERS: readonly DecisionFilter[] = [...ACTIONS, 'none', 'any'];

export const imageQuery: Validator<ImageQuery> = object<ImageQuery>({
  sourceId: optional(id),
  role: optional(oneOf(ROLES)),
  class: optional(string()),
  status: optional(oneOf(IMAGE_STATUSES)),
  errorCode: optional(oneOf(ERROR_CODES)),
  decision: optional(oneOf(DECISION_FILTERS)),
  flagged: optional(boolean),
  selection: optional(id),
  quality: optional(oneOf(QUALITY_FLAGS)),
  labelled: optional(boolean),
  sortBy: optional(string(200)),
  order: optional(oneOf(['asc', 'desc'])),
  threshold: optional(number()),
  offset: optional(integer({ min: 0 })),
  limit: optional(integer({ min: 0, max: 100_000 })),
});

export const decisionInput: Validator<DecisionInput> = refine(
  object<DecisionInput>({
    imageIds: array(id),
    action: oneOf(ACTIONS),
    newClass: optional(text(1000)),
    note: optional(string(MAX_TEXT)),
    reviewer: optional(reviewerName),
  }),
  (d) => (d.action === 'relabel' && !d.newClass ? { field: 'newClass', problem: 'relabel needs the new class' } : null),
);

// The ranges are the ones the engine trains well with (src/engine/ssod/config.ts checks its own, wider, limits).
export const trainOptions: Validator<TrainOptions> = object<TrainOptions>({
  backbone: optional(string(200)),
  layer: optional(string(200)),
  mode: optional(oneOf(['heads', 'end-to-end', 'adapt'])),
  budget: optional(integer({ min: 0, max: 86400 })),
  inputSize: optional(integer({ min: 32, max: 512 })),
  folds: optional(integer({ min: 2, max: 20 })),
  gamma: optional(number({ min: 0.5, max: 1 })),
  alpha: optional(number({ min: 0 })),
  epochs: optional(integer({ min: 1, max: 1000 })),
  seed: optional(integer({ min: 0 })),
  backend: optional(string(100)),
  crops: optional(integer({ min: 0, max: 16 })),
});

export const exportOptions: Validator<ExportOptions> = refine(
  object<ExportOptions>({
    out: path,
    format: optional(oneOf(['imagefolder', 'csv', 'json'])),
    mode: optional(oneOf(['copy', 'hardlink', 'symlink'])),
    include: optional(oneOf(['train', 'all', 'kept', 'query'])),
    query: optional(imageQuery),
  }),
  (o) => (o.include === 'query' && !o.query ? { field: 'query', problem: "include 'query' needs a query" } : null),
);

export const settingsPatch: Validator<Partial<Settings>> = object<Partial<Settings>>({
  // null forgets the name (the next decision asks for one again).
  reviewer: optional(nullable(reviewerName)),
  theme: optional(oneOf(['light', 'dark', 'system'])),
});

// ---- The schema table: one tuple of validators per method ----

/** One validator per parameter position, optional parameters included (they accept undefined). */
type ArgsOf<F> = F extends (...args: infer P) => unknown ? { [K in keyof P]-?: Validator<P[K]> } : never;
export type ApiSchema = { [S in ServiceName]: { [M in keyof Api[S]]: ArgsOf<Api[S][M]> } };

const name = string(200);
const scorer = string(200);
const jobId = string(200);

const unit = number({ min: 0, max: 1 });
/** A dropped image's bytes as base64: the renderer scales a dropped photo down first (the HTTP body limit). */
const MAX_IMAGE_BASE64 = 16_000_000;
/** A lasso corner in map coordinates. */
const mapCorner: Validator<[number, number]> = (value, at) => {
  const xy = array(number(), 2)(value, at);
  if (xy.length !== 2) refuse(at, 'must be [x, y]');
  return [xy[0]!, xy[1]!];
};
const nonNegative = number({ min: 0, max: 1e9 });
const CURATION_ARGS: ApiSchema['curation'] = {
  duplicates: [
    optional(
      object<DuplicateOptions>({
        recompute: optional(boolean),
        minCosine: optional(number({ min: 0.5, max: 1 })),
        maxHashDistance: optional(integer({ min: 0, max: 128 })),
      }),
    ),
  ],
  resolveDuplicates: [array(id, 100_000), optional(reviewerName)],
  labelIssues: [
    optional(
      object<LabelIssueOptions>({
        recompute: optional(boolean),
        limit: optional(integer({ min: 1, max: 10_000_000 })),
        issuesOnly: optional(boolean),
        ranking: optional(oneOf(['self-confidence', 'normalized-margin'])),
      }),
    ),
  ],
  acceptSuggestions: [array(id, 100_000), optional(reviewerName)],
  map: [optional(object<MapOptions>({ method: optional(oneOf(['umap', 'pca'])), recompute: optional(boolean) }))],
  similar: [
    refine(
      object<SimilarRef>({ imageId: optional(id), file: optional(path), bytes: optional(string(MAX_IMAGE_BASE64)) }),
      (r) =>
        [r.imageId, r.file, r.bytes].filter((v) => v !== undefined).length === 1
          ? null
          : { field: 'imageId', problem: 'give exactly one of imageId, file or bytes' },
    ),
    optional(integer({ min: 1, max: 10_000 })),
  ],
  select: [
    refine(
      object<SelectionInput>({
        imageIds: optional(array(id, 10_000_000)),
        lasso: optional(
          object<NonNullable<SelectionInput['lasso']>>({
            method: oneOf(['umap', 'pca']),
            polygon: array(mapCorner, 100_000),
          }),
        ),
      }),
      (s) =>
        (s.imageIds === undefined) === (s.lasso === undefined)
          ? { field: 'imageIds', problem: 'give either imageIds or a lasso' }
          : null,
    ),
  ],
  quality: [optional(oneOf(QUALITY_FLAGS)), optional(integer({ min: 1, max: 10_000_000 }))],
  setQualityThresholds: [
    object<Partial<QualityThresholdsDto>>({
      darkBelow: optional(nonNegative),
      brightAbove: optional(nonNegative),
      contrastBelow: optional(nonNegative),
      blurBelow: optional(nonNegative),
      tinyBelow: optional(nonNegative),
      aspectAbove: optional(number({ min: 1, max: 1000 })),
      greyBelow: optional(nonNegative),
      greyFlagWhenColourShare: optional(unit),
    }),
  ],
  budget: [integer({ min: 1, max: 100_000_000 })],
  drawAudit: [integer({ min: 1, max: 100_000_000 }), integer({ min: 1, max: 100_000 })],
};

const labelIds = array(id, 100_000);
const imagesToLabel = required(labelIds, 'give the images to label');
const bulkOptionsShape = {
  minConfidence: required(unit, 'bulk accept needs a confidence cut in [0, 1]'),
  imageIds: optional(labelIds),
  classes: optional(array(text(1000), 10_000)),
};
const LABELING_ARGS: ApiSchema['labeling'] = {
  classes: [],
  createClass: [text(1000)],
  suggestions: [
    optional(
      object<SuggestionQuery>({
        order: optional(oneOf(SUGGESTION_ORDERS)),
        class: optional(text(1000)),
        minConfidence: optional(unit),
        includeFlagged: optional(boolean),
        includeLabelled: optional(boolean),
        offset: optional(integer({ min: 0 })),
        limit: optional(integer({ min: 0, max: 100_000 })),
      }),
    ),
  ],
  label: [
    refine(
      object<LabelInput>({
        imageIds: imagesToLabel,
        class: optional(text(1000)),
        key: optional(integer({ min: 1, max: 9 })),
        create: optional(boolean),
        method: optional(oneOf(LABEL_METHODS)),
        note: optional(string(MAX_TEXT)),
        reviewer: optional(reviewerName),
      }),
      (l) =>
        (l.class === undefined) === (l.key === undefined)
          ? { field: 'class', problem: 'give either the class name or its number key (1–9)' }
          : null,
    ),
  ],
  accept: [
    object<AcceptInput>({
      imageIds: imagesToLabel,
      note: optional(string(MAX_TEXT)),
      reviewer: optional(reviewerName),
    }),
  ],
  previewBulk: [object<BulkAcceptOptions>(bulkOptionsShape)],
  bulkAccept: [
    object<BulkAcceptInput>({
      ...bulkOptionsShape,
      note: optional(string(MAX_TEXT)),
      reviewer: optional(reviewerName),
    }),
  ],
  undoBatch: [id, optional(reviewerName)],
  batches: [optional(integer({ min: 1, max: 10_000 }))],
  calibration: [optional(id)],
  accuracy: [],
};

export const API_ARGS: ApiSchema = {
  projects: {
    current: [],
    create: [path, optional(name)],
    open: [path],
    close: [],
    recent: [],
    status: [],
    createDemo: [optional(path)],
    defaultFolder: [],
    openFolder: [path],
  },
  sources: {
    list: [],
    add: [path, oneOf(ROLES)],
  },
  images: {
    list: [imageQuery],
    get: [id],
    resolve: [path],
    histogram: [scorer, integer({ min: 1, max: 10_000 }), optional(imageQuery)],
    classes: [],
  },
  review: {
    decide: [decisionInput],
    undo: [array(id), optional(reviewerName)],
    history: [optional(id), optional(integer({ min: 1, max: 1_000_000 }))],
  },
  runs: {
    list: [],
    get: [id],
    setCurrent: [id],
    diff: [optional(id), optional(id), optional(integer({ min: 1, max: 1_000_000 }))],
    evalFromReviews: [optional(number({ min: 0.5, max: 1 }))],
  },
  jobs: {
    scan: [optional(id)],
    train: [trainOptions],
    score: [],
    evalFolders: [path, optional(path)],
    export: [exportOptions],
    cancel: [jobId],
    active: [],
    wait: [jobId],
  },
  exports: {
    verify: [path],
  },
  settings: {
    get: [],
    set: [settingsPatch],
  },
  curation: CURATION_ARGS,
  labeling: LABELING_ARGS,
};

/** Validates a whole argument list for `service.method`; refuses extra arguments. */
export function validateArgs(service: ServiceName, method: string, args: readonly unknown[]): unknown[] {
  const table = API_ARGS[service] as Record<string, readonly Validator<unknown>[]>;
  if (!Object.hasOwn(table, method)) throw new AppError('not-found', `unknown method ${service}.${method}`);
  const validators = table[method] ?? [];
  if (args.length > validators.length) refuse(`${service}.${method}`, `at most ${validators.length} arguments`);
  const out = validators.map((check, i) => {
    const at = `${service}.${method}[${i}]`;
    try {
      return check(args[i], at);
    } catch (error) {
      // JSON turns an `undefined` argument into null: a null where the argument is optional means "absent".
      if (args[i] === null) return check(undefined, at);
      throw error;
    }
  });
  // Trailing undefined arguments are dropped so defaults in the services apply as if they were omitted.
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out;
}

/** Whether `method` is a callable method of `service` in the contract (own key of the schema table). */
export function isApiMethod(service: ServiceName, method: string): boolean {
  return Object.hasOwn(API_ARGS[service], method);
}
