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
