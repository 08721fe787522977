import { type Prisma } from '../generated/client.js';
import type { Backend } from '../generated/client.js';
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
