/**
 * The logging surface of Gantry's libraries (backend drivers, fleet health and registry): a subset
 * of pino's API (`logger.warn({ fields }, 'message')`), so a pino logger or child logger can be
 * passed as is, without those packages depending on pino.
 */
export interface StructuredLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** Discards everything; the default when no logger is given. */
export const silentStructuredLogger: StructuredLogger = { debug: noop, info: noop, warn: noop, error: noop };
