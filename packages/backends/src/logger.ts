import { silentStructuredLogger, type StructuredLogger } from '@gantry/domain';

/**
 * The logging surface drivers use: the shared StructuredLogger of @gantry/domain, a subset of
 * pino's API (`logger.warn({ fields }, 'message')`), so a pino logger or child logger can be
 * passed as is, without depending on pino here.
 */
export type DriverLogger = StructuredLogger;

/** Discards everything; the default when no logger is given. */
export const silentLogger: DriverLogger = silentStructuredLogger;

/** A logger that adds `fields` to every entry (like pino's `child`, without requiring pino). */
export function withFields(logger: DriverLogger, fields: Record<string, unknown>): DriverLogger {
  return {
    debug: (obj, msg) => logger.debug({ ...fields, ...obj }, msg),
    info: (obj, msg) => logger.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => logger.error({ ...fields, ...obj }, msg),
  };
}
