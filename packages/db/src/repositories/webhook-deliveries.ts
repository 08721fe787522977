import type { WebhookDelivery } from '../generated/client.js';
import type { Db } from './db-client.js';

export type WebhookDeliveryRow = WebhookDelivery;

export async function findWebhookDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | null> {
  return db.webhookDelivery.findUnique({ where: { id } });
}

/** A job's deliveries, oldest first; the caller has checked that the job is the tenant's. */
export async function listJobWebhookDeliveries(db: Db, tenantId: string, jobId: string): Promise<WebhookDeliveryRow[]> {
  return db.webhookDelivery.findMany({ where: { jobId, tenantId }, orderBy: { id: 'asc' }, take: 100 });
}

/** What one delivery attempt came to. */
export type DeliveryAttemptOutcome =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'retry'; statusCode: number | null; error: string; nextAttemptAt: Date }
  | { kind: 'failed'; statusCode: number | null; error: string };

/**
 * Records one attempt of a pending delivery (attempts + 1) and its outcome. Conditional on the
 * delivery still being pending, so a duplicate run can never undo a final state. Returns false
 * when it was not pending any more.
 */
export async function recordWebhookAttempt(db: Db, id: string, outcome: DeliveryAttemptOutcome): Promise<boolean> {
  const now = new Date();
  const data =
    outcome.kind === 'delivered'
      ? { status: 'delivered' as const, lastStatusCode: outcome.statusCode, lastError: null, nextAttemptAt: null, deliveredAt: now }
      : outcome.kind === 'retry'
        ? { lastStatusCode: outcome.statusCode, lastError: outcome.error, nextAttemptAt: outcome.nextAttemptAt }
        : { status: 'failed' as const, lastStatusCode: outcome.statusCode, lastError: outcome.error, nextAttemptAt: null };
  const { count } = await db.webhookDelivery.updateMany({
    where: { id, status: 'pending' },
    data: { ...data, attempts: { increment: 1 } },
  });
  return count === 1;
}

/** Ends a pending delivery without an attempt (its job is gone, or nothing can ever send it). */
export async function abandonWebhookDelivery(db: Db, id: string, error: string): Promise<boolean> {
  const { count } = await db.webhookDelivery.updateMany({
    where: { id, status: 'pending' },
    data: { status: 'failed', lastError: error, nextAttemptAt: null },
  });
  return count === 1;
}

/** Pending deliveries due by `dueBefore`, most overdue first (for the sweep that re-enqueues lost ones). */
export async function listDueWebhookDeliveries(db: Db, dueBefore: Date, limit: number): Promise<{ id: string; nextAttemptAt: Date | null }[]> {
  return db.webhookDelivery.findMany({
    where: { status: 'pending', nextAttemptAt: { lte: dueBefore } },
    orderBy: { nextAttemptAt: 'asc' },
    take: limit,
    select: { id: true, nextAttemptAt: true },
  });
}
