import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from './error-codes.js';
import { jobEventRecordSchema } from './events.js';
import { JOB_KINDS, WEBHOOK_EVENTS, jobRequirementsSchema, jobStatusSchema } from './job.js';
import { JOB_EVENTS_PAGE_MAX } from './limits.js';
import { API_KEY_SCOPES } from './scopes.js';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from './audit.js';
import { modelKindSchema, MODEL_KINDS } from './models.js';

/**
 * What the API answers, as zod schemas. The view functions of apps/api return these types
 * (`z.infer`) and the OpenAPI document is generated from the same schemas, so the contract and the
 * code cannot drift apart.
 */

const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'RFC 3339 timestamp (UTC)', examples: ['2026-01-01T12:00:00.000Z'] });
const id = z.string().meta({ description: 'UUIDv7 (time-ordered)', examples: ['019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01'] });

export const artifactViewSchema = z
  .object({
    id,
    filename: z.string().meta({ examples: ['ComfyUI_00001_.png'] }),
    contentType: z.string().meta({ examples: ['image/png'] }),
    bytes: z.number().int().min(0),
    /** The workflow node that produced it (null for txt2img jobs). */
    nodeId: z.string().nullable(),
    url: z.string().meta({ description: 'Where to download the bytes (scope read)', examples: ['/api/v1/jobs/019a.../artifacts/019a...'] }),
    presignedUrl: z
      .string()
      .optional()
      .meta({
        description:
          'Only with `GANTRY_STORAGE_PRESIGN=urls` (S3 store): an absolute URL of the bucket that downloads the bytes without Gantry credentials (ranges too) until `presignedUrlExpiresAt`',
        examples: ['https://renders.s3.us-east-1.amazonaws.com/sha256/ab/ab12...?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&...'],
      }),
    presignedUrlExpiresAt: timestamp
      .optional()
      .meta({ description: 'When `presignedUrl` stops working; fetch the job again (or use `url`) for a fresh one' }),
  })
  .meta({ description: 'One stored output of a job.' });

export const uploadViewSchema = z
  .object({
    id,
    sha256: z.string().meta({ description: 'SHA-256 of the bytes (hex); the same bytes give the same upload' }),
    contentType: z.enum(['image/png', 'image/jpeg', 'image/webp']).meta({ description: 'From the magic bytes, never from the name or header' }),
    bytes: z.number().int().min(0),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
    createdAt: timestamp,
    url: z.string().meta({ description: 'Where to download the bytes (scope read)', examples: ['/api/v1/uploads/019a.../content'] }),
  })
  .meta({ description: 'An input image of the tenant (`POST /api/v1/uploads`).' });

export const jobInputViewSchema = z
  .object({
    name: z.string(),
    source: z.enum(['upload', 'url', 'base64']).meta({ description: 'How the client handed it over; URL and inline inputs are stored as uploads too' }),
    uploadId: id.nullable().meta({ description: 'The upload holding it (null once that upload was deleted)' }),
    sha256: z.string(),
    contentType: z.string(),
    bytes: z.number().int().min(0),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
    filename: z.string().meta({ description: 'Its name on the backend: `gantry/<sha256>.<ext>` in the bound fields' }),
    targets: z.array(z.object({ node: z.string(), field: z.string() })).meta({ description: 'The workflow node fields it is bound to (img2img: node `img2img`, field `init_images` or `mask`)' }),
    url: z.string().nullable().meta({ description: 'Where to download it (the upload\'s content), or null once deleted' }),
  })
  .meta({ description: 'One input image of a job, as bound at submit.' });

export const jobErrorViewSchema = z
  .object({
    code: z.string().meta({ description: 'A stable error code (see ProblemCode), e.g. WORKFLOW_INVALID, JOB_TIMEOUT' }),
    message: z.string(),
    details: z.unknown().optional().meta({ description: 'For WORKFLOW_INVALID: the backend\'s `error` and `node_errors` as ComfyUI reported them; for EXECUTION_ERROR the node, exception type and message (host paths stripped)' }),
    internal: z
      .unknown()
      .optional()
      .meta({ description: 'Operator keys only: the backend detail held back from the tenant (e.g. the full traceback)' }),
  })
  .meta({ description: 'Why a job failed or was canceled.' });

export const attemptErrorViewSchema = z
  .object({
    code: z.string().meta({ description: 'A stable error code, e.g. BACKEND_UNAVAILABLE, OUT_OF_MEMORY, WORKER_LOST' }),
    message: z.string(),
    backend: z.string().nullable().meta({ description: 'The backend the failed attempt ran on, when it got that far' }),
    attempt: z.number().int().min(0).meta({ description: 'The attempt that failed (1-based; 0: before any dispatch)' }),
  })
  .meta({ description: 'Why the last attempt failed and sent the job back to the queue.' });

export const queueInfoSchema = z
  .object({
    position: z.number().int().min(0).nullable().meta({ description: 'Jobs ahead of it (0: next, also once a worker has taken it and it waits there for a slot); null while it waits for a retry or a hand-back' }),
    eligibleBackends: z.number().int().min(0).meta({ description: 'Registered backends that could take it now: kind, tags, VRAM, node types and models match; healthy, not draining (busy ones count)' }),
    throughputPerMinute: z.number().min(0).meta({ description: 'Jobs finished per minute across the fleet over the last 10 minutes' }),
    estimatedStartAt: timestamp.nullable().meta({ description: 'From position and recent throughput; null without either' }),
  })
  .meta({ description: 'Why a queued job waits, and roughly until when.' });

export const jobViewSchema = z
  .object({
    id,
    kind: z.enum(JOB_KINDS).meta({ description: '`workflow` (ComfyUI), `txt2img` or `img2img` (AUTOMATIC1111/Forge)' }),
    status: jobStatusSchema,
    priority: z.number().int(),
    progress: z.number().min(0).max(1).meta({ description: 'Overall progress 0..1; never falls while a job runs, restarts on a retry' }),
    attempts: z.number().int().min(0).meta({ description: 'Dispatches to a backend so far' }),
    backend: z.string().nullable().meta({ description: 'The backend running (or that ran) it' }),
    requirements: jobRequirementsSchema.nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    timeoutSeconds: z.number().int().nullable(),
    webhook: z
      .object({ url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)) })
      .nullable()
      .meta({ description: "The job's callback (docs/webhooks.md), or null" }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    error: jobErrorViewSchema.nullable(),
    lastError: attemptErrorViewSchema
      .nullable()
      .meta({ description: 'While the job has not ended: why its last attempt failed and it went back to the queue (null when none did)' }),
    artifacts: z.array(artifactViewSchema),
    inputs: z.array(jobInputViewSchema).optional().meta({ description: 'Input images (on submit, get and list; not in webhooks or stream snapshots)' }),
    retryOf: id.nullable().meta({ description: 'The job this one retries (`POST /jobs/{id}/retry`), or null' }),
    reusedFrom: id
      .nullable()
      .meta({ description: 'The job whose result this one answered with (`reuse: true`): it ran on no GPU and its artifacts are that job\'s; null for a job that ran' }),
    links: z.object({ self: z.string(), cancel: z.string(), events: z.string() }),
    queue: queueInfoSchema.optional().meta({ description: 'Only on `GET /jobs/{id}` of a queued job' }),
  })
  .meta({ description: 'A job, as the API returns it.' });

export const jobPageSchema = z
  .object({
    items: z.array(jobViewSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ description: 'A page of jobs, newest first.' });

export const jobEventPageSchema = z
  .object({
    items: z.array(jobEventRecordSchema),
    lastSeq: z.number().int().min(0).meta({ description: 'The last sequence number returned (or `since` when none)' }),
  })
  .meta({ description: `A job's events after \`since\`, in order (at most ${JOB_EVENTS_PAGE_MAX}).` });

export const createdApiKeySchema = z
  .object({
    id,
    key: z.string().meta({ description: 'The secret: shown only in this response' }),
    tenant: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    name: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ description: 'A new API key, with its secret.' });

export const apiKeyViewSchema = z
  .object({
    id,
    tenant: z.string(),
    name: z.string().nullable(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    status: z
      .enum(['active', 'expiring', 'revoked'])
      .meta({ description: '`active`; `expiring`: rotated, still valid until `revokedAt`; `revoked`' }),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable().meta({ description: 'When the key stopped (or, for `expiring`, will stop) working' }),
  })
  .meta({ description: 'An API key as admins see it: never its secret nor its hash.' });

export const apiKeyPageSchema = z
  .object({
    items: z.array(apiKeyViewSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ description: "A page of the tenant's API keys." });

export const rotatedApiKeySchema = createdApiKeySchema
  .extend({
    replaced: apiKeyViewSchema.meta({ description: 'The key it replaces, with its new `revokedAt` (now, or the end of the grace period)' }),
  })
  .meta({ description: 'The new API key, with its secret (shown only in this response), and the key it replaces.' });

export const auditEventViewSchema = z
  .object({
    id,
    action: z.enum(AUDIT_ACTIONS),
    target: z.object({ type: z.enum(AUDIT_TARGET_TYPES), id: z.string() }),
    actorKeyId: z.string().nullable().meta({ description: 'The API key that acted (null: the system, e.g. a changed GANTRY_ADMIN_KEY at start)' }),
    details: z.record(z.string(), z.unknown()).nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ description: 'One administrative action of the audit log.' });

export const auditEventPageSchema = z
  .object({
    items: z.array(auditEventViewSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ description: "A page of the tenant's audit log, newest first." });

export const tenantViewSchema = z
  .object({
    id,
    name: z.string(),
    retentionDays: z
      .number()
      .int()
      .min(0)
      .nullable()
      .meta({ description: "Days finished jobs and artifacts are kept; 0: forever; null: the installation default (the workers' GANTRY_RETENTION_DAYS)" }),
  })
  .meta({ description: 'A tenant and its settings.' });

/** A backend's model files per kind; a kind it does not report is absent. */
export const modelInventorySchema = z
  .object(Object.fromEntries(MODEL_KINDS.map((k) => [k, z.array(z.string()).optional()])) as Record<(typeof MODEL_KINDS)[number], z.ZodOptional<z.ZodArray<z.ZodString>>>)
  .meta({ description: 'Model files per kind (`checkpoint`, `lora`, `vae`, `upscaler`, `controlnet`, `clip`, `unet`); a kind the backend does not report is absent' });

/** One model file of the fleet and the backends that hold it (`GET /models`). */
export const modelViewSchema = z
  .object({
    kind: modelKindSchema,
    name: z.string().meta({ description: 'The file name as the backends list it', examples: ['sd_xl_base_1.0.safetensors'] }),
    backends: z.array(z.string()).meta({ description: 'Ids of the registered backends that hold it, sorted', examples: [['gpu0', 'gpu1']] }),
  })
  .meta({ description: 'A model file and the backends that hold it.' });

export const modelListSchema = z
  .object({ items: z.array(modelViewSchema) })
  .meta({ description: 'Every model file the registered backends hold, sorted by kind then name.' });

/** Query of `GET /api/v1/models`. */
export const listModelsQuerySchema = z
  .object({ kind: modelKindSchema.optional().meta({ description: 'Only models of this kind' }) })
  .strict();

/** Mirrors BACKEND_STATES of @gantry/fleet (the view function's types check they agree). */
export const backendStateSchema = z
  .enum(['healthy', 'unhealthy', 'open', 'draining', 'unknown'])
  .meta({ description: 'New jobs go only to `healthy` and `unknown` backends that are not draining' });
export const breakerPhaseSchema = z.enum(['closed', 'open', 'half_open']);

export const backendViewSchema = z
  .object({
    id: z.string().meta({ examples: ['gpu0'] }),
    kind: z.enum(['comfyui', 'a1111']),
    url: z.string().optional().meta({ description: 'Internal address: only shown to admin keys', examples: ['http://10.0.0.5:8188'] }),
    capacity: z.number().int().min(1),
    tags: z.array(z.string()),
    state: backendStateSchema,
    breaker: breakerPhaseSchema,
    inFlight: z.number().int().min(0).meta({ description: 'Jobs running on it across all workers: live slot leases, and jobs whose prompt ended there while their outputs are stored (their slot is free again, so this may briefly exceed capacity)' }),
    draining: z.boolean(),
    consecutiveFailures: z.number().int().min(0),
    lastProbeAt: timestamp.nullable(),
    lastOkAt: timestamp.nullable(),
    lastError: z.string().nullable(),
    openUntil: timestamp.nullable().meta({ description: 'Set while the breaker is not closed' }),
    probe: z.object({
      version: z.string().nullable(),
      deviceName: z.string().nullable(),
      vram: z.object({ totalMb: z.number().nullable(), freeMb: z.number().nullable() }),
      nodeTypeCount: z.number().int().min(0).nullable(),
      nodeTypes: z.array(z.string()).nullable().optional().meta({ description: 'Only on `GET /backends/{id}`; null until learned' }),
      models: modelInventorySchema.nullable().optional().meta({ description: 'Only on `GET /backends/{id}`: the model files it holds, per kind; null until learned' }),
      learnedAt: timestamp.nullable(),
    }),
    createdAt: timestamp,
    updatedAt: timestamp,
    links: z.object({ self: z.string(), drain: z.string(), undrain: z.string() }),
  })
  .meta({ description: 'A GPU backend: configuration, live health and load.' });

export const backendListSchema = z.object({ items: z.array(backendViewSchema) }).meta({ description: 'Every backend, sorted by id.' });

export const dependencyHealthSchema = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().min(0),
  reason: z
    .string()
    .optional()
    .meta({ description: 'Why it is down, e.g. `connection refused`, `pool timeout`, `timed out` (never an address)', examples: ['connection refused'] }),
});

export const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    commit: z.string().nullable().meta({ description: 'The commit this build runs (GANTRY_COMMIT, else git at start), or null' }),
    uptimeSeconds: z.number().int().min(0),
    checks: z.object({ postgres: dependencyHealthSchema, redis: dependencyHealthSchema }),
    backends: z
      .object({ total: z.number().int().min(0), online: z.number().int().min(0) })
      .nullable()
      .meta({ description: 'Registered backends and how many are healthy now; null when PostgreSQL or Redis cannot tell' }),
    disk: z
      .object({ freeBytes: z.number().min(0), totalBytes: z.number().min(0) })
      .nullable()
      .meta({ description: "The artifact store's filesystem; null when it cannot be measured" }),
  })
  .meta({ description: 'Liveness of the API and its dependencies.' });

export const webhookDeliveryViewSchema = z
  .object({
    id,
    event: z.enum(WEBHOOK_EVENTS),
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int().min(0),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable(),
    deliveredAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ description: 'One webhook delivery of a job (docs/webhooks.md).' });

export const webhookDeliveryListSchema = z
  .object({ items: z.array(webhookDeliveryViewSchema) })
  .meta({ description: "A job's webhook deliveries, oldest first." });

export const livenessReportSchema = z
  .object({ status: z.literal('alive'), uptimeSeconds: z.number().int().min(0) })
  .meta({ description: 'The process is alive and serving HTTP (no dependency is checked).' });

export const migrationStatusSchema = z.object({
  status: z.enum(['up', 'down']),
  pending: z.array(z.string()).meta({ description: 'Migrations of this build not (successfully) applied to the database' }),
  error: z.string().optional().meta({ description: 'Why the check could not tell, or what to do' }),
});

export const readinessReportSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      postgres: dependencyHealthSchema,
      redis: dependencyHealthSchema,
      migrations: migrationStatusSchema,
      storage: dependencyHealthSchema.optional().meta({ description: 'The S3 bucket answers HeadBucket (absent with the local store)' }),
    }),
  })
  .meta({ description: 'Whether this instance should get traffic: PostgreSQL and Redis answer, every migration is applied and an S3 store answers.' });

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const problemCodeSchema = z.enum(ERROR_CODES).meta({ description: 'Stable error code; clients switch on it' });

export const fieldErrorSchema = z.object({
  path: z.string().meta({ description: 'Dotted path of the failing field, e.g. `workflow.3.class_type`' }),
  message: z.string(),
  code: z.string(),
});

/** One refused item of `POST /jobs/batch`: its index in `jobs`, why, and (for VALIDATION_FAILED) its failing fields. */
export const batchItemErrorSchema = z
  .object({
    index: z.number().int().min(0).meta({ description: 'Position of the item in `jobs` (0-based)' }),
    code: problemCodeSchema,
    detail: z.string(),
    errors: z
      .union([z.array(fieldErrorSchema), z.record(z.string(), z.unknown())])
      .optional()
      .meta({ description: 'The failing fields (paths inside the item), or details such as `reasons`' }),
  })
  .meta({ description: 'Why one job of a batch was refused.' });

/** RFC 9457 problem details: the one error envelope of the API. */
export const problemSchema = z
  .object({
    type: z.string().meta({ examples: ['urn:gantry:error:validation_failed'] }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    instance: z.string().optional(),
    code: problemCodeSchema,
    requestId: z.string().optional().meta({ description: 'Quote it when reporting a problem (also in `X-Request-Id`)' }),
    errors: z
      .union([z.array(fieldErrorSchema), z.array(batchItemErrorSchema), z.record(z.string(), z.unknown())])
      .optional()
      .meta({ description: 'VALIDATION_FAILED: every failing field; BATCH_INVALID: every refused item by index; otherwise details such as `reasons` or `inFlight`' }),
  })
  .meta({ description: 'RFC 9457 problem details.' });

export type ArtifactView = z.infer<typeof artifactViewSchema>;
export type JobErrorView = z.infer<typeof jobErrorViewSchema>;
export type UploadView = z.infer<typeof uploadViewSchema>;
export type JobInputView = z.infer<typeof jobInputViewSchema>;
export type QueueInfo = z.infer<typeof queueInfoSchema>;
export type JobView = z.infer<typeof jobViewSchema>;
export type AttemptErrorView = z.infer<typeof attemptErrorViewSchema>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryViewSchema>;
export type JobPage = z.infer<typeof jobPageSchema>;
export type JobEventPage = z.infer<typeof jobEventPageSchema>;
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;
export type BackendView = z.infer<typeof backendViewSchema>;
export type BackendKind = BackendView['kind'];
export type BackendState = z.infer<typeof backendStateSchema>;
export type BackendList = z.infer<typeof backendListSchema>;
export type ModelView = z.infer<typeof modelViewSchema>;
export type ModelList = z.infer<typeof modelListSchema>;
export type DependencyHealth = z.infer<typeof dependencyHealthSchema>;
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;
export type ApiKeyPage = z.infer<typeof apiKeyPageSchema>;
export type RotatedApiKey = z.infer<typeof rotatedApiKeySchema>;
export type AuditEventView = z.infer<typeof auditEventViewSchema>;
export type AuditEventPage = z.infer<typeof auditEventPageSchema>;
export type TenantView = z.infer<typeof tenantViewSchema>;
export type WebhookDeliveryList = z.infer<typeof webhookDeliveryListSchema>;
export type LivenessReport = z.infer<typeof livenessReportSchema>;
export type MigrationStatus = z.infer<typeof migrationStatusSchema>;
export type ReadinessReport = z.infer<typeof readinessReportSchema>;
export type HealthReport = z.infer<typeof healthReportSchema>;
export type FieldError = z.infer<typeof fieldErrorSchema>;
export type BatchItemError = z.infer<typeof batchItemErrorSchema>;
export type Problem = z.infer<typeof problemSchema>;
