/**
 * The API's wire types, as the SDK sees them. They mirror @gantry/domain (a type test keeps them in
 * step: types.test.ts) but are declared here, so the SDK bundles for browsers without pulling in
 * @gantry/domain's Node-only modules (node:crypto) or zod.
 */

export const JOB_STATUSES = ['queued', 'dispatched', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export type JobKind = 'workflow' | 'txt2img' | 'img2img';
/**
 * `tenant-admin` implies `submit` and `read` in its own tenant (its keys, settings, audit log);
 * `operator` implies every scope, for the fleet and every tenant (docs/security.md).
 */
export type ApiKeyScope = 'submit' | 'read' | 'tenant-admin' | 'operator';

/** One node of a ComfyUI API-format workflow. */
export interface WorkflowNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string; [key: string]: unknown };
}

/** A ComfyUI workflow in API format: node id → node. */
export type Workflow = Record<string, WorkflowNode>;

/** AUTOMATIC1111/Forge txt2img parameters. */
export interface Txt2ImgParams {
  prompt: string;
  negative_prompt?: string;
  seed?: number;
  steps?: number;
  width?: number;
  height?: number;
  cfg_scale?: number;
  sampler_name?: string;
  scheduler?: string;
  batch_size?: number;
  model?: string;
}

export interface JobRequirements {
  tags?: string[];
  vramMb?: number;
}

/** Events a job's webhook can receive: one per terminal state. */
export type WebhookEvent = 'job.succeeded' | 'job.failed' | 'job.canceled';

/** A job's callback: Gantry POSTs the finished job to `url` (docs/webhooks.md). */
export interface JobWebhook {
  url: string;
  /** Default: all three. */
  events?: WebhookEvent[];
}

/** Image-to-image parameters (AUTOMATIC1111/Forge); the job's inputs `image` and `mask` are the images. */
export interface Img2ImgParams extends Txt2ImgParams {
  /** 0: keep the input, 1: ignore it (A1111 default 0.75). */
  denoising_strength?: number;
  mask_blur?: number;
  inpainting_fill?: number;
}

/**
 * One input image of a job: exactly one of `upload` (an id from `client.upload`), `url` (https,
 * fetched by the API) and `base64`; `node`/`field` bind it explicitly (default: by name, docs/api.md).
 */
export interface JobInputSpec {
  upload?: string;
  url?: string;
  base64?: string;
  node?: string;
  field?: string;
}

/** Body of `POST /api/v1/jobs`: exactly one of `workflow`, `txt2img` and `img2img`. */
export interface SubmitJobInput {
  workflow?: Workflow;
  txt2img?: Txt2ImgParams;
  img2img?: Img2ImgParams;
  /** Input images by name (bound to LoadImage-like nodes whose `image` value or title is the name). */
  inputs?: Record<string, JobInputSpec>;
  priority?: number;
  requirements?: JobRequirements;
  metadata?: Record<string, unknown>;
  timeoutSeconds?: number;
  webhook?: JobWebhook;
  /**
   * Answer at once from an earlier identical success of this tenant when there is one (no GPU run;
   * the job's `reusedFrom` names it). A random seed is never reused (docs/api.md, Result reuse).
   */
  reuse?: boolean;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

/** One stored output. `url` is a path on the API (`/api/v1/jobs/{id}/artifacts/{aid}`). */
export interface Artifact {
  id: string;
  filename: string;
  contentType: string;
  bytes: number;
  nodeId: string | null;
  url: string;
  /**
   * Only when the server runs with `GANTRY_STORAGE_PRESIGN=urls` (S3 store): an absolute URL of
   * the bucket that downloads the bytes with no credentials (plain `fetch`, ranges too) until
   * `presignedUrlExpiresAt`. Past that, fetch the job again, or download through `url`.
   */
  presignedUrl?: string;
  /** RFC 3339 time when `presignedUrl` stops working. */
  presignedUrlExpiresAt?: string;
}

/** An input image of the tenant (`client.upload`). Same bytes, same upload. */
export interface Upload {
  id: string;
  sha256: string;
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
  bytes: number;
  width: number;
  height: number;
  createdAt: string;
  /** Path of its bytes on the API (`/api/v1/uploads/{id}/content`). */
  url: string;
}

/** One input image of a job, as bound at submit. */
export interface JobInput {
  name: string;
  source: 'upload' | 'url' | 'base64';
  uploadId: string | null;
  sha256: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  /** Its name on the backend (`gantry/<sha256>.<ext>`), what the bound fields carry. */
  filename: string;
  targets: { node: string; field: string }[];
  url: string | null;
}

/** Why a queued job waits (only on `GET /jobs/{id}` of a queued job). */
export interface QueueInfo {
  position: number | null;
  eligibleBackends: number;
  throughputPerMinute: number;
  estimatedStartAt: string | null;
}

/** A job, as the API returns it. */
export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  priority: number;
  /** Overall fraction 0..1. */
  progress: number;
  attempts: number;
  backend: string | null;
  requirements: JobRequirements | null;
  metadata: Record<string, unknown> | null;
  timeoutSeconds: number | null;
  /** The job's callback, or null. */
  webhook: { url: string; events: WebhookEvent[] } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: JobError | null;
  /** While the job has not ended: why its last attempt failed and it went back to the queue. */
  lastError: AttemptError | null;
  artifacts: Artifact[];
  /** Input images (on submit, get and list; not in webhooks or stream snapshots). */
  inputs?: JobInput[];
  /** The job this one retries (`client.retry`), or null. */
  retryOf: string | null;
  /** The job whose result this one was answered with (`reuse: true`; it ran on no GPU), or null. */
  reusedFrom: string | null;
  links: { self: string; cancel: string; events: string };
  queue?: QueueInfo;
}

/** Why a job's last attempt failed and sent it back to the queue. */
interface AttemptError {
  code: string;
  message: string;
  /** The backend the failed attempt ran on, when it got that far. */
  backend: string | null;
  /** The attempt that failed (1-based). */
  attempt: number;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

export interface ListJobsQuery {
  status?: JobStatus;
  /** 1..200, default 50 (per page). */
  limit?: number;
  cursor?: string;
}

export interface StateEvent {
  type: 'state';
  status: JobStatus;
  attempt: number;
  backend?: string | null;
  error?: JobError;
  /** On a `succeeded` answered from an earlier job's result (`reuse: true`): that job's id. */
  reusedFrom?: string;
}

export interface ProgressEvent {
  type: 'progress';
  /** The node that is running, when known. */
  node: string | null;
  /** Steps done in this node, of `max`. */
  value: number;
  max: number;
  /** Overall progress of the job, 0..1, never falling during an attempt. */
  overall: number;
}

export interface OutputEvent {
  type: 'output';
  artifactId: string;
  nodeId: string | null;
  filename: string;
  contentType: string;
  bytes: number;
}

export type JobEventBody = StateEvent | ProgressEvent | OutputEvent;

/** A persisted job event; `seq` is dense per job: 1, 2, 3, ... */
export interface JobEvent {
  jobId: string;
  seq: number;
  at: string;
  event: JobEventBody;
}

export interface JobEventsPage {
  items: JobEvent[];
  lastSeq: number;
}

export type BackendKind = 'comfyui' | 'a1111';
export type BackendState = 'healthy' | 'unhealthy' | 'open' | 'draining' | 'unknown';

export interface Backend {
  id: string;
  kind: BackendKind;
  url: string;
  capacity: number;
  tags: string[];
  state: BackendState;
  breaker: 'closed' | 'open' | 'half_open';
  inFlight: number;
  draining: boolean;
  consecutiveFailures: number;
  lastProbeAt: string | null;
  lastOkAt: string | null;
  lastError: string | null;
  openUntil: string | null;
  probe: {
    version: string | null;
    deviceName: string | null;
    vram: { totalMb: number | null; freeMb: number | null };
    nodeTypeCount: number | null;
    nodeTypes?: string[] | null;
    /** Only from `backends.get`: the model files it holds, per kind; null until learned. */
    models?: ModelInventory | null;
    learnedAt: string | null;
  };
  createdAt: string;
  updatedAt: string;
  links: { self: string; drain: string; undrain: string };
}

/** Kinds of model files (ComfyUI's model folders). */
export type ModelKind = 'checkpoint' | 'lora' | 'vae' | 'upscaler' | 'controlnet' | 'clip' | 'unet';

/** A backend's model files per kind; a kind it does not report is absent. */
export type ModelInventory = Partial<Record<ModelKind, string[]>>;

/** A model file of the fleet and the ids of the backends that hold it (`GET /models`). */
export interface Model {
  kind: ModelKind;
  name: string;
  backends: string[];
}

export interface RegisterBackendInput {
  id: string;
  url: string;
  kind?: BackendKind;
  capacity?: number;
  tags?: string[];
}

export interface CreateApiKeyInput {
  tenant: string;
  scopes: ApiKeyScope[];
  name?: string;
}

/** An API key as listed: never its secret. */
export interface ApiKey {
  id: string;
  tenant: string;
  name: string | null;
  scopes: ApiKeyScope[];
  /** `expiring`: rotated with a grace period, works until `revokedAt`. */
  status: 'active' | 'expiring' | 'revoked';
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyPage {
  items: ApiKey[];
  nextCursor: string | null;
}

/** One webhook delivery of a job. */
export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A new API key; `key` is shown only once. */
export interface CreatedApiKey {
  id: string;
  key: string;
  tenant: string;
  scopes: ApiKeyScope[];
  name: string | null;
  createdAt: string;
}

/** A rotated key: the new key (secret shown once) and the old one (`expiring` or `revoked`). */
export interface RotatedApiKey extends CreatedApiKey {
  replaced: ApiKey;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  checks: Record<string, { status: string; latencyMs?: number }>;
}

/** RFC 9457 problem details as the API sends them. */
/** Body of `POST /jobs/batch`: 1 to 1000 jobs, each a `POST /jobs` body. */
export interface SubmitBatchInput {
  jobs: SubmitJobInput[];
}

/** One accepted job of a batch, in the order sent. */
export interface BatchJobResult {
  id: string;
  /** `queued`; `succeeded` for a job answered from an earlier result (`reuse: true`). */
  status: JobStatus;
  reusedFrom: string | null;
}

/** The answer of `POST /jobs/batch`: every job, in the order of `jobs`. */
export interface BatchResult {
  items: BatchJobResult[];
}

/** One refused job of a batch (`errors` of a `BATCH_INVALID` problem): its index in `jobs`, why, and its failing fields. */
export interface BatchItemError {
  index: number;
  code: string;
  detail: string;
  errors?: unknown;
}

/** The most jobs one batch may carry (`BATCH_TOO_LARGE` beyond). */
export const BATCH_MAX_JOBS = 1000;

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  code?: string;
  requestId?: string;
  errors?: unknown;
}

/** A preview image from the stream (only when asked for with `previews: true`). */
export interface Preview {
  jobId: string;
  node: string | null;
  mime: string;
  /** Base64 image bytes. */
  data: string;
}
