/**
 * The columns the public job view shows (`jobView` of @gantry/domain), with its artifacts and
 * inputs aggregated per job, as one SELECT list over `jobs j`. The job view and the job list read
 * through it, so both send one statement per request and read no column the response does not
 * show: not the workflow, hashes, prompt or worker ids (the wait estimate's workflow is added by
 * the job view for a queued job only).
 */
import type { ArtifactViewSource, JobInputViewSource, JobViewSource } from '@gantry/domain';

/**
 * A job as the view shows it, with its artifacts (by id) and inputs (by name). An artifact's
 * storage key is not shown; presigned URLs of it are (GANTRY_STORAGE_PRESIGN=urls).
 */
export interface JobViewRow extends JobViewSource {
  artifacts: Array<ArtifactViewSource & { storageKey: string }>;
  inputs: JobInputViewSource[];
}

/**
 * The SELECT list; `operatorParam` is the placeholder of a boolean parameter: operators see the
 * backend detail of an error (`error_internal`), tenants do not, so it is read only for them.
 */
export function jobViewColumns(operatorParam: string): string {
  return `j.id, j.kind, j.status, j.priority, j.progress, j.attempts, j.backend_id AS "backendId",
    j.requirements, j.metadata, j.timeout_seconds AS "timeoutSeconds",
    j.webhook_url AS "webhookUrl", j.webhook_events AS "webhookEvents",
    j.created_at AS "createdAt", j.started_at AS "startedAt", j.finished_at AS "finishedAt",
    j.error_code AS "errorCode", j.error_message AS "errorMessage", j.error_details AS "errorDetails",
    CASE WHEN ${operatorParam} THEN j.error_internal END AS "errorInternal",
    j.retry_of AS "retryOf", j.reused_from AS "reusedFrom", j.last_error AS "lastError",
    coalesce((SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'contentType', a.content_type,
                                                'bytes', a.bytes, 'nodeId', a.node_id, 'storageKey', a.storage_key) ORDER BY a.id)
              FROM artifacts a WHERE a.job_id = j.id), '[]') AS artifacts,
    coalesce((SELECT json_agg(json_build_object('name', i.name, 'source', i.source, 'uploadId', i.upload_id, 'sha256', i.sha256,
                                                'contentType', i.content_type, 'bytes', i.bytes, 'width', i.width,
                                                'height', i.height, 'filename', i.filename, 'targets', i.targets) ORDER BY i.name)
              FROM job_inputs i WHERE i.job_id = j.id), '[]') AS inputs`;
}
