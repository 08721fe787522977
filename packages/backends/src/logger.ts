import type { StructuredLogger } from '@gantry/domain';

/**
 * Drivers log through the shared StructuredLogger of @gantry/domain, a subset of pino's API
 * (`logger.warn({ fields }, 'message')`), so a pino logger or child logger can be passed as is,
 * without depending on pino here; silentStructuredLogger is the default when none is given.
 */
export { silentStructuredLogger, type StructuredLogger } from '@gantry/domain';

/** A logger that adds `fields` to every entry (like pino's `child`, without requiring pino). */
export function withFields(logger: StructuredLogger, fields: Record<string, unknown>): StructuredLogger {
  return {
    debug: (obj, msg) => logger.debug({ ...fields, ...obj }, msg),
    info: (obj, msg) => logger.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => logger.error({ ...fields, ...obj }, msg),
  };
}
