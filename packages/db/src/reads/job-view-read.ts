/**
 * `GET /api/v1/jobs/{id}`: one tenant's job as the view shows it, in one statement through the
 * pool under Prisma (raw SQL measured faster than Prisma's client here: bench/README.md, "Reads").
 */
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { JOB_VIEW_RECORD_EXTRA, jobViewRecord, jobViewRowOf, type JobViewRow } from './job-view-columns.js';

export interface JobViewRead extends JobViewRow {
  /**
   * The job's input, read for a queued job only (its wait estimate judges the backends by it) and
   * only when asked (`workflow`: the caller does not know its need yet); null otherwise.
   */
  workflow: unknown;
}

/** The job's record, and its workflow when it is queued and $5 asks for it. */
export const JOB_VIEW_TEXT = jobViewRecord({ operator: '$3::boolean', storageKeys: '$4::boolean' }, [`CASE WHEN j.status = 'queued' AND $5::boolean THEN j.workflow END`]);

/** The record of a job as a live stream's snapshot shows it: the view, and the sequence number of its last event. */
const JOB_SNAPSHOT_TEXT = jobViewRecord({ operator: 'false', storageKeys: '$3::boolean' }, ['j.last_seq']);

/**
 * A job of one tenant as a stream's `snapshot` shows it, with `lastSeq` read in the same statement
 * (the view and its sequence number agree; no workflow, no operator detail); null when it is not
 * the tenant's.
 */
export async function readTenantJobSnapshot(db: Db, tenantId: string, id: string, options: { storageKeys?: boolean } = {}): Promise<(JobViewRow & { lastSeq: number }) | null> {
  const { rows } = await poolOf(db).query<[unknown[]]>({
    name: 'gantry-read-job-snapshot',
    text: `SELECT ${JOB_SNAPSHOT_TEXT} FROM jobs j WHERE j.id = $1::uuid AND j.tenant_id = $2::uuid`,
    values: [id, tenantId, options.storageKeys ?? false],
    rowMode: 'array',
  });
  const record = rows[0]?.[0];
  if (!record) return null;
  const job = jobViewRowOf(record) as JobViewRow & { lastSeq: number };
  job.lastSeq = record[JOB_VIEW_RECORD_EXTRA] as number;
  return job;
}

/** A job of one tenant; another tenant's job is indistinguishable from a missing one. */
export async function readTenantJobView(
  db: Db,
  tenantId: string,
  id: string,
  /**
   * `operator`: an error's backend detail; `storageKeys`: the artifacts' storage keys (views with
   * presigned URLs), null otherwise; `workflow` (default true): a queued job's workflow.
   */
  options: { operator?: boolean; storageKeys?: boolean; workflow?: boolean } = {},
): Promise<JobViewRead | null> {
  const { rows } = await poolOf(db).query<[unknown[]]>({
    name: 'gantry-read-job-view',
    text: `SELECT ${JOB_VIEW_TEXT} FROM jobs j WHERE j.id = $1::uuid AND j.tenant_id = $2::uuid`,
    values: [id, tenantId, options.operator ?? false, options.storageKeys ?? false, options.workflow ?? true],
    rowMode: 'array',
  });
  const record = rows[0]?.[0];
  if (!record) return null;
  const job = jobViewRowOf(record) as JobViewRead;
  job.workflow = record[JOB_VIEW_RECORD_EXTRA];
  return job;
}
