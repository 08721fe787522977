/**
 * Whether a job exists and belongs to a tenant, reading no column of it: the guard of the job's
 * sub-resources (`GET /jobs/{id}/events`), which used to read the whole row, workflow included,
 * only to throw it away. One index probe of the primary key.
 */
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';

export async function tenantHasJob(db: Db, tenantId: string, id: string): Promise<boolean> {
  const { rows } = await poolOf(db).query<{ found: boolean }>({
    name: 'gantry-read-tenant-has-job',
    text: 'SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1::uuid AND tenant_id = $2::uuid) AS found',
    values: [id, tenantId],
  });
  return rows[0]?.found ?? false;
}
