import { uuidv7 } from '@gantry/domain';
import type { DbOrTx } from './audit-events.js';
import type { Db } from './db-client.js';

/**
 * Finds a tenant by name, creating it when it does not exist. One `INSERT ... ON CONFLICT`
 * statement, so concurrent calls for a new name all get the one row (Prisma's `upsert` reads then
 * inserts here, and the losers of that race failed on the unique name). Takes a transaction, so the
 * tenant is only created if what needs it is created too; a concurrent caller waits for that
 * transaction to end.
 */
export async function ensureTenant(db: DbOrTx, name: string): Promise<{ id: string; name: string }> {
  // `do update` (a no-op change) rather than `do nothing`, so the existing row is returned as well.
  const rows = await db.$queryRaw<Array<{ id: string; name: string }>>`
    insert into tenants (id, name) values (${uuidv7()}::uuid, ${name})
    on conflict (name) do update set name = excluded.name
    returning id::text as id, name`;
  return rows[0]!;
}

/** A tenant by name, or null. */
export async function findTenantByName(db: Db, name: string): Promise<{ id: string; name: string } | null> {
  return db.tenant.findUnique({ where: { name }, select: { id: true, name: true } });
}
