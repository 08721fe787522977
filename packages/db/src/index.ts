/**
 * @gantry/db — the database layer: the Prisma client (over node-postgres), its generated types,
 * the repositories, error classification, the offline Prisma-compatible migrator and the schema
 * drift check.
 */
export { createPrisma, pgPoolOf, poolOf, type CreatePrismaOptions } from './client.js';
export { parseDatabaseUrl, type ParsedDatabaseUrl } from './connection.js';
export { DEFAULT_POOL_SETTINGS, InvalidPoolParameterError, poolOptionsFromEnv, poolSettingsFromUrl, resolvePoolSettings, type DbPoolEnv, type PoolSettings } from './pool-config.js';
export { findSchemaDrift } from './drift/index.js';
export { BackendKind, JobStatus, Prisma, PrismaClient } from './generated/client.js';
export type { ApiKey, Artifact, AuditEvent, Backend, Job, JobEvent, Tenant, WebhookDelivery } from './generated/client.js';
export * from './migrate/index.js';
export * from './prisma-errors.js';
export { dbErrorReason, isTransientDbError, transientReason, withDbRetry, type DbRetryOptions } from './transient.js';
export * from './repositories/index.js';
export * from './reads/index.js';
