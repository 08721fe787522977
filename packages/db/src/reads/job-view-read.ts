/**
 * `GET /api/v1/jobs/{id}`: one tenant's job as the view shows it, in one statement through the
 * pool under Prisma (raw SQL measured faster than Prisma's client here: bench/README.md, "Reads").
 */
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { jobViewColumns, type JobViewRow } from './job-view-columns.js';

export interface JobViewRead extends JobViewRow {
  /** The job's input, read for a queued job only (its wait estimate judges the backends by it); null otherwise. */
  workflow: unknown;
}

/** A job of one tenant; another tenant's job is indistinguishable from a missing one. */
export async function readTenantJobView(
  db: Db,
  tenantId: string,
  id: string,
  options: { operator?: boolean } = {},
): Promise<JobViewRead | null> {
  const { rows } = await poolOf(db).query<JobViewRead>({
    name: 'gantry-read-job-view',
    text: `SELECT ${jobViewColumns('$3::boolean')}, CASE WHEN j.status = 'queued' THEN j.workflow END AS workflow
           FROM jobs j WHERE j.id = $1::uuid AND j.tenant_id = $2::uuid`,
    values: [id, tenantId, options.operator ?? false],
  });
  return rows[0] ?? null;
}
