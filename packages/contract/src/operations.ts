import { z } from 'zod';
import { listModelsQuerySchema } from './api-views.js';
import { listApiKeysQuerySchema, listAuditEventsQuerySchema } from './audit.js';
import { deleteBackendQuerySchema } from './backends.js';
import { DOCS_ASSET_NAMES } from './docs-assets.js';
import { idempotencyKeySchema, jobEventsQuerySchema, listJobsQuerySchema } from './job.js';
import { BATCH_MAX_JOBS, JOB_EVENTS_PAGE_MAX } from './limits.js';
import type { OperationSpec } from './operation-spec.js';
import { pathParams } from './named-schemas.js';
import { ROUTES, type OperationId } from './routes.js';

/** A small workflow for examples: checkpoint → prompt → sampler → decode → save. */
const EXAMPLE_WORKFLOW = {
  '3': {
    class_type: 'KSampler',
    inputs: { seed: 1, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a glass bottle with a purple galaxy inside', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

/** An entry's id with its method, path and scope from the route table (routes.ts), where they are written once. */
function route<Id extends OperationId>(operationId: Id) {
  return { operationId, ...ROUTES[operationId] };
}

const jobPath = { id: pathParams.jobId };
const uploadPath = { id: pathParams.uploadId };
const IMAGE_ERRORS = ['UPLOAD_TOO_LARGE', 'IMAGE_TYPE_UNSUPPORTED', 'IMAGE_CORRUPT', 'IMAGE_TOO_MANY_PIXELS'] as const;
const backendPath = { id: pathParams.backendId };

/**
 * Every operation the API serves, one entry per route. The API binds its routes from here
 * (apps/api/src/http/bind-operation.ts: method, path, scope, and the parsing of params, query and
 * body) and refuses to start unless each HTTP operation is bound exactly once. Keep entries in the
 * order of the routers.
 */
const catalog = [
  // ── Jobs ─────────────────────────────────────────────────────────────────────────────────
  {
    ...route('createJob'),
    tag: 'Jobs',
    summary: 'Submit a job',
    description:
      'Validates, persists and enqueues a render job: a ComfyUI `workflow` (API format) or AUTOMATIC1111/Forge `txt2img` parameters, exactly one of the two. Answers at once with the queued job. With `reuse: true`, a request identical to a succeeded job of the same tenant (canonical workflow or parameters, fixed seeds, same requirement tags) is answered with a new job already `succeeded`: its artifacts are that job\'s bytes, it ran on no GPU, and `reusedFrom` names the job that rendered them. A random seed (txt2img `seed` -1 or left out; a workflow seed input that is not a literal whole number) is never reused.',
    headers: {
      'Idempotency-Key': {
        schema: idempotencyKeySchema,
        description:
          'A repeat of the same request returns the first job (`202` with `Idempotent-Replayed: true`); the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`. Keys are per tenant.',
      },
    },
    body: {
      schema: 'SubmitJobRequest',
      examples: {
        workflow: { summary: 'A ComfyUI workflow', value: { workflow: EXAMPLE_WORKFLOW, priority: 0, requirements: { tags: ['sd15'] }, metadata: { shot: 'a-012' }, timeoutSeconds: 600 } },
        txt2img: { summary: 'AUTOMATIC1111/Forge txt2img', value: { txt2img: { prompt: 'a lighthouse at dusk', steps: 25, width: 768, height: 512 } } },
        inputs: {
          summary: 'A workflow with an input image (bound to the LoadImage node whose `image` is "photo")',
          value: { workflow: { ...EXAMPLE_WORKFLOW, '10': { class_type: 'LoadImage', inputs: { image: 'photo' } } }, inputs: { photo: { upload: '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01' } } },
        },
        img2img: {
          summary: 'AUTOMATIC1111/Forge img2img with an inpainting mask',
          value: { img2img: { prompt: 'a lighthouse at night', denoising_strength: 0.6 }, inputs: { image: { url: 'https://images.example.com/lighthouse.png' }, mask: { base64: 'iVBORw0KGgoAAAANSUhEUg==' } } },
        },
        reuse: { summary: 'Reuse an identical earlier result', value: { workflow: EXAMPLE_WORKFLOW, reuse: true } },
      },
    },
    responses: { 202: { description: 'Accepted: the job, queued (or the first job of a replayed idempotent request; or, with `reuse: true`, a job already `succeeded` with `reusedFrom` and its artifacts)', schema: 'Job', headers: ['Location', 'Idempotent-Replayed'] } },
    errors: [
      'BAD_REQUEST', 'IDEMPOTENCY_KEY_REUSED', 'MODEL_UNAVAILABLE', 'NO_ELIGIBLE_BACKEND', 'WEBHOOK_URL_FORBIDDEN', 'TENANT_QUEUE_FULL', 'SERVICE_UNAVAILABLE', 'WORKFLOW_TOO_LARGE',
      'UPLOAD_NOT_FOUND', 'INPUT_UNBOUND', 'INPUT_URL_FORBIDDEN', 'INPUT_FETCH_FAILED', 'INPUT_TOO_LARGE', 'IMAGE_TYPE_UNSUPPORTED', 'IMAGE_CORRUPT', 'IMAGE_TOO_MANY_PIXELS',
    ],
  },
  {
    ...route('createJobBatch'),
    tag: 'Jobs',
    summary: 'Submit many jobs at once',
    description:
      `Up to ${BATCH_MAX_JOBS} jobs in one request (a seed sweep, a dataset), each a \`POST /api/v1/jobs\` body with the same checks. All-or-nothing: when any job is refused, the answer is \`422 BATCH_INVALID\` naming every refused job by its index in \`jobs\` (\`errors: [{index, code, detail, errors}]\`), and nothing is stored. Accepted: every job is stored in one transaction, queued with one bulk add and answered in order (\`items\`: id, status, reusedFrom). The request counts as one submit (\`GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE\`); every job counts against the key's batch quota (\`GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE\`, default 10,000 a minute; a batch larger than that quota is \`413 BATCH_TOO_LARGE\`) and the tenant's queued cap (\`GANTRY_TENANT_MAX_QUEUED\`). The body limit (\`GANTRY_BODY_LIMIT\`) applies to the whole batch.`,
    headers: {
      'Idempotency-Key': {
        schema: idempotencyKeySchema,
        description:
          'A repeat of the same batch returns the whole first answer (`202` with `Idempotent-Replayed: true`, the same jobs in the same order); the same key with another batch is `422 IDEMPOTENCY_KEY_REUSED`. Keys are per tenant, apart from those of `POST /jobs`.',
      },
    },
    body: {
      schema: 'SubmitBatchRequest',
      examples: {
        sweep: {
          summary: 'A seed sweep: the same workflow with three seeds',
          value: { jobs: [1, 2, 3].map((seed) => ({ workflow: { ...EXAMPLE_WORKFLOW, '3': { ...EXAMPLE_WORKFLOW['3'], inputs: { ...EXAMPLE_WORKFLOW['3'].inputs, seed } } }, metadata: { seed } })) },
        },
      },
    },
    responses: { 202: { description: 'Accepted: every job, in the order of `jobs` (or the first answer of a replayed idempotent request)', schema: 'BatchResult', headers: ['Idempotent-Replayed'] } },
    errors: ['BAD_REQUEST', 'BATCH_TOO_LARGE', 'BATCH_INVALID', 'IDEMPOTENCY_KEY_REUSED', 'TENANT_QUEUE_FULL', 'SERVICE_UNAVAILABLE'],
  },
  {
    ...route('listJobs'),
    tag: 'Jobs',
    summary: 'List jobs',
    description: 'The tenant\'s jobs, newest first, by keyset pagination: pass `nextCursor` as `cursor` for the next page. Outputs carry presigned URLs as on `GET /jobs/{id}` (`GANTRY_STORAGE_PRESIGN=urls`).',
    query: listJobsQuerySchema,
    responses: { 200: { description: 'A page of jobs', schema: 'JobPage' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    ...route('getJob'),
    tag: 'Jobs',
    summary: 'Get a job',
    description:
      'A queued job also carries `queue`: its position, eligible backends and an estimated start. With `GANTRY_STORAGE_PRESIGN=urls` (S3 store) each output also carries `presignedUrl`, a URL of the bucket that downloads it without Gantry credentials, and `presignedUrlExpiresAt` (`GANTRY_STORAGE_PRESIGN_TTL_SEC` from this answer); fetch the job again for fresh ones.',
    pathParams: jobPath,
    responses: { 200: { description: 'The job', schema: 'Job' } },
    errors: ['NOT_FOUND'],
  },
  {
    ...route('cancelJob'),
    tag: 'Jobs',
    summary: 'Cancel a job',
    description:
      'A queued job is canceled at once (`200`). A dispatched or running job is interrupted on its backend by the worker that holds it (`202`); it becomes `canceled` shortly after.',
    pathParams: jobPath,
    responses: {
      200: { description: 'Canceled', schema: 'Job' },
      202: { description: 'Cancel requested; the job stops shortly', schema: 'Job' },
    },
    errors: ['NOT_FOUND', 'INVALID_STATE', 'QUEUE_UNAVAILABLE'],
  },
  {
    ...route('retryJob'),
    tag: 'Jobs',
    summary: 'Retry a finished job',
    description:
      'Submits a new job with the input of a `failed`, `canceled` or `succeeded` one (kind and workflow or txt2img parameters, priority, requirements, metadata, timeout, webhook); the new job\'s `retryOf` names the old one. Goes through the same checks and quotas as `POST /jobs` (eligible backend, tenant queue cap, submit rate limit). A job not yet finished is `409 INVALID_STATE`.',
    pathParams: jobPath,
    headers: {
      'Idempotency-Key': {
        schema: idempotencyKeySchema,
        description:
          'A repeat of the same retry returns the first new job (`202` with `Idempotent-Replayed: true`); the same key used for another request is `422 IDEMPOTENCY_KEY_REUSED`. Keys are per tenant, shared with `POST /jobs`.',
      },
    },
    responses: { 202: { description: 'Accepted: the new job, queued (or the job of a replayed idempotent request)', schema: 'Job', headers: ['Location', 'Idempotent-Replayed'] } },
    errors: ['NOT_FOUND', 'INVALID_STATE', 'BAD_REQUEST', 'IDEMPOTENCY_KEY_REUSED', 'MODEL_UNAVAILABLE', 'NO_ELIGIBLE_BACKEND', 'WEBHOOK_URL_FORBIDDEN', 'TENANT_QUEUE_FULL', 'SERVICE_UNAVAILABLE', 'WORKFLOW_TOO_LARGE'],
  },
  {
    ...route('listJobEvents'),
    tag: 'Jobs',
    summary: 'List a job\'s events',
    description: `Persisted events after sequence number \`since\`, in order, at most ${JOB_EVENTS_PAGE_MAX}. For live events use the WebSocket stream.`,
    pathParams: jobPath,
    query: jobEventsQuerySchema,
    responses: { 200: { description: 'The events', schema: 'JobEventPage' } },
    errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
  },
  {
    ...route('listJobWebhookDeliveries'),
    tag: 'Jobs',
    summary: 'List a job\'s webhook deliveries',
    description: 'Every delivery of the job\'s `webhook`, oldest first, with its attempts and last answer (docs/webhooks.md). Empty for a job without a webhook.',
    pathParams: jobPath,
    responses: { 200: { description: 'The deliveries', schema: 'WebhookDeliveryList' } },
    errors: ['NOT_FOUND'],
  },
  {
    ...route('getJobArtifact'),
    tag: 'Jobs',
    summary: 'Download an output',
    description:
      'The output\'s bytes with its content type, streamed from the artifact store. `ETag` is its SHA-256 (`If-None-Match` → `304`); one byte range per request (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100` → `206` with `Content-Range`; several ranges or a stale `If-Range` get the whole output). With `GANTRY_STORAGE_PRESIGN=redirect` or `urls` (S3 store) the answer is instead a `302` to a short-lived presigned URL of the bucket (valid `GANTRY_STORAGE_PRESIGN_TTL_SEC`), which serves the same bytes, ranges included, without Gantry credentials.',
    pathParams: { ...jobPath, artifactId: pathParams.artifactId },
    headers: {
      Range: { schema: z.string().max(200), description: 'One byte range (RFC 9110 §14.2): `bytes=start-end`, `bytes=start-` or `bytes=-suffixLength`' },
      'If-Range': { schema: z.string().max(200), description: 'The `ETag` the client holds: the range is sent only while it still matches' },
      'If-None-Match': { schema: z.string().max(200), description: 'The `ETag` the client holds: `304` when it matches (outputs never change under one id)' },
    },
    responses: {
      200: {
        description: 'The bytes, with the output\'s own content type (its `contentType`: image/png, video/mp4, audio/flac, ...; unknown kinds application/octet-stream)',
        content: { '*/*': {} },
        headers: ['ETag', 'Cache-Control', 'Content-Disposition', 'Accept-Ranges'],
      },
      206: {
        description: 'The range asked for',
        content: { '*/*': {} },
        headers: ['ETag', 'Cache-Control', 'Content-Disposition', 'Accept-Ranges', 'Content-Range'],
      },
      302: { description: 'A presigned URL of the bucket to download from (`GANTRY_STORAGE_PRESIGN=redirect` or `urls`); not cacheable', headers: ['Location', 'Cache-Control'] },
      304: { description: 'Not modified: the `If-None-Match` ETag matches', headers: ['ETag', 'Cache-Control'] },
    },
    errors: ['NOT_FOUND', 'RANGE_NOT_SATISFIABLE', 'STORAGE_UNAVAILABLE'],
  },

  // ── Uploads ──────────────────────────────────────────────────────────────────────────────
  {
    ...route('createUpload'),
    tag: 'Uploads',
    summary: 'Upload an input image',
    description:
      'The image as the raw body, or as the first file part of `multipart/form-data`; streamed to the store, never held whole. Its type comes from its bytes (PNG, JPEG, WebP), never from the name or `Content-Type`; its size is read from its header and refused past `GANTRY_UPLOAD_MAX_PIXELS` before anything decodes it; past `GANTRY_UPLOAD_MAX_BYTES` the upload stops; a truncated image is refused. Nothing is stored when any check fails. Content-addressed per tenant: the same bytes again answer `200` with the same upload.',
    rawBody: {
      description: 'The image bytes (any Content-Type), or a multipart form whose first file part is the image',
      content: {
        'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
        'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
        'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
      },
    },
    responses: {
      201: { description: 'Stored: a new upload', schema: 'Upload', headers: ['Location'] },
      200: { description: 'The tenant had uploaded the same bytes: that upload (same id)', schema: 'Upload', headers: ['Location'] },
    },
    errors: ['BAD_REQUEST', ...IMAGE_ERRORS],
  },
  {
    ...route('getUpload'),
    tag: 'Uploads',
    summary: 'Get an upload',
    description: 'Its metadata. Another tenant\'s upload is `404`, like a missing one.',
    pathParams: uploadPath,
    responses: { 200: { description: 'The upload', schema: 'Upload' } },
    errors: ['NOT_FOUND'],
  },
  {
    ...route('getUploadContent'),
    tag: 'Uploads',
    summary: 'Download an upload',
    description:
      'The bytes with the type read from them, served like an output (`GET /jobs/{id}/artifacts/{artifactId}`): `ETag` is their SHA-256 (`If-None-Match` → `304`), one byte range per request (`206`), and with `GANTRY_STORAGE_PRESIGN=redirect` or `urls` (S3 store) a `302` to a short-lived presigned URL of the bucket.',
    pathParams: uploadPath,
    headers: {
      Range: { schema: z.string().max(200), description: 'One byte range (RFC 9110 §14.2): `bytes=start-end`, `bytes=start-` or `bytes=-suffixLength`' },
      'If-Range': { schema: z.string().max(200), description: 'The `ETag` the client holds: the range is sent only while it still matches' },
      'If-None-Match': { schema: z.string().max(200), description: 'The `ETag` the client holds: `304` when it matches (uploads never change under one id)' },
    },
    responses: {
      200: { description: 'The image', content: { 'image/png': {}, 'image/jpeg': {}, 'image/webp': {} }, headers: ['ETag', 'Cache-Control', 'Content-Disposition', 'Accept-Ranges'] },
      206: { description: 'The range asked for', content: { 'image/png': {}, 'image/jpeg': {}, 'image/webp': {} }, headers: ['ETag', 'Cache-Control', 'Content-Disposition', 'Accept-Ranges', 'Content-Range'] },
      302: { description: 'A presigned URL of the bucket to download from (`GANTRY_STORAGE_PRESIGN=redirect` or `urls`); not cacheable', headers: ['Location', 'Cache-Control'] },
      304: { description: 'Not modified: the `If-None-Match` ETag matches', headers: ['ETag', 'Cache-Control'] },
    },
    errors: ['NOT_FOUND', 'RANGE_NOT_SATISFIABLE', 'STORAGE_UNAVAILABLE'],
  },
  {
    ...route('deleteUpload'),
    tag: 'Uploads',
    summary: 'Delete an upload',
    description:
      'Deletes the upload, and its bytes when nothing else holds the same bytes. Refused with `409 UPLOAD_IN_USE` (the jobs in `errors.jobs`) while a queued or running job uses it; jobs that ended keep the input\'s hash and name, with `uploadId: null`.',
    pathParams: uploadPath,
    responses: { 204: { description: 'Deleted' } },
    errors: ['NOT_FOUND', 'UPLOAD_IN_USE'],
  },

  // ── API keys ─────────────────────────────────────────────────────────────────────────────
  {
    ...route('createApiKey'),
    tag: 'API keys',
    summary: 'Create an API key',
    description:
      'A tenant-admin key creates keys of its own tenant with `read`, `submit` or `tenant-admin`; an operator key creates keys of any scope for any tenant, creating the tenant when it does not exist. Anything else is `403 FORBIDDEN` (`errors.reason`: `other_tenant` or `scope_not_grantable`), and nothing is written. The key is shown only in this response; Gantry stores its SHA-256.',
    body: { schema: 'CreateApiKeyRequest', examples: { reader: { summary: 'A read-only key', value: { tenant: 'studio-a', scopes: ['read'], name: 'dashboard' } } } },
    responses: { 201: { description: 'Created', schema: 'CreatedApiKey', headers: ['Location', 'Cache-Control'] } },
  },
  {
    ...route('listApiKeys'),
    tag: 'API keys',
    summary: 'List the tenant\'s API keys',
    description: 'The caller\'s tenant\'s keys (revoked ones included, with their `status`), by keyset pagination: pass `nextCursor` as `cursor`. Never a secret nor a hash. Operator keys may name another `tenant`.',
    query: listApiKeysQuerySchema,
    responses: { 200: { description: 'A page of keys', schema: 'ApiKeyPage', headers: ['Cache-Control'] } },
    errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
  },
  {
    ...route('revokeApiKey'),
    tag: 'API keys',
    summary: 'Revoke an API key',
    description:
      'The key stops working at once on every API instance (a key in a rotation grace period too); its WebSockets are closed. Audited. Idempotent: revoking a revoked key answers it unchanged. Another tenant\'s key is not found (operator keys find every tenant\'s keys); an operator key is managed by operator keys only (`403`).',
    pathParams: { id: pathParams.apiKeyId },
    responses: { 200: { description: 'The key, revoked', schema: 'ApiKey', headers: ['Cache-Control'] } },
    errors: ['NOT_FOUND'],
  },
  {
    ...route('rotateApiKey'),
    tag: 'API keys',
    summary: 'Rotate an API key',
    description:
      'A new key with the same tenant, scopes and name replaces this one; the old secret stops working at once or after `graceSeconds`. The body is optional. The new secret is shown only in this response. Audited. The key from `GANTRY_ADMIN_KEY` is rotated by changing the variable instead (`409`). Which keys a caller may rotate: as for revoking.',
    pathParams: { id: pathParams.apiKeyId },
    body: { schema: 'RotateApiKeyRequest', required: false, examples: { grace: { summary: 'Keep the old key working for 10 minutes', value: { graceSeconds: 600 } } } },
    responses: { 201: { description: 'The new key, and the one it replaces', schema: 'RotatedApiKey', headers: ['Location', 'Cache-Control'] } },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },

  // ── Backends ─────────────────────────────────────────────────────────────────────────────
  {
    ...route('listBackends'),
    tag: 'Backends',
    summary: 'List the GPU backends',
    description: 'Every backend with its live state, breaker and load. `url` is shown to operator keys only.',
    responses: { 200: { description: 'The fleet', schema: 'BackendList', headers: ['Cache-Control'] } },
    errors: ['QUEUE_UNAVAILABLE'],
  },
  {
    ...route('createBackend'),
    tag: 'Backends',
    summary: 'Register a backend',
    description: 'Workers whose `GANTRY_WORKER_TAGS` cover it pick it up within `GANTRY_REGISTRY_REFRESH_MS`.',
    body: { schema: 'CreateBackendRequest', examples: { comfyui: { summary: 'A ComfyUI server', value: { id: 'gpu0', url: 'http://10.0.0.5:8188', capacity: 2, tags: ['sdxl'] } } } },
    responses: { 201: { description: 'Registered', schema: 'Backend', headers: ['Location'] } },
    errors: ['CONFLICT', 'QUEUE_UNAVAILABLE'],
  },
  {
    ...route('getBackend'),
    tag: 'Backends',
    summary: 'Get a backend',
    description: 'As in the list, plus `probe.nodeTypes` and `probe.models` (its model files per kind).',
    pathParams: backendPath,
    responses: { 200: { description: 'The backend', schema: 'Backend', headers: ['Cache-Control'] } },
    errors: ['NOT_FOUND', 'QUEUE_UNAVAILABLE'],
  },
  {
    ...route('drainBackend'),
    tag: 'Backends',
    summary: 'Drain a backend',
    description: 'No new jobs go to it; running jobs finish. Idempotent.',
    pathParams: backendPath,
    responses: { 200: { description: 'The backend, draining', schema: 'Backend' } },
    errors: ['NOT_FOUND', 'QUEUE_UNAVAILABLE'],
  },
  {
    ...route('undrainBackend'),
    tag: 'Backends',
    summary: 'Undrain a backend',
    description: 'Reverses a drain. Idempotent.',
    pathParams: backendPath,
    responses: { 200: { description: 'The backend', schema: 'Backend' } },
    errors: ['NOT_FOUND', 'QUEUE_UNAVAILABLE'],
  },
  {
    ...route('deleteBackend'),
    tag: 'Backends',
    summary: 'Delete a backend',
    description: 'Refused while jobs run on it (`inFlight > 0`) unless `force=true`: drain first, delete when `inFlight` is 0.',
    pathParams: backendPath,
    query: deleteBackendQuerySchema,
    responses: { 204: { description: 'Deleted' } },
    errors: ['NOT_FOUND', 'INVALID_STATE', 'VALIDATION_FAILED', 'QUEUE_UNAVAILABLE'],
  },

  // ── Models ───────────────────────────────────────────────────────────────────────────────
  {
    ...route('listModels'),
    tag: 'Models',
    summary: 'List the models of the fleet',
    description:
      'Every model file the registered backends hold, by kind, with the ids of the backends holding it (never their URLs). Learned by the health probes with the node types (ComfyUI: the loader nodes\' option lists in `/object_info`; A1111: `/sdapi/v1/sd-models`, `/loras`, `/sd-vae`, `/upscalers`). A job naming a model no backend holds is refused at submit with `422 MODEL_UNAVAILABLE`.',
    query: listModelsQuerySchema,
    responses: { 200: { description: 'The models', schema: 'ModelList', headers: ['Cache-Control'] } },
    errors: ['VALIDATION_FAILED'],
  },

  // ── Tenants ──────────────────────────────────────────────────────────────────────────────
  {
    ...route('getTenant'),
    tag: 'Tenants',
    summary: 'Get a tenant\'s settings',
    description: '`current` is the caller\'s tenant; an operator key may name any tenant (another key naming another tenant: `403`).',
    pathParams: { tenant: pathParams.tenant },
    responses: { 200: { description: 'The tenant', schema: 'Tenant', headers: ['Cache-Control'] } },
    errors: ['NOT_FOUND'],
  },
  {
    ...route('updateTenant'),
    tag: 'Tenants',
    summary: 'Set a tenant\'s retention',
    description: 'How many days the tenant\'s finished jobs and their artifacts are kept (0: forever; null: the installation default). See docs/operations.md.',
    pathParams: { tenant: pathParams.tenant },
    body: { schema: 'UpdateTenantRequest', examples: { month: { summary: 'Keep 30 days', value: { retentionDays: 30 } } } },
    responses: { 200: { description: 'The tenant, updated', schema: 'Tenant' } },
    errors: ['NOT_FOUND'],
  },

  // ── Audit log ────────────────────────────────────────────────────────────────────────────
  {
    ...route('listAuditEvents'),
    tag: 'Audit',
    summary: 'List the audit log',
    description: 'The caller\'s tenant\'s administrative actions (keys created, revoked, rotated; backends created, drained, deleted; settings changed), newest first, optionally of one `action`; pass `nextCursor` as `cursor` for the next page. Operator keys may name another `tenant`.',
    query: listAuditEventsQuerySchema,
    responses: { 200: { description: 'A page of events', schema: 'AuditEventPage', headers: ['Cache-Control'] } },
    errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
  },

  // ── Operations ───────────────────────────────────────────────────────────────────────────
  {
    ...route('getLiveness'),
    tag: 'Operations',
    summary: 'Liveness probe',
    description: 'The process is alive and serving HTTP; no dependency is checked (use it as a Kubernetes liveness probe).',
    responses: { 200: { description: 'Alive', schema: 'Liveness', headers: ['Cache-Control'] } },
  },
  {
    ...route('getReadiness'),
    tag: 'Operations',
    summary: 'Readiness probe',
    description: '`200` when PostgreSQL and Redis answer and every migration of this build is applied; `503` otherwise (take the instance out of the load balancer).',
    responses: {
      200: { description: 'Ready', schema: 'Readiness', headers: ['Cache-Control'] },
      503: { description: 'Not ready: a dependency is down or migrations are pending', schema: 'Readiness', headers: ['Cache-Control'] },
    },
  },
  {
    ...route('getMetrics'),
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description: 'This instance\'s metrics in the Prometheus text format (docs/metrics.md).',
    optionalSecurity: 'metricsToken',
    responses: {
      200: {
        description: 'The metrics (`text/plain; version=0.0.4`)',
        content: { 'text/plain': { type: 'string', examples: ['# TYPE gantry_http_requests_total counter\n'] } },
        headers: ['Cache-Control'],
      },
    },
  },
  {
    ...route('getHealth'),
    tag: 'Operations',
    summary: 'Health of the API and its dependencies',
    description: '`503` with `status: degraded` when PostgreSQL or Redis does not answer within a second.',
    responses: {
      200: { description: 'Healthy', schema: 'HealthReport', headers: ['Cache-Control'] },
      503: { description: 'Degraded: a dependency is down', schema: 'HealthReport', headers: ['Cache-Control'] },
    },
  },

  // ── Live stream ──────────────────────────────────────────────────────────────────────────
  {
    ...route('openStream'),
    tag: 'Stream',
    summary: 'Live job events over a WebSocket',
    description:
      'Upgrades to a WebSocket (subprotocol `gantry.v1`). Authenticate by also offering the subprotocol `gantry.key.<API key>` or with a first message `{"type":"auth","key":"..."}`; the key needs the `read` scope (every key but a `submit`-only one). Then `subscribe` to a job, several jobs or all of the key\'s tenant\'s jobs (any key, operator keys included, sees its own tenant\'s jobs only) and resume with `since` after a reconnect. A key over `GANTRY_WS_MAX_SOCKETS_PER_KEY` open sockets is closed with `4429`. Messages and close codes: docs/websocket.md.',
    transport: 'websocket',
    headers: {
      Upgrade: { schema: z.literal('websocket'), required: true, description: 'Must be `websocket`' },
      Connection: { schema: z.string(), required: true, description: 'Must contain `Upgrade`' },
      'Sec-WebSocket-Protocol': {
        schema: z.string(),
        required: true,
        description: '`gantry.v1`, optionally also `gantry.key.<API key>` (never echoed back)',
      },
    },
    responses: {
      101: { description: 'Switching protocols: the socket is open', headers: ['Upgrade', 'Sec-WebSocket-Protocol'] },
      403: { description: 'The browser `Origin` is not allowed (`GANTRY_WS_ALLOWED_ORIGINS`); no body' },
      429: {
        description:
          'Too many upgrades from this client IP (`GANTRY_WS_UPGRADES_PER_MINUTE`, with `Retry-After`) or too many open sockets from it (`GANTRY_WS_MAX_SOCKETS_PER_IP`); no body',
        headers: ['Retry-After'],
      },
    },
  },

  // ── The contract itself ──────────────────────────────────────────────────────────────────
  {
    ...route('getOpenApiDocument'),
    tag: 'Documentation',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas the API validates with. Cacheable: revalidate with `If-None-Match`.',
    responses: {
      200: { description: 'The document', content: { 'application/json': { type: 'object' } }, headers: ['ETag', 'Cache-Control'] },
      304: { description: 'Not modified (`If-None-Match` matched)', headers: ['ETag'] },
    },
  },
  {
    ...route('getApiDocs'),
    tag: 'Documentation',
    summary: 'Interactive API documentation (Swagger UI)',
    description: 'A page that renders this document; its assets are served by the API itself (no CDN).',
    responses: { 200: { description: 'The page', content: { 'text/html': { type: 'string' } }, headers: ['Cache-Control'] } },
  },
  {
    ...route('getApiDocsAsset'),
    tag: 'Documentation',
    summary: 'An asset of the documentation page',
    pathParams: { asset: z.enum(DOCS_ASSET_NAMES).meta({ description: 'A file of the page (Swagger UI\'s, or its init script)' }) },
    responses: {
      200: {
        description: 'The file',
        content: { 'text/javascript': { type: 'string' }, 'text/css': { type: 'string' }, 'image/png': {} },
        headers: ['ETag', 'Cache-Control'],
      },
      304: { description: 'Not modified (`If-None-Match` or `If-Modified-Since` matched)', headers: ['ETag'] },
    },
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
] as const satisfies readonly OperationSpec[];

export const operations: readonly OperationSpec[] = catalog;

/** The catalog's entries by operationId, with their literal types: what a bound handler's input is inferred from. */
export type OperationCatalog = { [O in (typeof catalog)[number] as O['operationId']]: O };
