import type { Queue } from 'bullmq';
import type { Db } from '@gantry/db';
import type { PresignMode, RenderJobPayload, WebhookDeliveryPayload, WorkflowLimits } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { FleetIndex } from '@gantry/fleet';
import type { Registry } from '@gantry/metrics';
import type { JobDoor } from '@gantry/jobs';
import type { EventPublisher, RedisClient, TenantJobCounts } from '@gantry/queue';
import type { ArtifactStore } from '@gantry/storage';
import type { TargetPolicy } from '@gantry/webhooks';
import type { KeyDirectory } from './auth/key-directory.js';
import type { SecurityConfig } from './security-config.js';

export interface UploadConfig {
  maxBytes: number;
  maxPixels: number;
  fetchTimeoutMs: number;
  fetchCa?: string | Buffer;
}

/** Everything the API's handlers need, built once in main.ts (or by a test). */
export interface ApiDeps {
  db: Db;
  redis: RedisClient;
  queue: Queue<RenderJobPayload>;
  publisher: EventPublisher;
  /** The one door for job state changes (submit, cancel): persist, outbox, publish, count. */
  jobs: JobDoor;
  /** The tenants' queued/held counts in Redis (the door keeps them; a submit reads them). */
  counts: TenantJobCounts;
  /** The registered backends in memory, for submit's eligibility check (read again on an announced change). */
  fleet: FleetIndex;
  store: ArtifactStore;
  logger: Logger;
  /** This instance's Prometheus registry (see @gantry/metrics). */
  metrics: Registry;
  /** Webhooks: the delivery queue (the cancel of a queued job enqueues) and the SSRF rules for submits. */
  webhooks: { queue: Queue<WebhookDeliveryPayload>; policy: TargetPolicy };
  /** API key lookups (cached) and cross-instance revocation (auth/key-directory.ts). */
  keys: KeyDirectory;
  config: {
    bodyLimit: string;
    version: string;
    tenantMaxQueued: number;
    /** GANTRY_WORKFLOW_MAX_NODES / _BYTES / _STRING_BYTES. */
    workflowLimits: WorkflowLimits;
    /** The commit this build runs (GANTRY_COMMIT, else git at start), or null. */
    commit: string | null;
    /** GANTRY_ARTIFACT_DIR of the local store (health and disk metrics measure it); null with S3. */
    artifactDir: string | null;
    /**
     * Presigned URLs (S3 only, GANTRY_STORAGE_PRESIGN): `redirect` makes the download routes answer
     * 302; `urls` also puts them in job views (services/presign.ts); ttl in seconds.
     */
    presign: { mode: PresignMode; ttlSec: number };
    /** Bearer token guarding /metrics (GANTRY_METRICS_TOKEN); null: open. */
    metricsToken: string | null;
    /** How long scrape-time readings (queue, fleet) are reused (GANTRY_METRICS_CACHE_MS). */
    metricsCacheMs: number;
    security: SecurityConfig;
    /** Input images: byte and pixel ceilings, URL fetch bound (and extra trusted CAs, tests only). */
    uploads: UploadConfig;
  };
}
