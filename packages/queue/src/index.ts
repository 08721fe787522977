export * from './connection.js';
export * from './render-queue.js';
export * from './channels.js';
export * from './event-bus.js';
export * from './webhook-queue.js';
export * from './entry-liveness.js';
export * from './fleet-lock.js';
export { isRedisUnavailableError } from './redis-errors.js';
export * from './redis-script.js';
