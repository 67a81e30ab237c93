// The project store's public surface. Nothing outside src/db writes SQL: services call these functions.
export { closeDatabase, openDatabase, openReadonly, optimize, SCAN_CACHE_KIB, useScanPragmas } from './connection.js';
export type { Db, OpenOptions } from './connection.js';
export { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations.js';
export type { Migration } from './migrations.js';
export * from './settings-repo.js';
export * from './sources-repo.js';
export * from './images-repo.js';
export * from './image-query.js';
export * from './score-summary.js';
export { cachedByVersion, dataVersion } from './data-version.js';
export * from './runs-repo.js';
export * from './review-repo.js';
export * from './exports-repo.js';
