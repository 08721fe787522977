import type { DbOrTx } from './audit-events.js';
import type { Db } from './db-client.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  tenantName: string;
  hash: string;
  scopes: string[];
  /** When the key stopped working; a future time for a rotated key in its grace period. */
  revokedAt: Date | null;
}

export interface NewApiKey {
  tenantId: string;
  prefix: string;
  hash: string;
  scopes: string[];
  name?: string | null | undefined;
}

/** A key as listed to admins: never the hash. */
export interface ApiKeySummary {
  id: string;
  tenantId: string;
  tenantName: string;
  name: string | null;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const SUMMARY = {
  id: true,
  tenantId: true,
  name: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  tenant: { select: { name: true } },
} as const;

type SummaryRow = Omit<ApiKeySummary, 'tenantName'> & { tenant: { name: string } };

function toSummary({ tenant, ...row }: SummaryRow): ApiKeySummary {
  return { ...row, tenantName: tenant.name };
}

export async function insertApiKey(db: DbOrTx, key: NewApiKey): Promise<{ id: string; createdAt: Date }> {
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

/**
 * Installs the key with a fixed prefix (the bootstrap admin key). A key revoked through the API
 * stays revoked: the operator sets a new GANTRY_ADMIN_KEY. Returns the row's id and revocation.
 */
export async function upsertApiKeyByPrefix(db: DbOrTx, key: NewApiKey): Promise<{ id: string; revokedAt: Date | null }> {
  return db.apiKey.upsert({
    where: { prefix: key.prefix },
    update: { hash: key.hash, scopes: key.scopes, tenantId: key.tenantId },
    create: { tenantId: key.tenantId, prefix: key.prefix, hash: key.hash, scopes: key.scopes, name: key.name ?? null },
    select: { id: true, revokedAt: true },
  });
}

/**
 * Revokes the live keys of a tenant with this name except `keepId` (a previous GANTRY_ADMIN_KEY
 * when the variable changed). Returns the ids revoked.
 */
export async function revokeOtherNamedKeys(db: DbOrTx, tenantId: string, name: string, keepId: string, at: Date): Promise<string[]> {
  const rows = await db.apiKey.findMany({
    where: { tenantId, name, id: { not: keepId }, OR: [{ revokedAt: null }, { revokedAt: { gt: at } }] },
    select: { id: true },
  });
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  await db.apiKey.updateMany({ where: { id: { in: ids } }, data: { revokedAt: at } });
  return ids;
}

export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { lastUsedAt: new Date() } });
}

/** A tenant's keys, newest first, keyset-paginated by id. */
export async function listTenantApiKeys(db: Db, tenantId: string, limit: number, afterId?: string): Promise<ApiKeySummary[]> {
  const rows = await db.apiKey.findMany({
    where: { tenantId, ...(afterId ? { id: { lt: afterId } } : {}) },
    orderBy: { id: 'desc' },
    take: limit,
    select: SUMMARY,
  });
  return rows.map(toSummary);
}

/** One key of a tenant (another tenant's key is not found). */
export async function findTenantApiKey(db: DbOrTx, tenantId: string, id: string): Promise<ApiKeySummary | null> {
  const row = await db.apiKey.findFirst({ where: { id, tenantId }, select: SUMMARY });
  return row ? toSummary(row) : null;
}

/** One key of any tenant (for operator keys, which manage every tenant's keys). */
export async function findApiKey(db: DbOrTx, id: string): Promise<ApiKeySummary | null> {
  const row = await db.apiKey.findUnique({ where: { id }, select: SUMMARY });
  return row ? toSummary(row) : null;
}

/**
 * Sets a key's revocation time unless it is already revoked by then (an earlier revocation is
 * kept). Returns whether the row changed.
 */
export async function setApiKeyRevokedAt(db: DbOrTx, tenantId: string, id: string, at: Date): Promise<boolean> {
  const { count } = await db.apiKey.updateMany({
    where: { id, tenantId, OR: [{ revokedAt: null }, { revokedAt: { gt: at } }] },
    data: { revokedAt: at },
  });
  return count === 1;
}
