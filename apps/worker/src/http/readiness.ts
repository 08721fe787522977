import { dbErrorReason, pingDatabase, type Db } from '@gantry/db';
import { timedCheck, withTimeout } from '@gantry/domain';
import { checkStore } from '@gantry/storage';
import type { BackendHealth } from '@gantry/fleet';
import { pingRedis, type RedisClient } from '@gantry/queue';
import type { ArtifactStore } from '@gantry/storage';
import type { ReadinessResult } from './ops-server.js';

const CHECK_TIMEOUT_MS = 2000;

export interface WorkerReadinessInput {
  db: Db;
  redis: RedisClient;
  /** Checked when it can be (S3: HeadBucket); outputs go there. */
  store?: ArtifactStore;
  health: BackendHealth;
  /** The backends this worker serves now (ids; the drain flag comes from the registry). */
  backends: () => { id: string; draining: boolean }[];
  /** False until the job loop runs, and again once the worker stops. */
  accepting: () => boolean;
}

/**
 * The worker is ready when its job loop runs, PostgreSQL and Redis answer, and at least one of
 * its backends is healthy (last probe succeeded, breaker closed, not drained): a worker whose
 * GPUs are all down would only take jobs to hand them back. An S3 store must answer too (the
 * outputs of every job go there).
 */
export function workerReadiness(input: WorkerReadinessInput): () => Promise<ReadinessResult> {
  return async () => {
    const backends = input.backends();
    const [postgres, redis, views, storage] = await Promise.all([
      timedCheck(() => pingDatabase(input.db), CHECK_TIMEOUT_MS, dbErrorReason),
      timedCheck(() => pingRedis(input.redis, CHECK_TIMEOUT_MS), CHECK_TIMEOUT_MS),
      withTimeout(input.health.views(backends), CHECK_TIMEOUT_MS).catch(() => null),
      checkStore(input.store, CHECK_TIMEOUT_MS),
    ]);
    const healthy = views ? [...views.values()].filter((v) => v.state === 'healthy').length : 0;
    const accepting = input.accepting();
    const ready = accepting && postgres.status === 'up' && redis.status === 'up' && healthy > 0 && storage?.status !== 'down';
    return {
      ready,
      body: {
        status: ready ? 'ready' : 'not_ready',
        checks: {
          worker: { status: accepting ? 'up' : 'down' },
          postgres,
          redis,
          backends: { status: healthy > 0 ? 'up' : 'down', total: backends.length, healthy },
          ...(storage ? { storage } : {}),
        },
      },
    };
  };
}
