/**
 * @gantry/sdk: a typed client of the Gantry API for Node and browsers. This entry has no Node-only
 * imports (browser bundles take it as is); `@gantry/sdk/node` adds the `ws` WebSocket and disk helpers.
 *
 * Exports are listed by name (no `export *`), so ES modules can import them from the CommonJS
 * build and from the sources run through tsx alike.
 */
export { BATCH_MAX_JOBS, JOB_EVENTS_PAGE_MAX, JOB_STATUSES, TERMINAL_STATUSES, isTerminalStatus } from './types.js';
export type {
  ApiKey,
  ApiKeyPage,
  ApiKeyScope,
  Artifact,
  Backend,
  BackendKind,
  BackendState,
  BatchItemError,
  BatchJobResult,
  BatchResult,
  CreateApiKeyInput,
  CreatedApiKey,
  Health,
  Job,
  JobError,
  JobEvent,
  JobEventBody,
  JobEventsPage,
  JobKind,
  JobPage,
  JobRequirements,
  JobStatus,
  JobWebhook,
  ListJobsQuery,
  Model,
  ModelInventory,
  ModelKind,
  OutputEvent,
  Preview,
  Problem,
  ProgressEvent,
  QueueInfo,
  RegisterBackendInput,
  RotatedApiKey,
  StateEvent,
  SubmitBatchInput,
  SubmitJobInput,
  Txt2ImgParams,
  Img2ImgParams,
  JobInput,
  JobInputSpec,
  Upload,
  WebhookDelivery,
  WebhookEvent,
  Workflow,
  WorkflowNode,
} from './types.js';
export { CLIENT_ERROR_CODES, GantryError, clientError, errorFromResponse, isGantryError } from './errors.js';
export type { GantryErrorInit } from './errors.js';
export { GantryClient } from './client.js';
export type { CallOptions, GantryClientOptions, JobList, SubmitBatchResult, SubmitOptions, SubmitResult, WaitForOptions } from './client.js';
export type { FetchLike, RetryOptions } from './http.js';
export { JobWatch } from './watch.js';
export type { ReconnectOptions, StreamConfig, WatchHandlers, WatchMessage, WatchOptions } from './watch.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
export { applyJobEvent } from './job-view.js';
export { backoffDelay, isAbortError, parseRetryAfter } from './signals.js';
