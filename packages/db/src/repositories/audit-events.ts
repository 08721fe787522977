import { uuidv7 } from '@gantry/domain';
import type { Prisma } from '../generated/client.js';
import type { Db } from './db-client.js';

/** A Prisma client or an interactive transaction of one: audit rows go into the change's transaction. */
export type DbOrTx = Db | Prisma.TransactionClient;

export interface NewAuditEvent {
  tenantId: string;
  actorKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown> | undefined;
  requestId?: string | null | undefined;
  ip?: string | null | undefined;
}

export interface AuditEventRow {
  id: string;
  tenantId: string;
  actorKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: unknown;
  requestId: string | null;
  ip: string | null;
  createdAt: Date;
}

/**
 * Writes audit events (usually one; two when an action concerns another tenant too). Ids are
 * UUIDv7 made here, monotonic within the process, so a log lists one instance's actions in order.
 */
export async function recordAuditEvents(db: DbOrTx, events: NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.auditEvent.createMany({
    data: events.map((e) => ({
      id: uuidv7(),
      tenantId: e.tenantId,
      actorKeyId: e.actorKeyId,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      details: (e.details ?? undefined) as Prisma.InputJsonValue | undefined,
      requestId: e.requestId ?? null,
      ip: e.ip ?? null,
    })),
  });
}

export interface ListAuditEventsOptions {
  tenantId: string;
  action?: string | undefined;
  limit: number;
  /** Keyset pagination: events older than this id (ids are time-ordered UUIDv7). */
  afterId?: string | undefined;
}

/** A tenant's audit events, newest first (index `audit_events(tenant_id, [action,] id DESC)`). */
export async function listAuditEvents(db: Db, options: ListAuditEventsOptions): Promise<AuditEventRow[]> {
  return db.auditEvent.findMany({
    where: {
      tenantId: options.tenantId,
      ...(options.action ? { action: options.action } : {}),
      ...(options.afterId ? { id: { lt: options.afterId } } : {}),
    },
    orderBy: { id: 'desc' },
    take: options.limit,
  });
}
