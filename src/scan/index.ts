// Public surface of the scanner: a pure library over the file system and sharp, no database knowledge.
export { scanFolder, scanFolderBatches, createCounters } from './scanner.js';
export type { FileRecord, ScanOptions, ScanProgress, ScanCounters, SkippedEntry } from './scanner.js';
export { walk, countFiles, escapeName } from './walk.js';
export type { WalkEntry, FileStat, SkipReason, SpecialKind } from './walk.js';
export { probeFile, hardenSharp, DEFAULT_LIMITS } from './probe.js';
export type { ProbeResult, ProbeLimits, ProbeOptions } from './probe.js';
export { thumbPath, hasThumb, writeThumb, THUMB_SIZE } from './thumbnails.js';
export { ScanFailure } from './failure.js';
