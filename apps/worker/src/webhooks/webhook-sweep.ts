import { listDueWebhookDeliveries, type Db } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import { enqueueWebhookDelivery } from '@gantry/queue';
import type { Queue } from 'bullmq';
import type { WebhookDeliveryPayload } from '@gantry/domain';
import { webhookMetrics } from './webhook-metrics.js';

const BATCH = 500;

/**
 * Puts pending deliveries that are due back on the queue. Enqueueing is idempotent (the delivery
 * id is the BullMQ job id), so deliveries already waiting, delayed or running are untouched; only
 * those whose queue job was lost (a crash between commit and enqueue, a flushed Redis) come back.
 * Returns how many it enqueued.
 */
async function sweepWebhookDeliveries(db: Db, queue: Queue<WebhookDeliveryPayload>, metrics: Registry): Promise<number> {
  const due = await listDueWebhookDeliveries(db, new Date(), BATCH);
  for (const d of due) await enqueueWebhookDelivery(queue, d.id);
  if (due.length) webhookMetrics(metrics).sweepEnqueued.inc(due.length);
  return due.length;
}

/** Runs the sweep now and then every `intervalMs` until the returned stop() is called. */
export function startWebhookSweep(
  db: Db,
  queue: Queue<WebhookDeliveryPayload>,
  metrics: Registry,
  intervalMs: number,
  log: Logger,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = sweepWebhookDeliveries(db, queue, metrics)
      .then((n) => {
        if (n > 0) log.debug({ enqueued: n }, 'webhook sweep');
      })
      .catch((err: unknown) => log.warn({ err }, 'webhook sweep failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
