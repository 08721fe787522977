import { Worker, type Queue } from 'bullmq';
import type { Db } from '@gantry/db';
import { QUEUE_NAMES, type WebhookDeliveryPayload } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import { closeRedis, createRedis, createWebhookQueue, enqueueWebhookDelivery, logRedisErrors } from '@gantry/queue';
import type { ArtifactStore } from '@gantry/storage';
import { WebhookAllowlist, systemResolver, type TargetPolicy } from '@gantry/webhooks';
import type { WorkerEnv } from '../env.js';
import { deliverWebhook } from './deliver-webhook.js';
import type { WebhookDeliveryDeps } from './webhook-deps.js';
import { startWebhookSweep } from './webhook-sweep.js';

/** The worker's webhook side, as the render processor and tests see it. */
export interface WebhookService {
  /** Puts a delivery recorded with a terminal transition on the queue (errors are logged: the sweep retries). */
  enqueue(deliveryId: string): void;
  /** SSRF rules used at delivery time (tests may swap the resolver). */
  policy: TargetPolicy;
  queue: Queue<WebhookDeliveryPayload>;
  close(): Promise<void>;
}

/**
 * Starts webhook delivery in a worker process: the `webhooks` queue, its own BullMQ Worker (own
 * concurrency, own Redis connection) and the periodic sweep. Without GANTRY_WEBHOOK_SECRET this
 * process consumes no deliveries (they stay pending for a worker that can sign them).
 */
export async function startWebhookService(
  env: WorkerEnv,
  ctx: { db: Db; logger: Logger; metrics: Registry; store: ArtifactStore },
): Promise<WebhookService> {
  const log = ctx.logger.child({ component: 'webhooks' });
  const policy: TargetPolicy = { allowlist: WebhookAllowlist.parse(env.GANTRY_WEBHOOK_ALLOWED_HOSTS), resolver: systemResolver };
  const connection = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'webhooks') });
  const queue = createWebhookQueue({ connection, prefix: env.GANTRY_QUEUE_PREFIX, onError: logRedisErrors(log, 'webhook queue') });
  const secrets = env.GANTRY_WEBHOOK_SECRET;
  let worker: Worker<WebhookDeliveryPayload> | null = null;
  if (secrets.length === 0) {
    log.warn('GANTRY_WEBHOOK_SECRET is not set: this worker delivers no webhooks (they wait for a worker that has it)');
  } else {
    const deps: WebhookDeliveryDeps = {
      db: ctx.db,
      logger: log,
      metrics: ctx.metrics,
      policy,
      secrets,
      retry: { maxAttempts: env.GANTRY_WEBHOOK_MAX_ATTEMPTS, baseDelayMs: env.GANTRY_WEBHOOK_RETRY_BASE_MS, maxDelayMs: env.GANTRY_WEBHOOK_RETRY_MAX_MS },
      timeoutMs: env.GANTRY_WEBHOOK_TIMEOUT_MS,
      store: ctx.store,
      presign: env.GANTRY_STORAGE_PRESIGN === 'urls' ? { ttlSec: env.GANTRY_WEBHOOK_PRESIGN_TTL_SEC } : null,
    };
    worker = new Worker<WebhookDeliveryPayload>(QUEUE_NAMES.webhooks, (job, token) => deliverWebhook(deps, job, token), {
      connection,
      prefix: env.GANTRY_QUEUE_PREFIX,
      concurrency: env.GANTRY_WEBHOOK_CONCURRENCY,
      // An attempt is bounded by the timeout; the lock must outlast it (plus the database writes).
      lockDuration: Math.max(30_000, env.GANTRY_WEBHOOK_TIMEOUT_MS * 2 + 10_000),
    });
    worker.on('error', (err) => log.error({ err }, 'webhook worker connection error'));
    worker.on('failed', (job, err) => log.warn({ err, deliveryId: job?.data.deliveryId }, 'webhook delivery job errored'));
    await worker.waitUntilReady();
  }
  const stopSweep = startWebhookSweep(ctx.db, queue, ctx.metrics, env.GANTRY_WEBHOOK_SWEEP_MS, log);
  const enqueuing = new Set<Promise<void>>();
  return {
    policy,
    queue,
    enqueue: (deliveryId) => {
      const p = enqueueWebhookDelivery(queue, deliveryId)
        .catch((err: unknown) => log.warn({ err, deliveryId }, 'webhook delivery not enqueued; the sweep will pick it up'))
        .finally(() => enqueuing.delete(p));
      enqueuing.add(p);
    },
    close: async () => {
      await Promise.all(enqueuing);
      await stopSweep();
      await worker?.close();
      await queue.close();
      await closeRedis(connection);
    },
  };
}
