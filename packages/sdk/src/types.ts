/**
 * The API's wire types, as the SDK sees them: taken from @gantry/contract (the zod schemas the API
 * validates with and answers from), type-only, so a browser bundle of the SDK carries no zod
 * (esbuild erases `import type`). The few runtime values the SDK needs (the statuses, the batch
 * limit) come from `@gantry/contract/zod-free`, which has no zod.
 */
import type {
  ApiKeyScope,
  ApiKeyView,
  ArtifactView,
  BackendView,
  CreateApiKeyRequest,
  HealthReport,
  JobErrorView,
  JobEventPage,
  JobEventRecord,
  JobInputView,
  JobView,
  Workflow,
  ListJobsQuery as ListJobsQueryParsed,
  ModelView,
  PreviewPayload,
  Problem as ProblemBody,
  RegisterBackendRequest,
  SubmitJobRequest,
  UploadView,
  WebhookDeliveryView,
} from '@gantry/contract';
import { TERMINAL_STATUSES } from '@gantry/contract/zod-free';

export type {
  ApiKeyPage,
  ApiKeyScope,
  BackendKind,
  BackendState,
  BatchItemError,
  BatchJobResult,
  BatchResult,
  CreatedApiKey,
  Img2ImgParams,
  JobEventBody,
  JobInputSpec,
  JobKind,
  JobPage,
  JobRequirements,
  JobStatus,
  JobWebhook,
  ModelInventory,
  ModelKind,
  OutputEvent,
  ProgressEvent,
  QueueInfo,
  RotatedApiKey,
  StateEvent,
  Txt2ImgParams,
  WebhookEvent,
  WorkflowNode,
} from '@gantry/contract';

export { BATCH_MAX_JOBS, JOB_EVENTS_PAGE_MAX, JOB_STATUSES, TERMINAL_STATUSES } from '@gantry/contract/zod-free';

export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** A job, as the API returns it. */
export type Job = JobView;
/** Why a job failed or was canceled. */
export type JobError = JobErrorView;
/** One stored output. `url` is a path on the API (`/api/v1/jobs/{id}/artifacts/{aid}`); `presignedUrl` only with `GANTRY_STORAGE_PRESIGN=urls`. */
export type Artifact = ArtifactView;
/** An input image of the tenant (`client.upload`). Same bytes, same upload. */
export type Upload = UploadView;
/** One input image of a job, as bound at submit. */
export type JobInput = JobInputView;
/** A persisted job event; `seq` is dense per job: 1, 2, 3, ... */
export type JobEvent = JobEventRecord;
export type JobEventsPage = JobEventPage;
export type Backend = BackendView;
/** A model file of the fleet and the ids of the backends that hold it (`GET /models`). */
export type Model = ModelView;
/** An API key as listed: never its secret. */
export type ApiKey = ApiKeyView;
/** One webhook delivery of a job. */
export type WebhookDelivery = WebhookDeliveryView;
export type Health = HealthReport;

export type { Workflow };

/**
 * Body of `POST /api/v1/jobs`: exactly one of `workflow`, `txt2img` and `img2img`. The API also
 * takes a workflow node without `inputs`; the SDK's `Workflow` always has them (what code that
 * edits a workflow wants to read).
 */
export type SubmitJobInput = Omit<SubmitJobRequest, 'workflow'> & { workflow?: Workflow };

/** Body of `POST /jobs/batch`: 1 to 1000 jobs, each a `POST /jobs` body. */
export type SubmitBatchInput = { jobs: SubmitJobInput[] };

/** Query of `client.jobs.list`: every field optional (the server applies the defaults). */
export type ListJobsQuery = Partial<ListJobsQueryParsed>;

/** Body of `POST /api-keys`. The API also accepts the legacy scope `admin`; the SDK offers only the current names. */
export type CreateApiKeyInput = Omit<CreateApiKeyRequest, 'scopes'> & { scopes: ApiKeyScope[] };

/**
 * RFC 9457 problem details as the SDK reads them: the contract's fields, every one optional and
 * `code` any string, since an error body may come from a proxy in front of the API, and the SDK's
 * own errors (`CLIENT_ERROR_CODES`) take the same form.
 */
export type Problem = Partial<Omit<ProblemBody, 'code' | 'errors'>> & { code?: string; errors?: unknown };

/** Body of `POST /api/v1/backends`: an entry of GANTRY_BACKENDS. */
export type RegisterBackendInput = RegisterBackendRequest;

/** A preview image from the stream (only when asked for with `previews: true`). */
export type Preview = PreviewPayload;
