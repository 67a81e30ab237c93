// Arguments that cross a boundary (IPC, HTTP) are `unknown` until checked here. Each validator returns a fresh
// value built only from the keys it knows, so a payload cannot smuggle `__proto__` or extra fields into the
// services. `API_ARGS` is typed against `Api`: when a method or a DTO changes, this file stops compiling.
import type { Api, ServiceName } from './api.js';
import { AppError } from './errors.js';
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

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new AppError('invalid-argument', `${path}: expected ${expected}, got ${got}`);
}

export function string(maxLength = MAX_STRING): Validator<string> {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'a string', value);
    if (value.length > maxLength)
      throw new AppError('invalid-argument', `${path}: longer than ${maxLength} characters`);
    if (value.includes('\0')) throw new AppError('invalid-argument', `${path}: contains a NUL character`);
    return value;
  };
}

export function number(range: { min?: number; max?: number } = {}): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
    if (range.min !== undefined && value < range.min)
      throw new AppError('invalid-argument', `${path}: below ${range.min}`);
    if (range.max !== undefined && value > range.max)
      throw new AppError('invalid-argument', `${path}: above ${range.max}`);
    return value;
  };
}

export function integer(range: { min?: number; max?: number } = {}): Validator<number> {
  const n = number(range);
  return (value, path) => {
    const v = n(value, path);
    if (!Number.isSafeInteger(v)) fail(path, 'an integer', value);
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
      throw new AppError('invalid-argument', `${path}: expected one of ${values.join(', ')}`);
    }
    return value as T;
  };
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  return (value, path) => (value === undefined ? undefined : inner(value, path));
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

export function array<T>(item: Validator<T>, maxLength = MAX_ARRAY): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, 'an array', value);
    if (value.length > maxLength) throw new AppError('invalid-argument', `${path}: more than ${maxLength} items`);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

/** Every key of T needs a validator, so a DTO field added later must be added here too. */
export type Shape<T> = { [K in keyof T]-?: Validator<T[K]> };

/** A plain object with only the listed keys; unknown keys are refused, absent keys stay absent. */
export function object<T>(shape: Shape<T>): Validator<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) fail(path, 'a plain object', value);
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) throw new AppError('invalid-argument', `${path}: unknown field '${key}'`);
    }
    const out = {} as T;
    const record = value as Record<string, unknown>;
    for (const key of keys) {
      if (!Object.hasOwn(record, key) || record[key] === undefined) continue;
      out[key] = shape[key](record[key], `${path}.${key}`);
    }
    return out;
  };
}

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
  sortBy: optional(string(200)),
  order: optional(oneOf(['asc', 'desc'])),
  threshold: optional(number()),
  offset: optional(integer({ min: 0 })),
  limit: optional(integer({ min: 0, max: 100_000 })),
});

export const decisionInput: Validator<DecisionInput> = object<DecisionInput>({
  imageIds: array(id),
  action: oneOf(ACTIONS),
  newClass: optional(string(1000)),
  note: optional(string(MAX_TEXT)),
  reviewer: optional(string(200)),
});

export const trainOptions: Validator<TrainOptions> = object<TrainOptions>({
  backbone: optional(string(200)),
  layer: optional(string(200)),
  mode: optional(oneOf(['heads', 'end-to-end'])),
  inputSize: optional(integer({ min: 16, max: 2048 })),
  folds: optional(integer({ min: 1, max: 100 })),
  gamma: optional(number({ min: 0, max: 1 })),
  alpha: optional(number({ min: 0 })),
  epochs: optional(integer({ min: 1, max: 100_000 })),
  seed: optional(integer()),
  backend: optional(string(100)),
  crops: optional(integer({ min: 0, max: 16 })),
});

export const exportOptions: Validator<ExportOptions> = object<ExportOptions>({
  out: string(),
  format: optional(oneOf(['imagefolder', 'csv', 'json'])),
  mode: optional(oneOf(['copy', 'hardlink', 'symlink'])),
  include: optional(oneOf(['train', 'all', 'kept', 'query'])),
  query: optional(imageQuery),
});

export const settingsPatch: Validator<Partial<Settings>> = object<Partial<Settings>>({
  reviewer: optional(nullable(string(200))),
  theme: optional(oneOf(['light', 'dark', 'system'])),
});

// ---- The schema table: one tuple of validators per method ----

/** One validator per parameter position, optional parameters included (they accept undefined). */
type ArgsOf<F> = F extends (...args: infer P) => unknown ? { [K in keyof P]-?: Validator<P[K]> } : never;
export type ApiSchema = { [S in ServiceName]: { [M in keyof Api[S]]: ArgsOf<Api[S][M]> } };

const path = string();
const text = string(200);
const scorer = string(200);

export const API_ARGS: ApiSchema = {
  projects: {
    current: [],
    create: [path, optional(text)],
    open: [path],
    close: [],
    recent: [],
    status: [],
    createDemo: [optional(path)],
    defaultFolder: [],
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
    undo: [array(id), optional(text)],
    history: [optional(id), optional(integer({ min: 1, max: 1_000_000 }))],
  },
  runs: {
    list: [],
    get: [id],
    setCurrent: [id],
    diff: [optional(id), optional(id), optional(integer({ min: 1, max: 1_000_000 }))],
    evalFromReviews: [optional(number({ min: 0, max: 1 }))],
  },
  jobs: {
    scan: [optional(id)],
    train: [trainOptions],
    score: [],
    evalFolders: [path, optional(path)],
    export: [exportOptions],
    cancel: [string(200)],
    active: [],
    wait: [string(200)],
  },
  exports: {
    verify: [path],
  },
  settings: {
    get: [],
    set: [settingsPatch],
  },
};

/** Validates a whole argument list for `service.method`; refuses extra arguments. */
export function validateArgs(service: ServiceName, method: string, args: readonly unknown[]): unknown[] {
  const table = API_ARGS[service] as Record<string, readonly Validator<unknown>[]>;
  if (!Object.hasOwn(table, method)) throw new AppError('not-found', `unknown method ${service}.${method}`);
  const validators = table[method] ?? [];
  if (args.length > validators.length) {
    throw new AppError('invalid-argument', `${service}.${method}: at most ${validators.length} arguments`);
  }
  const out = validators.map((check, i) => {
    const path = `${service}.${method}[${i}]`;
    try {
      return check(args[i], path);
    } catch (error) {
      // JSON turns an `undefined` argument into null: a null where the argument is optional means "absent".
      if (args[i] === null) return check(undefined, path);
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
