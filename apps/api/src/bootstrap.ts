import { createPrisma, poolOptionsFromEnv } from '@gantry/db';
import { createLogger, type Logger } from '@gantry/logger';
import { createMetricsRegistry, resolveCommit } from '@gantry/metrics';
import { JobDoor } from '@gantry/jobs';
import { EventPublisher, closeRedis, createRedis, createRenderQueue, createWebhookQueue, enqueueWebhookDelivery, logRedisErrors, TenantJobCounts } from '@gantry/queue';
import { createArtifactStore } from '@gantry/storage';
import { WebhookAllowlist, systemResolver } from '@gantry/webhooks';
import type { ApiDeps } from './context.js';
import type { ApiEnv } from './env.js';
import { bootstrapAdminKey } from './auth/bootstrap-admin.js';
import { KeyDirectory } from './auth/key-directory.js';
import { submitFleet } from './services/check-runnable.js';
import { securityConfigFrom } from './security-config.js';
import { clientIpResolver } from './stream/client-ip.js';
import { EventHub } from './stream/event-hub.js';
import type { StreamOptions } from './stream/stream-options.js';

export interface ApiResources {
  deps: ApiDeps;
  /** Fan-out of job events to this instance's WebSocket clients. */
  hub: EventHub;
  streamOptions: StreamOptions;
  /** Closes every connection the resources hold. */
  dispose(): Promise<void>;
}

/** Opens the API's connections from validated configuration. */
export async function buildApiDeps(env: ApiEnv, version: string, logger?: Logger): Promise<ApiResources> {
  const log = logger ?? createLogger({ name: 'api', level: env.LOG_LEVEL, logPrompts: env.GANTRY_LOG_PROMPTS });
  const db = createPrisma(env.DATABASE_URL, { ...poolOptionsFromEnv(env), applicationName: 'gantry-api' });
  // Request-path commands fail after a bound instead of waiting for a Redis that is gone (the subscribers wait).
  const redis = createRedis(env.REDIS_URL, { commandTimeout: env.GANTRY_REDIS_COMMAND_TIMEOUT_MS, onError: logRedisErrors(log, 'commands') });
  const subscriber = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'event subscriber') });
  const keySubscriber = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'key subscriber') });
  const metrics = createMetricsRegistry('api');
  const keys = new KeyDirectory({
    db, redis, subscriber: keySubscriber, prefix: env.GANTRY_QUEUE_PREFIX, ttlMs: env.GANTRY_AUTH_CACHE_TTL_MS,
    negativeTtlMs: env.GANTRY_AUTH_NEGATIVE_CACHE_TTL_MS, logger: log, metrics,
  });
  const queue = createRenderQueue({ connection: redis, prefix: env.GANTRY_QUEUE_PREFIX, onError: logRedisErrors(log, 'render queue') });
  const webhookQueue = createWebhookQueue({ connection: redis, prefix: env.GANTRY_QUEUE_PREFIX, onError: logRedisErrors(log, 'webhook queue') });
  const publisher = new EventPublisher(redis, env.GANTRY_QUEUE_PREFIX);
  // Without a listener BullMQ prints every reconnect failure to the console (with Redis' address): log it, at most every 10 s.
  let lastQueueWarning = 0;
  const onQueueError = (err: Error): void => {
    if (Date.now() - lastQueueWarning < 10_000) return;
    lastQueueWarning = Date.now();
    log.warn({ err: { message: err.message } }, 'job queue connection error (Redis); requests that need it answer 503 QUEUE_UNAVAILABLE');
  };
  queue.on('error', onQueueError);
  webhookQueue.on('error', onQueueError);
  const counts = new TenantJobCounts(redis, env.GANTRY_QUEUE_PREFIX);
  const jobs = new JobDoor({
    db, publisher, metrics, logger: log, queue, counts,
    // Best effort: a delivery not enqueued here stays pending and the workers' sweep enqueues it.
    onWebhookDelivery: (deliveryId) => enqueueWebhookDelivery(webhookQueue, deliveryId),
  });
  const store = createArtifactStore(env);
  const deps: ApiDeps = {
    db,
    redis,
    queue,
    publisher,
    jobs,
    counts,
    fleet: submitFleet(db),
    store,
    logger: log,
    metrics,
    keys,
    webhooks: { queue: webhookQueue, policy: { allowlist: WebhookAllowlist.parse(env.GANTRY_WEBHOOK_ALLOWED_HOSTS), resolver: systemResolver } },
    config: {
      bodyLimit: env.GANTRY_BODY_LIMIT,
      version,
      tenantMaxQueued: env.GANTRY_TENANT_MAX_QUEUED,
      workflowLimits: { maxNodes: env.GANTRY_WORKFLOW_MAX_NODES, maxBytes: env.GANTRY_WORKFLOW_MAX_BYTES, maxStringBytes: env.GANTRY_WORKFLOW_MAX_STRING_BYTES },
      commit: resolveCommit(env.GANTRY_COMMIT),
      artifactDir: env.GANTRY_STORAGE === 'local' ? env.GANTRY_ARTIFACT_DIR : null,
      presign: { mode: env.GANTRY_STORAGE_PRESIGN, ttlSec: env.GANTRY_STORAGE_PRESIGN_TTL_SEC },
      metricsToken: env.GANTRY_METRICS_TOKEN ?? null,
      metricsCacheMs: env.GANTRY_METRICS_CACHE_MS,
      security: securityConfigFrom(env),
      uploads: { maxBytes: env.GANTRY_UPLOAD_MAX_BYTES, maxPixels: env.GANTRY_UPLOAD_MAX_PIXELS, fetchTimeoutMs: env.GANTRY_INPUT_FETCH_TIMEOUT_MS },
    },
  };
  const hub = new EventHub(subscriber, env.GANTRY_QUEUE_PREFIX, log, {
    metrics: deps.metrics,
    // A socket gets a round's messages in one corked write, counted against its buffer limit
    // until written: a round stays well under it, so a client that reads is never taken for slow.
    maxBatchBytes: Math.min(128 * 1024, Math.floor(env.GANTRY_WS_MAX_BUFFER_BYTES / 4)),
  });
  await hub.start();
  await keys.start();
  if (env.GANTRY_ADMIN_KEY) {
    await bootstrapAdminKey(deps, env.GANTRY_DEFAULT_TENANT, env.GANTRY_ADMIN_KEY);
  }
  return {
    deps,
    hub,
    streamOptions: streamOptionsFrom(env),
    dispose: async () => {
      await hub.stop();
      await keys.stop();
      await closeRedis(subscriber);
      await closeRedis(keySubscriber);
      await queue.close();
      await webhookQueue.close();
      await closeRedis(redis);
      await db.$disconnect();
      await store.close?.();
    },
  };
}

function streamOptionsFrom(env: ApiEnv): StreamOptions {
  return {
    // Origins allowed by CORS may open the stream too.
    allowedOrigins: [...env.GANTRY_WS_ALLOWED_ORIGINS, ...env.GANTRY_CORS_ORIGINS],
    authTimeoutMs: env.GANTRY_WS_AUTH_TIMEOUT_MS,
    pingIntervalMs: env.GANTRY_WS_PING_MS,
    maxBufferedBytes: env.GANTRY_WS_MAX_BUFFER_BYTES,
    maxMessageBytes: env.GANTRY_WS_MAX_MESSAGE_BYTES,
    maxSubscriptions: 1000,
    messageRate: env.GANTRY_WS_MESSAGE_RATE,
    messageBurst: Math.ceil(env.GANTRY_WS_MESSAGE_RATE * 2.5),
    maxSocketsPerKey: env.GANTRY_WS_MAX_SOCKETS_PER_KEY,
    maxSocketsPerIp: env.GANTRY_WS_MAX_SOCKETS_PER_IP,
    upgradesPerMinute: env.GANTRY_WS_UPGRADES_PER_MINUTE,
    clientIp: clientIpResolver(env.GANTRY_TRUST_PROXY),
  };
}
