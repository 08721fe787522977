import { createPrisma } from '@gantry/db';
import { createLogger, type Logger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { EventPublisher, closeRedis, createRedis, createRenderQueue, createWebhookQueue } from '@gantry/queue';
import { LocalArtifactStore } from '@gantry/storage';
import { WebhookAllowlist, systemResolver } from '@gantry/webhooks';
import type { ApiDeps } from './context.js';
import type { ApiEnv } from './env.js';
import { bootstrapAdminKey } from './auth/bootstrap-admin.js';
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
  const log = logger ?? createLogger({ name: 'api', level: env.LOG_LEVEL });
  const db = createPrisma(env.DATABASE_URL);
  const redis = createRedis(env.REDIS_URL);
  const subscriber = createRedis(env.REDIS_URL);
  const queue = createRenderQueue({ connection: redis, prefix: env.GANTRY_QUEUE_PREFIX });
  const webhookQueue = createWebhookQueue({ connection: redis, prefix: env.GANTRY_QUEUE_PREFIX });
  const deps: ApiDeps = {
    db,
    redis,
    queue,
    publisher: new EventPublisher(redis, env.GANTRY_QUEUE_PREFIX),
    store: new LocalArtifactStore(env.GANTRY_ARTIFACT_DIR),
    logger: log,
    metrics: createMetricsRegistry('api'),
    webhooks: { queue: webhookQueue, policy: { allowlist: WebhookAllowlist.parse(env.GANTRY_WEBHOOK_ALLOWED_HOSTS), resolver: systemResolver } },
    config: { bodyLimit: env.GANTRY_BODY_LIMIT, version, tenantMaxQueued: env.GANTRY_TENANT_MAX_QUEUED },
  };
  const hub = new EventHub(subscriber, env.GANTRY_QUEUE_PREFIX, log);
  await hub.start();
  if (env.GANTRY_ADMIN_KEY) {
    await bootstrapAdminKey(db, env.GANTRY_DEFAULT_TENANT, env.GANTRY_ADMIN_KEY);
    log.info({ tenant: env.GANTRY_DEFAULT_TENANT }, 'admin key installed');
  }
  return {
    deps,
    hub,
    streamOptions: streamOptionsFrom(env),
    dispose: async () => {
      await hub.stop();
      await closeRedis(subscriber);
      await queue.close();
      await webhookQueue.close();
      await closeRedis(redis);
      await db.$disconnect();
    },
  };
}

function streamOptionsFrom(env: ApiEnv): StreamOptions {
  return {
    allowedOrigins: env.GANTRY_WS_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    authTimeoutMs: env.GANTRY_WS_AUTH_TIMEOUT_MS,
    pingIntervalMs: env.GANTRY_WS_PING_MS,
    maxBufferedBytes: env.GANTRY_WS_MAX_BUFFER_BYTES,
    maxMessageBytes: env.GANTRY_WS_MAX_MESSAGE_BYTES,
    maxSubscriptions: 1000,
    messageRate: env.GANTRY_WS_MESSAGE_RATE,
    messageBurst: Math.ceil(env.GANTRY_WS_MESSAGE_RATE * 2.5),
  };
}
