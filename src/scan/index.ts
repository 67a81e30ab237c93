// Public surface of the scanner: a pure library over the file system and sharp, no database knowledge.
//
// Decisions (details beside the code):
// - Symlinks: followed only when they resolve inside the root, and only if their target was not walked already;
//   links are visited after the plain walk so the real path always wins. Outside/broken/looping links are
//   reported through onSkip, never followed and never recorded as files.
// - FIFOs, sockets and devices are recorded as 'not-an-image' without being opened. Unreadable folders and folder
//   names that are not UTF-8 are recorded once, with isDirectory: true; their contents are not scanned.
// - "Image" is decided by content: magic bytes admit only JPEG, PNG, WebP, GIF, TIFF and AVIF; SVG, PDF, BMP,
//   HEIC, ... are 'unsupported-format' before any loader runs, and risky libvips loaders are blocked process-wide.
// - A decode failure is 'truncated' when the file lacks its end marker (or libvips says so), else 'not-an-image'.
// - Progress total comes from a fast counting walk (readdir only) before the scan; it is raised if the scan finds
//   more. Cancellation throws AppError('cancelled'); records yielded before stay valid.
export { scanFolder, scanFolderBatches, createCounters } from './scanner.js';
export type { FileRecord, ScanOptions, ScanProgress, ScanCounters, SkippedEntry } from './scanner.js';
export type { ScanCosts } from './scan-eta.js';
export { walk, countFiles, escapeName } from './walk.js';
export type { WalkEntry, FileStat, SkipReason, SpecialKind } from './walk.js';
export { probeFile, hardenSharp, DEFAULT_LIMITS } from './probe.js';
export type { ProbeResult, ProbeLimits, ProbeOptions } from './probe.js';
export { thumbPath, hasThumb, writeThumb, THUMB_SIZE } from './thumbnails.js';
export { ScanFailure } from './failure.js';
