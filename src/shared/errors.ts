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
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SerializedError {
  code: AppErrorCode | 'internal';
  message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: String(error) };
}

export function deserializeError(e: SerializedError): Error {
  return e.code === 'internal' ? new Error(e.message) : new AppError(e.code, e.message);
}

export function isAppError(error: unknown, code?: AppErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
