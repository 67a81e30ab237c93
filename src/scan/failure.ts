// One bad file never aborts a scan: every expected failure becomes a ScanFailure carrying exactly one ErrorCode,
// which the scanner turns into an error record. Anything else thrown is a bug and propagates.
import type { ErrorCode } from '../shared/dto.js';

export class ScanFailure extends Error {
  override readonly name = 'ScanFailure';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a Node fs error to a reason code; `what` names the operation for the message. */
export function fsFailure(error: unknown, what: string): ScanFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new ScanFailure('permission-denied', `${what}: permission denied`, { cause: error });
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ESTALE':
      return new ScanFailure('vanished', `${what}: the file disappeared during the scan`, { cause: error });
    case 'ELOOP':
    case 'EISDIR':
      // The path was swapped for a symlink or a folder between listing and opening.
      return new ScanFailure('vanished', `${what}: the file was replaced during the scan`, { cause: error });
    default:
      return new ScanFailure('io-error', `${what}: ${detail}`, { cause: error });
  }
}
