import type { Db } from './db-client.js';

/** Finds a tenant by name, creating it when it does not exist (safe under concurrency). */
export async function ensureTenant(db: Db, name: string): Promise<{ id: string; name: string }> {
  return db.tenant.upsert({ where: { name }, update: {}, create: { name }, select: { id: true, name: true } });
}

/** A tenant by name, or null. */
export async function findTenantByName(db: Db, name: string): Promise<{ id: string; name: string } | null> {
  return db.tenant.findUnique({ where: { name }, select: { id: true, name: true } });
}
