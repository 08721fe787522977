/**
 * The fleet package logs through the shared StructuredLogger of @gantry/domain (a subset of pino's
 * API, so a pino logger or child logger can be passed as is); silentStructuredLogger is the default.
 */
export { silentStructuredLogger, type StructuredLogger } from '@gantry/domain';
