import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApiDeps, listenApi, loadApiEnv, type ApiResources, type RunningApi } from '@gantry/api';
import { startGpuSim } from '@gantry/gpu-sim';
import { parseRedisTarget, redisKeyPrefix } from '@gantry/domain';
import { silentLogger, type Logger } from '@gantry/logger';
import { closeRedis, createRedis } from '@gantry/queue';
import { loadWorkerEnv, startWorker, type RunningWorker } from '@gantry/worker';
import { NO_RATE_LIMITS } from './rate-limits.js';
import { deleteKeys } from './redis-keys.js';
import { createTestDatabase } from './test-database.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type GpuSim = Awaited<ReturnType<typeof startGpuSim>>;

export interface StackOptions {
  /** Simulated GPUs to start (each its own server). Default 1. */
  gpus?: number;
  /** Milliseconds per sampler step in the simulators. Default 5. */
  stepMs?: number;
  /** Start a worker in this process. Default true. */
  worker?: boolean;
  /** Extra worker environment (GANTRY_* variables). */
  workerEnv?: Record<string, string>;
  /** Extra API environment (GANTRY_* variables). */
  apiEnv?: Record<string, string>;
  /** Simulator options for every gpu-sim (e.g. previews). */
  simOptions?: Record<string, unknown>;
  /** The Redis to use, in REDIS_URL syntax (Sentinel, Cluster...). Default TEST_REDIS_URL. */
  redisUrl?: string;
  logger?: Logger;
}

/** A whole Gantry stack in one test process: fresh database, own Redis prefix, API, worker, gpu-sims. */
export interface TestStack {
  url: string;
  adminKey: string;
  databaseUrl: string;
  redisUrl: string;
  /** GANTRY_QUEUE_PREFIX as configured. */
  prefix: string;
  /** The prefix keys really carry: `{prefix}` on a cluster, `prefix` otherwise. */
  keyPrefix: string;
  artifactDir: string;
  api: RunningApi;
  apiResources: ApiResources;
  worker: RunningWorker | null;
  sims: GpuSim[];
  /** Starts another API instance on the same database and Redis (for multi-instance tests). */
  startApi(extraEnv?: Record<string, string>): Promise<{ api: RunningApi; resources: ApiResources }>;
  /** Starts (another) worker against this stack. */
  startWorker(extraEnv?: Record<string, string>): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const logger = options.logger ?? silentLogger();
  const db = await createTestDatabase();
  const prefix = `gantry-test-${randomUUID().slice(0, 8)}`;
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const keyPrefix = redisKeyPrefix(prefix, parseRedisTarget(redisUrl).mode);
  const artifactDir = await mkdtemp(path.join(tmpdir(), 'gantry-artifacts-'));
  const adminKey = `test-admin-${randomBytes(16).toString('hex')}`;
  const sims: GpuSim[] = [];
  for (let i = 0; i < (options.gpus ?? 1); i++) {
    sims.push(await startGpuSim({ port: 0, host: '127.0.0.1', stepMs: options.stepMs ?? 5, name: `sim${i}`, ...options.simOptions }));
  }
  const common = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    GANTRY_QUEUE_PREFIX: prefix,
    GANTRY_ARTIFACT_DIR: artifactDir,
    LOG_LEVEL: 'silent',
  };
  const apis: { api: RunningApi; resources: ApiResources }[] = [];
  const launchApi = async (extraEnv: Record<string, string> = {}) => {
    const env = loadApiEnv({ ...common, PORT: '0', GANTRY_ADMIN_KEY: adminKey, ...NO_RATE_LIMITS, ...options.apiEnv, ...extraEnv });
    const resources = await buildApiDeps(env, 'test', logger);
    const instance = { api: await listenApi(resources, 0, '127.0.0.1'), resources };
    apis.push(instance);
    return instance;
  };
  const { api, resources: apiResources } = await launchApi();
  const workers: RunningWorker[] = [];
  const launchWorker = async (extraEnv: Record<string, string> = {}) => {
    const env = loadWorkerEnv({
      ...common,
      GANTRY_BACKENDS: sims.map((s, i) => `sim${i}=${s.url}`).join(' '),
      GANTRY_RETRY_BASE_MS: '50',
      GANTRY_PROGRESS_INTERVAL_MS: '20',
      GANTRY_BACKEND_LOST_MS: '1500',
      GANTRY_SHUTDOWN_GRACE_MS: '2000',
      GANTRY_WORKER_HTTP_PORT: '0', // several workers per process: each on a free port (worker.http.url)
      ...options.workerEnv,
      ...extraEnv,
    });
    const w = await startWorker(env, logger);
    workers.push(w);
    return w;
  };
  const worker = options.worker === false ? null : await launchWorker();
  return {
    url: api.url,
    adminKey,
    databaseUrl: db.url,
    redisUrl,
    prefix,
    keyPrefix,
    artifactDir,
    api,
    apiResources,
    worker,
    sims,
    startWorker: launchWorker,
    startApi: launchApi,
    close: async () => {
      await Promise.allSettled(workers.map((w) => w.close()));
      for (const a of apis) {
        await a.api.close(1000);
        await a.resources.dispose();
      }
      await Promise.allSettled(sims.map((s) => s.close()));
      await cleanRedis(redisUrl, keyPrefix);
      await db.drop();
      await rm(artifactDir, { recursive: true, force: true });
    },
  };
}

async function cleanRedis(redisUrl: string, keyPrefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  try {
    await deleteKeys(redis, `${keyPrefix}:*`);
  } finally {
    await closeRedis(redis);
  }
}
