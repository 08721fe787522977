import type { ArtifactRow, JobRow } from '@gantry/db';
import type { ArtifactView, JobRequirements, JobView } from '@gantry/domain';

const API = '/api/v1';

export function artifactView(jobId: string, a: ArtifactRow): ArtifactView {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    bytes: a.bytes,
    nodeId: a.nodeId,
    url: `${API}/jobs/${jobId}/artifacts/${a.id}`,
  };
}

/** The public shape of a job. Internal columns (workflow, hashes, prompt id) stay inside. */
export function jobView(job: JobRow, artifacts: ArtifactRow[]): JobView {
  const self = `${API}/jobs/${job.id}`;
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
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    error: job.errorCode
      ? {
          code: job.errorCode,
          message: job.errorMessage ?? '',
          ...(job.errorDetails === null ? {} : { details: job.errorDetails }),
        }
      : null,
    artifacts: artifacts.map((a) => artifactView(job.id, a)),
    links: { self, cancel: `${self}/cancel`, events: `${self}/events` },
  };
}
