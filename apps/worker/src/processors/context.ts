import type { Clock } from '@gantry/domain';
import type { Db } from '@gantry/db';
import type { BackendHealth } from '@gantry/fleet';
import type { JobDoor } from '@gantry/jobs';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import type { EventPublisher } from '@gantry/queue';
import type { ArtifactStore } from '@gantry/storage';
import type { CancelRegistry } from '../cancel/cancel-registry.js';
import type { WorkerFleet } from '../fleet/worker-fleet.js';
import type { WebhookService } from '../webhooks/webhook-service.js';

/** What the render processor needs; built once per worker process. */
export interface WorkerDeps {
  db: Db;
  publisher: EventPublisher;
  /** The one door for job state changes: persist (retrying transient database errors), outbox, publish, count. */
  jobs: JobDoor;
  /** Runs a database step, retrying transient errors (connection lost, failover) up to a deadline. */
  persist: <T>(step: () => Promise<T>) => Promise<T>;
  store: ArtifactStore;
  fleet: WorkerFleet;
  /** Shared backend health: strikes from failed jobs count toward a backend's circuit breaker. */
  health: BackendHealth;
  cancels: CancelRegistry;
  logger: Logger;
  /** This worker's Prometheus registry (see @gantry/metrics). */
  metrics: Registry;
  workerId: string;
  /** Where time comes from for waits, deadlines and timers (the system clock; tests may pass a ManualClock). */
  clock: Clock;
  /** Webhook deliveries: terminal transitions enqueue the delivery they recorded. */
  webhooks: WebhookService;
  config: {
    maxAttempts: number;
    progressIntervalMs: number;
    previewIntervalMs: number;
    stallTimeoutMs: number;
    slotWaitMs: number;
    tenantMaxRunning: number;
    /** A held job whose heartbeat is older than this has lost its worker (GANTRY_JOB_STALE_MS). */
    staleMs: number;
    /** A job that made this many backends answer 5xx, time out or stall fails as POISON_JOB (GANTRY_POISON_BACKENDS). */
    poisonBackends: number;
    /**
     * How long a backend may stay unreachable (GANTRY_BACKEND_LOST_MS): during a run, and again while
     * a worker asks it what became of a prompt it holds before running that prompt elsewhere.
     */
    backendLostMs: number;
    /** Largest output file stored (GANTRY_OUTPUT_MAX_BYTES), enforced while it streams in. */
    outputMaxBytes: number;
    /** GANTRY_QUEUE_AHEAD: a running prompt's slot goes to the next job within the lead of its expected end (see queue-ahead.ts). */
    queueAhead: boolean;
  };
}
