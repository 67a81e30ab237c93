// Expected failures are values with a code; they cross every boundary as { code, message } and the CLI prints
// them as one line. Anything else is a bug and keeps its stack.

export type AppErrorCode =
  | 'not-found'
  | 'invalid-argument'
  | 'not-a-project'
  | 'no-project-open'
  | 'schema-too-new'
  | 'already-exists'
  | 'busy'
  | 'cancelled'
  | 'refused'
  | 'engine-failed'
  | 'no-run'
  | 'io-error'
  | 'unauthorized'
  | 'forbidden';

export class AppError extends Error {
  override readonly name = 'AppError';
  /** For a refused argument: where it was, e.g. 'jobs.train[0].folds' (the message starts with it). A client
   * that names arguments its own way (the CLI's --flags) rewrites the message from it. */
  readonly path?: string;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    options: { cause?: unknown; path?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.path !== undefined) this.path = options.path;
  }
}

export interface SerializedError {
  code: AppErrorCode | 'internal';
  message: string;
  path?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) {
    return { code: error.code, message: error.message, ...(error.path !== undefined ? { path: error.path } : {}) };
  }
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: String(error) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.code === 'internal') return new Error(e.message);
  return new AppError(e.code, e.message, typeof e.path === 'string' ? { path: e.path } : {});
}

export function isAppError(error: unknown, code?: AppErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
