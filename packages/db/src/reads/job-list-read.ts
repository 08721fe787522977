/**
 * `GET /api/v1/jobs`: a page of one tenant's jobs, newest first, as the view shows them, in one
 * statement through the pool under Prisma. Keyset pagination on the id (UUIDv7: time order): the
 * `(tenant_id, id desc)` index serves the plain list, `(tenant_id, status, id desc)` the status
 * filter, so a deep cursor costs what the first page does.
 */
import type { JobStatus } from '@gantry/domain';
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { jobViewColumns, type JobViewRow } from './job-view-columns.js';

export interface JobListRead {
  tenantId: string;
  status?: JobStatus | undefined;
  limit: number;
  /** Id of the last job of the previous page. */
  afterId?: string | undefined;
  /** Operators see an error's backend detail. */
  operator?: boolean | undefined;
}

export async function readTenantJobList(db: Db, options: JobListRead): Promise<JobViewRow[]> {
  // Four fixed statements (with or without status, with or without cursor), each prepared once
  // per connection, rather than one with `$n IS NULL OR ...` that the planner cannot index well.
  const values: unknown[] = [options.tenantId, options.limit, options.operator ?? false];
  let where = 'j.tenant_id = $1::uuid';
  if (options.status) {
    values.push(options.status);
    where += ` AND j.status = $${values.length}::"JobStatus"`;
  }
  if (options.afterId) {
    values.push(options.afterId);
    where += ` AND j.id < $${values.length}::uuid`;
  }
  const { rows } = await poolOf(db).query<JobViewRow>({
    name: `gantry-read-job-list${options.status ? '-status' : ''}${options.afterId ? '-after' : ''}`,
    text: `SELECT ${jobViewColumns('$3::boolean')} FROM jobs j WHERE ${where} ORDER BY j.id DESC LIMIT $2`,
    values,
  });
  return rows;
}
