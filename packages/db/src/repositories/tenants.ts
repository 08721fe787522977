import type { Db } from './db-client.js';

/** Finds a tenant by name, creating it when it does not exist (safe under concurrency). */
export async function ensureTenant(db: Db, name: string): Promise<{ id: string; name: string }> {
  return db.tenant.upsert({ where: { name }, update: {}, create: { name }, select: { id: true, name: true } });
}
