import {
  inputFieldValue,
  type ArtifactView,
  type AttemptErrorView,
  type JobInputView,
  type JobKind,
  type JobRequirements,
  type JobStatus,
  type JobView,
  type UploadView,
  type WebhookEvent,
} from '@gantry/contract';
import { routePath } from '@gantry/contract/zod-free';
import { isTerminal } from './job-state.js';

/**
 * An instant already written the way the views write instants (`Date.prototype.toISOString`:
 * `2026-12-05T16:35:28.123Z`): a read that formats its timestamps itself hands them over so, and the
 * view copies them instead of building a Date and writing it again (the job list's reads:
 * bench/README.md, "Reads").
 */
export type IsoInstant = string & { readonly isoInstant: true };

/** An instant as the views write it. */
function isoOf(instant: Date | IsoInstant): string {
  return typeof instant === 'string' ? instant : instant.toISOString();
}

/** What the job view reads from a stored job (a database row satisfies it). */
export interface JobViewSource {
  id: string;
  kind: JobKind;
  status: JobStatus;
  priority: number;
  progress: number;
  attempts: number;
  backendId: string | null;
  requirements: unknown;
  metadata: unknown;
  timeoutSeconds: number | null;
  webhookUrl: string | null;
  webhookEvents: string[];
  createdAt: Date | IsoInstant;
  startedAt: Date | IsoInstant | null;
  finishedAt: Date | IsoInstant | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorDetails: unknown;
  /** Backend detail for operators only (see splitJobError). */
  errorInternal?: unknown;
  /** The job this one retries, or null. */
  retryOf: string | null;
  /** The job whose result this one was answered with (`reuse: true`), or null. */
  reusedFrom: string | null;
  /** Why the last failed attempt sent the job back to the queue (cleared when it ends). */
  lastError: unknown;
}

/** What the artifact view reads from a stored artifact. */
export interface ArtifactViewSource {
  id: string;
  filename: string;
  contentType: string;
  bytes: number;
  nodeId: string | null;
}

/** A short-lived URL of the bucket for one stored object, and when it stops working. */
export interface PresignedLink {
  url: string;
  expiresAt: Date;
}

/** Presigned links of a job's artifacts by artifact id (GANTRY_STORAGE_PRESIGN=urls). */
export type PresignedLinks = ReadonlyMap<string, PresignedLink>;

export function artifactView(jobId: string, a: ArtifactViewSource, link?: PresignedLink): ArtifactView {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    bytes: a.bytes,
    nodeId: a.nodeId,
    url: routePath('getJobArtifact', { id: jobId, artifactId: a.id }),
    ...(link ? { presignedUrl: link.url, presignedUrlExpiresAt: link.expiresAt.toISOString() } : {}),
  };
}

/**
 * The public shape of a job: what `GET /api/v1/jobs/{id}` returns and what a webhook carries.
 * Internal columns (workflow, hashes, prompt id) stay inside.
 */
/** What the upload view reads from a stored upload. */
export interface UploadViewSource {
  id: string;
  sha256: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  createdAt: Date;
}

export function uploadView(u: UploadViewSource): UploadView {
  return {
    id: u.id,
    sha256: u.sha256,
    contentType: u.contentType as UploadView['contentType'],
    bytes: u.bytes,
    width: u.width,
    height: u.height,
    createdAt: u.createdAt.toISOString(),
    url: routePath('getUploadContent', { id: u.id }),
  };
}

/** What the job input view reads from a stored job input. */
export interface JobInputViewSource {
  name: string;
  source: string;
  uploadId: string | null;
  sha256: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  filename: string;
  targets: unknown;
}

export function jobInputView(i: JobInputViewSource): JobInputView {
  return {
    name: i.name,
    source: i.source as JobInputView['source'],
    uploadId: i.uploadId,
    sha256: i.sha256,
    contentType: i.contentType,
    bytes: i.bytes,
    width: i.width,
    height: i.height,
    filename: inputFieldValue(i.filename),
    targets: (i.targets as JobInputView['targets'] | null) ?? [],
    url: i.uploadId ? routePath('getUploadContent', { id: i.uploadId }) : null,
  };
}

export function jobView(
  job: JobViewSource,
  artifacts: ArtifactViewSource[],
  options: {
    operator?: boolean;
    inputs?: JobInputViewSource[];
    /** Presigned URLs of the artifacts, by artifact id; an artifact without one gets none. */
    links?: PresignedLinks;
  } = {},
): JobView {
  const self = routePath('getJob', { id: job.id });
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    priority: job.priority,
    progress: job.progress,
    attempts: job.attempts,
    backend: job.backendId,
    requirements: (job.requirements as JobRequirements | null) ?? null,
    metadata: (job.metadata as Record<string, unknown> | null) ?? null,
    timeoutSeconds: job.timeoutSeconds,
    webhook: job.webhookUrl ? { url: job.webhookUrl, events: job.webhookEvents as WebhookEvent[] } : null,
    createdAt: isoOf(job.createdAt),
    startedAt: job.startedAt ? isoOf(job.startedAt) : null,
    finishedAt: job.finishedAt ? isoOf(job.finishedAt) : null,
    error: job.errorCode
      ? {
          code: job.errorCode,
          message: job.errorMessage ?? '',
          ...(job.errorDetails === null || job.errorDetails === undefined ? {} : { details: job.errorDetails }),
          ...(options.operator && job.errorInternal !== null && job.errorInternal !== undefined ? { internal: job.errorInternal } : {}),
        }
      : null,
    lastError: isTerminal(job.status) ? null : ((job.lastError as AttemptErrorView | null | undefined) ?? null),
    artifacts: artifacts.map((a) => artifactView(job.id, a, options.links?.get(a.id))),
    ...(options.inputs ? { inputs: options.inputs.map(jobInputView) } : {}),
    retryOf: job.retryOf,
    reusedFrom: job.reusedFrom,
    links: { self, cancel: routePath('cancelJob', { id: job.id }), events: routePath('listJobEvents', { id: job.id }) },
  };
}
