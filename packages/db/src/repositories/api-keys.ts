import type { Db } from './db-client.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  tenantName: string;
  hash: string;
  scopes: string[];
  revokedAt: Date | null;
}

export interface NewApiKey {
  tenantId: string;
  prefix: string;
  hash: string;
  scopes: string[];
  name?: string | undefined;
}

export async function insertApiKey(db: Db, key: NewApiKey): Promise<{ id: string; createdAt: Date }> {
  return db.apiKey.create({
    data: { tenantId: key.tenantId, prefix: key.prefix, hash: key.hash, scopes: key.scopes, name: key.name ?? null },
    select: { id: true, createdAt: true },
  });
}

/** Looks a key up by its public prefix; the caller compares the hash in constant time. */
export async function findApiKeyByPrefix(db: Db, prefix: string): Promise<ApiKeyRecord | null> {
  const row = await db.apiKey.findUnique({
    where: { prefix },
    select: { id: true, tenantId: true, hash: true, scopes: true, revokedAt: true, tenant: { select: { name: true } } },
  });
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenantId,
    tenantName: row.tenant.name,
    hash: row.hash,
    scopes: row.scopes,
    revokedAt: row.revokedAt,
  };
}

/** Replaces the hash of a key with a fixed prefix (the bootstrap admin key, rotated by config). */
export async function upsertApiKeyByPrefix(db: Db, key: NewApiKey): Promise<void> {
  await db.apiKey.upsert({
    where: { prefix: key.prefix },
    update: { hash: key.hash, scopes: key.scopes, tenantId: key.tenantId, revokedAt: null },
    create: { tenantId: key.tenantId, prefix: key.prefix, hash: key.hash, scopes: key.scopes, name: key.name ?? null },
  });
}

export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { lastUsedAt: new Date() } });
}
