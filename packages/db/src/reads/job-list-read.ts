/**
 * `GET /api/v1/jobs`: a page of one tenant's jobs, newest first, as the view shows them, in one
 * statement through the pool under Prisma. Keyset pagination on the id (UUIDv7: time order): the
 * `(tenant_id, id desc)` index serves the plain list, `(tenant_id, status, id desc)` the status
 * filter, so a deep cursor costs what the first page does.
 */
import type { JobStatus } from '@gantry/domain';
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { jobViewRecord, jobViewRowOf, type JobViewRow } from './job-view-columns.js';

export interface JobListRead {
  tenantId: string;
  status?: JobStatus | undefined;
  limit: number;
  /** Id of the last job of the previous page. */
  afterId?: string | undefined;
  /** Operators see an error's backend detail. */
  operator?: boolean | undefined;
  /** Read the artifacts' storage keys (views with presigned URLs); null otherwise. */
  storageKeys?: boolean | undefined;
}

export async function readTenantJobList(db: Db, options: JobListRead): Promise<JobViewRow[]> {
  // Four fixed statements (with or without status, with or without cursor), each prepared once
  // per connection, rather than one with `$n IS NULL OR ...` that the planner cannot index well.
  const values: unknown[] = [options.tenantId, options.limit, options.operator ?? false, options.storageKeys ?? false];
  let where = 'tenant_id = $1::uuid';
  if (options.status) {
    values.push(options.status);
    where += ` AND status = $${values.length}::"JobStatus"`;
  }
  if (options.afterId) {
    values.push(options.afterId);
    where += ` AND id < $${values.length}::uuid`;
  }
  // The page's ids first, from the index alone, then its rows by primary key. Asked for the wide
  // rows directly, the planner walked the primary key backwards filtering on tenant and status,
  // betting that matching rows are spread evenly; the newest jobs are rarely succeeded yet, so the
  // first page of `status=succeeded` at 1M jobs skipped thousands of rows (9 ms instead of 2;
  // bench/README.md, "Reads"). The narrow subquery is an index-only scan of the right index.
  const { rows } = await poolOf(db).query<[unknown[]]>({
    name: `gantry-read-job-list${options.status ? '-status' : ''}${options.afterId ? '-after' : ''}`,
    text: `SELECT ${jobViewRecord({ operator: '$3::boolean', storageKeys: '$4::boolean' })}
           FROM (SELECT id FROM jobs WHERE ${where} ORDER BY id DESC LIMIT $2) page JOIN jobs j ON j.id = page.id
           ORDER BY j.id DESC`,
    values,
    rowMode: 'array',
  });
  return rows.map((r) => jobViewRowOf(r[0]));
}
