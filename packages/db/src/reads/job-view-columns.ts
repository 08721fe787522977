/**
 * The columns the public job view shows (`jobView` of @gantry/domain), with its artifacts and
 * inputs aggregated per job, as one JSON array per job (a record) over `jobs j`, and its decoder.
 * The job view and the job list read through it, so both send one statement per request and read
 * no column the response does not show: not the workflow, hashes, prompt or worker ids (the wait
 * estimate's workflow is added by the job view for a queued job only), an artifact's storage key
 * only when the view presigns its URL.
 *
 * One field per job rather than one per column: node-postgres turns every field of every row into
 * a string of its own and then parses it by type, ~500 µs of the API's CPU for a page of 51 jobs
 * in 24 columns; one JSON text per job read with one JSON.parse costs about half
 * (bench/README.md, "Reads"). The values are the ones the columns gave: jsonb is parsed from the
 * same text, numbers and strings are JSON's, and timestamps (JSON's ISO 8601 form of the same
 * instant) come as the view writes them (IsoInstant), without a Date in between.
 */
import type { ArtifactViewSource, IsoInstant, JobInputViewSource, JobViewSource } from '@gantry/domain';
import { isoOfJsonTimestamptz } from '../timestamptz.js';

/**
 * A job as the view shows it, with its artifacts (by id) and inputs (by name). An artifact's
 * storage key is not shown, presigned URLs of it are (GANTRY_STORAGE_PRESIGN=urls): it is read
 * when asked for (`storageKeys`), null otherwise.
 */
export interface JobViewRow extends Omit<JobViewSource, 'createdAt' | 'startedAt' | 'finishedAt'> {
  createdAt: IsoInstant;
  startedAt: IsoInstant | null;
  finishedAt: IsoInstant | null;
  artifacts: Array<ArtifactViewSource & { storageKey: string | null }>;
  inputs: JobInputViewSource[];
}

/** Who reads, as placeholders of boolean parameters of the statement. */
export interface JobViewParams {
  /** Operators see the backend detail of an error (`error_internal`), tenants do not: read only for them. */
  operator: string;
  /** The artifacts' storage keys, for presigned URLs in the view. */
  storageKeys: string;
}

/**
 * The record of one job: `json_build_array(...)` of the shown columns in the order jobViewRowOf
 * reads them, typed `json` (node-postgres parses it), plus `extra` expressions appended at the end.
 */
export function jobViewRecord(params: JobViewParams, extra: readonly string[] = []): string {
  return `json_build_array(j.id, j.kind, j.status, j.priority, j.progress, j.attempts, j.backend_id,
    j.requirements, j.metadata, j.timeout_seconds, j.webhook_url, j.webhook_events,
    j.created_at, j.started_at, j.finished_at, j.error_code, j.error_message, j.error_details,
    CASE WHEN ${params.operator} THEN j.error_internal END, j.retry_of, j.reused_from, j.last_error,
    (SELECT json_agg(json_build_array(a.id, a.filename, a.content_type, a.bytes, a.node_id,
                                      CASE WHEN ${params.storageKeys} THEN a.storage_key END) ORDER BY a.id)
       FROM artifacts a WHERE a.job_id = j.id),
    (SELECT json_agg(json_build_array(i.name, i.source, i.upload_id, i.sha256, i.content_type, i.bytes, i.width,
                                      i.height, i.filename, i.targets) ORDER BY i.name)
       FROM job_inputs i WHERE i.job_id = j.id)${extra.map((e) => `, ${e}`).join('')})`;
}

/** Index of the first `extra` expression of jobViewRecord in a record. */
export const JOB_VIEW_RECORD_EXTRA = 24;

/** A JSON timestamp of the record as the view writes the Date the column gave (null stays null). */
function timestamp(value: unknown): IsoInstant | null {
  return value === null ? null : isoOfJsonTimestamptz(value as string);
}

/**
 * A float8 of the record as the column gave it: JSON has no NaN or infinities, PostgreSQL writes
 * them as the strings node-postgres' parseFloat reads.
 */
function float(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** The job of one record of jobViewRecord. */
export function jobViewRowOf(r: unknown[]): JobViewRow {
  const artifacts = r[22] as unknown[][] | null;
  const inputs = r[23] as unknown[][] | null;
  return {
    id: r[0] as string,
    kind: r[1] as JobViewRow['kind'],
    status: r[2] as JobViewRow['status'],
    priority: r[3] as number,
    progress: float(r[4]),
    attempts: r[5] as number,
    backendId: r[6] as string | null,
    requirements: r[7],
    metadata: r[8],
    timeoutSeconds: r[9] as number | null,
    webhookUrl: r[10] as string | null,
    webhookEvents: r[11] as string[],
    createdAt: timestamp(r[12])!,
    startedAt: timestamp(r[13]),
    finishedAt: timestamp(r[14]),
    errorCode: r[15] as string | null,
    errorMessage: r[16] as string | null,
    errorDetails: r[17],
    errorInternal: r[18],
    retryOf: r[19] as string | null,
    reusedFrom: r[20] as string | null,
    lastError: r[21],
    artifacts: artifacts === null ? [] : artifacts.map(artifactOf),
    inputs: inputs === null ? [] : inputs.map(inputOf),
  };
}

function artifactOf(a: unknown[]): JobViewRow['artifacts'][number] {
  return {
    id: a[0] as string,
    filename: a[1] as string,
    contentType: a[2] as string,
    bytes: a[3] as number,
    nodeId: a[4] as string | null,
    storageKey: a[5] as string | null,
  };
}

function inputOf(i: unknown[]): JobInputViewSource {
  return {
    name: i[0] as string,
    source: i[1] as string,
    uploadId: i[2] as string | null,
    sha256: i[3] as string,
    contentType: i[4] as string,
    bytes: i[5] as number,
    width: i[6] as number,
    height: i[7] as number,
    filename: i[8] as string,
    targets: i[9],
  };
}
