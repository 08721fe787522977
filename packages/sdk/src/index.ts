/**
 * @gantry/sdk: a typed client of the Gantry API for Node and browsers. This entry has no Node-only
 * imports (browser bundles take it as is); `@gantry/sdk/node` adds the `ws` WebSocket and disk helpers.
 */
export * from './types.js';
export * from './errors.js';
export { GantryClient } from './client.js';
export type { CallOptions, GantryClientOptions, JobList, SubmitOptions, SubmitResult, WaitForOptions } from './client.js';
export type { FetchLike, RetryOptions } from './http.js';
export { JobWatch } from './watch.js';
export type { ReconnectOptions, WatchHandlers, WatchMessage, WatchOptions } from './watch.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
export { applyJobEvent } from './job-view.js';
export { backoffDelay, isAbortError, parseRetryAfter } from './signals.js';
