import { Queue, type JobsOptions } from 'bullmq';
import { QUEUE_NAMES, webhookDeliveryPayloadSchema, type WebhookDeliveryPayload } from '@gantry/domain';
import type { RedisClient } from './connection.js';

/**
 * Webhook delivery jobs carry only the delivery id (the record in PostgreSQL is the truth) and use
 * it as their BullMQ job id, so enqueueing a delivery twice is a no-op. The delivery worker retries
 * by delaying the same job (its own backoff, honouring Retry-After); BullMQ's attempts only cover
 * unexpected errors (database down). Finished jobs are removed at once, so the sweep can enqueue a
 * still-pending delivery again under the same id.
 */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: true,
};

/** `onError`: the queue's connection errors (see RedisConnectionOptions.onError); silent when omitted. */
export function createWebhookQueue(options: { connection: RedisClient; prefix?: string; onError?: (err: Error) => void }): Queue<WebhookDeliveryPayload> {
  const queue = new Queue<WebhookDeliveryPayload>(QUEUE_NAMES.webhooks, {
    connection: options.connection,
    prefix: options.prefix ?? 'gantry',
    defaultJobOptions: WEBHOOK_JOB_OPTIONS,
  });
  queue.on('error', options.onError ?? (() => undefined));
  return queue;
}

/** Enqueues a delivery (idempotent: its id is the job id), optionally not before `delayMs`. */
export async function enqueueWebhookDelivery(queue: Queue<WebhookDeliveryPayload>, deliveryId: string, delayMs = 0): Promise<void> {
  const data = webhookDeliveryPayloadSchema.parse({ deliveryId });
  await queue.add('deliver', data, { jobId: deliveryId, ...(delayMs > 0 ? { delay: Math.round(delayMs) } : {}) });
}
