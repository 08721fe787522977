import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '@gantry/db';
import type { RenderJobPayload, WebhookDeliveryPayload } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import type { EventPublisher } from '@gantry/queue';
import type { ArtifactStore } from '@gantry/storage';
import type { TargetPolicy } from '@gantry/webhooks';

/** Everything the API's handlers need, built once in main.ts (or by a test). */
export interface ApiDeps {
  db: Db;
  redis: Redis;
  queue: Queue<RenderJobPayload>;
  publisher: EventPublisher;
  store: ArtifactStore;
  logger: Logger;
  /** This instance's Prometheus registry (see @gantry/metrics). */
  metrics: Registry;
  /** Webhooks: the delivery queue (the cancel of a queued job enqueues) and the SSRF rules for submits. */
  webhooks: { queue: Queue<WebhookDeliveryPayload>; policy: TargetPolicy };
  config: { bodyLimit: string; version: string; tenantMaxQueued: number };
}
