/**
 * The logging surface of the fleet package: the shared StructuredLogger of @gantry/domain (a subset
 * of pino's API, so a pino logger or child logger can be passed as is), under the fleet's names.
 */
export { silentStructuredLogger as silentFleetLogger, type StructuredLogger as FleetLogger } from '@gantry/domain';
