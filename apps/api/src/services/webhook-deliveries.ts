import { AppError, type WebhookDeliveryView, type WebhookEvent } from '@gantry/domain';
import { findTenantJob, listJobWebhookDeliveries, type WebhookDeliveryRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';

function webhookDeliveryView(d: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    id: d.id,
    event: d.event as WebhookEvent,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** A tenant's job's webhook deliveries, oldest first; another tenant's job is not found. */
export async function listWebhookDeliveries(deps: ApiDeps, tenantId: string, jobId: string): Promise<WebhookDeliveryView[]> {
  if (!(await findTenantJob(deps.db, tenantId, jobId))) throw new AppError('NOT_FOUND', 'No such job');
  return (await listJobWebhookDeliveries(deps.db, tenantId, jobId)).map(webhookDeliveryView);
}
