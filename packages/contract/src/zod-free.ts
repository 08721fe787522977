/**
 * `@gantry/contract/zod-free`: the part of the contract a client needs at run time, without zod:
 * the route table (methods, paths, scopes; `routePath` fills a path's parameters), the job
 * statuses, the API's limits and the stream protocol's values (subprotocols, close codes). The
 * SDK takes its runtime values from here and its types from the main entry (`import type`), so
 * its browser bundle carries no zod. zod-free.test.ts bundles this entry and fails on any zod (or
 * other) import reaching it.
 */
export * from './routes.js';
export * from './job-statuses.js';
export * from './limits.js';
export * from './stream-protocol.js';
