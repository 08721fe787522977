/** @gantry/testing — helpers shared by the test suites of all packages. */
export * from './test-database.js';
export * from './stack.js';
export * from './http-client.js';
export * from './stream-client.js';
export * from './processes.js';
export * from './redis-prefix.js';
export * from './redis-keys.js';
export * from './redis-process.js';
export * from './redis-sentinel.js';
export * from './redis-cluster.js';
export * from './prometheus.js';
export * from './rate-limits.js';
export * from './browser.js';
export * from './throwaway-postgres.js';
export * from './s3-server.js';
export * from './browser-bundle.js';
export * from './rng.js';
