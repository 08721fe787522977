/**
 * The hot read paths: one typed module per query, raw SQL through the node-postgres pool the
 * Prisma adapter runs on (`poolOf`). Prisma stays the schema, the migrations and the cold paths.
 */
export * from './job-view-columns.js';
export * from './job-view-read.js';
export * from './job-list-read.js';
export * from './succeeded-count.js';
export * from './backend-list-read.js';
export * from './tenant-job-exists.js';
export * from './job-row-read.js';
