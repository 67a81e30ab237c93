// What each scan error code means, in the words a person uses about a file.
import type { ErrorCode } from '../../../src/shared/dto.js';

export const ERROR_REASONS: Record<ErrorCode, string> = {
  'zero-byte': 'empty files (0 bytes)',
  truncated: 'files cut short (an interrupted copy or download)',
  'not-an-image': 'not images (other files with an image name)',
  'unsupported-format': 'image formats that cannot be read',
  'too-large': 'images too large to decode',
  'permission-denied': 'files the app is not allowed to read',
  vanished: 'files that disappeared during the scan',
  'invalid-utf8-name': 'file names that are not valid text',
  'io-error': 'files the disk could not read',
};

export function errorReason(code: string): string {
  return (ERROR_REASONS as Record<string, string>)[code] ?? code;
}
