/**
 * @gantry/contract: the API's wire contract as zod schemas (the route table and the operation
 * catalog, requests, views, events, the stream protocol, error codes, scopes). Browser-safe: zod
 * only, no node: module, so the SDK and the dashboard can take its types. `@gantry/contract/zod-free`
 * (zod-free.ts) is the part a client needs at run time, without zod.
 */
export * from './error-codes.js';
export * from './routes.js';
export * from './job-statuses.js';
export * from './limits.js';
export * from './scopes.js';
export * from './storable.js';
export * from './query-int.js';
export * from './workflow.js';
export * from './workflow-check.js';
export * from './models.js';
export * from './txt2img.js';
export * from './inputs.js';
export * from './job.js';
export * from './job-batch.js';
export * from './events.js';
export * from './stream-protocol.js';
export * from './stream.js';
export * from './audit.js';
export * from './api-views.js';
export * from './tenant.js';
export * from './backends.js';
export * from './docs-assets.js';
export * from './named-schemas.js';
export * from './operation-spec.js';
export * from './operations.js';
