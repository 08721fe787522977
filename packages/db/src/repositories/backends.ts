import { type Prisma } from '../generated/client.js';
import type { Backend } from '../generated/client.js';
import type { DbOrTx } from './audit-events.js';
import type { Db } from './db-client.js';

export type BackendRow = Backend;

export interface BackendRecord {
  id: string;
  kind: 'comfyui' | 'a1111';
  url: string;
  capacity: number;
  tags: string[];
}

/** Registers (or updates) a backend declared in configuration. */
export async function upsertBackend(db: Db, backend: BackendRecord): Promise<void> {
  const data = { kind: backend.kind, url: backend.url, capacity: backend.capacity, tags: backend.tags };
  await db.backend.upsert({ where: { id: backend.id }, update: data, create: { id: backend.id, ...data } });
}

export async function recordBackendInfo(db: Db, id: string, info: Record<string, unknown>): Promise<void> {
  await db.backend.update({ where: { id }, data: { info: info as Prisma.InputJsonValue } });
}

/** Registers a backend through the API; a taken id throws Prisma's unique violation (isUniqueViolation). */
export async function createBackendRow(db: DbOrTx, backend: BackendRecord): Promise<BackendRow> {
  return db.backend.create({ data: { id: backend.id, kind: backend.kind, url: backend.url, capacity: backend.capacity, tags: backend.tags } });
}

/** One backend's row, or null. */
export async function findBackend(db: DbOrTx, id: string): Promise<BackendRow | null> {
  return db.backend.findUnique({ where: { id } });
}

/** Sets a backend's draining flag: the row after, and the flag before; null when there is no such backend. */
export async function setBackendDraining(db: DbOrTx, id: string, draining: boolean): Promise<{ row: BackendRow; wasDraining: boolean } | null> {
  const before = await db.backend.findUnique({ where: { id }, select: { draining: true } });
  if (!before) return null;
  const row = await db.backend.update({ where: { id }, data: { draining } });
  return { row, wasDraining: before.draining };
}

/** Unregisters a backend; a missing one throws Prisma's not-found error (isNotFound). */
export async function deleteBackendRow(db: DbOrTx, id: string): Promise<void> {
  await db.backend.delete({ where: { id } });
}

