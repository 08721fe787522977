import { listBackends, recordBackendInfo, type Db } from '@gantry/db';
import type { Clock } from '@gantry/domain';
import { BackendHealth, FleetRegistry, HealthMonitor, recordFromRow, type QueueCountKeys, type SlotLeases } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';
import { announceFleetChange, type RedisClient } from '@gantry/queue';
import type { WorkerEnv } from '../env.js';
import { WorkerFleet, type DriverFactory } from './worker-fleet.js';

export interface FleetServicesInput {
  env: WorkerEnv;
  db: Db;
  redis: RedisClient;
  leases: SlotLeases;
  createDriver: DriverFactory;
  workerId: string;
  logger: Logger;
  /** Time of the breaker, the probe rounds and the refresh loops. */
  clock: Clock;
  /** The render queue's keys, for its counts (queued, taken by workers) in placement's drain tail. */
  queueKeys?: QueueCountKeys;
}

/** A worker's view of the fleet: registry, dynamic members, shared health and its monitor. */
export interface FleetServices {
  fleet: WorkerFleet;
  registry: FleetRegistry;
  /** Shared health: `recordStrike(id)`, `views(...)` (a success forgives strikes with its release: WorkerFleet.release). */
  health: BackendHealth;
  monitor: HealthMonitor;
  /** Stops the registry refresh and the monitor (the fleet's drivers are closed by `fleet.close()`). */
  stop(): Promise<void>;
}

/**
 * Starts the registry (backends from PostgreSQL whose tags cover GANTRY_WORKER_TAGS, re-read
 * every GANTRY_REGISTRY_REFRESH_MS), the fleet that follows it, and the health monitor that
 * probes every served backend every GANTRY_HEALTH_INTERVAL_MS. Call after the worker's
 * GANTRY_BACKENDS were upserted, so they are in the first read.
 */
export async function startFleetServices(input: FleetServicesInput): Promise<FleetServices> {
  const { env, db, redis, logger, clock } = input;
  const prefix = env.GANTRY_QUEUE_PREFIX;
  const health = new BackendHealth(redis, {
    prefix,
    breaker: { failureThreshold: env.GANTRY_BREAKER_FAILURES, cooldownMs: env.GANTRY_BREAKER_COOLDOWN_MS },
    // Outlive an open breaker's cooldown (nobody writes then) and a few missed rounds.
    ttlMs: Math.max(60_000, 3 * env.GANTRY_BREAKER_COOLDOWN_MS, 10 * env.GANTRY_HEALTH_INTERVAL_MS),
    clock,
  });
  const registry = new FleetRegistry({
    source: { list: async () => (await listBackends(db)).map(recordFromRow) },
    workerTags: env.GANTRY_WORKER_TAGS,
    refreshMs: env.GANTRY_REGISTRY_REFRESH_MS,
    logger,
    clock,
  });
  // A job let in on time must not be handed back before the slot's expected end.
  const slotLeadMs = Math.min(env.GANTRY_SLOT_LEAD_MS, Math.floor(env.GANTRY_SLOT_WAIT_MS / 2));
  const fleet = new WorkerFleet({
    createDriver: input.createDriver,
    leases: input.leases,
    redis,
    prefix,
    health,
    logger,
    ...(input.queueKeys ? { queueKeys: input.queueKeys } : {}),
    slotLeadMs,
    // Queue-ahead frees a slot at most the lead before its prompt's expected end.
    aheadBoundMs: env.GANTRY_QUEUE_AHEAD ? slotLeadMs : 0,
    clock,
  });
  const monitor = new HealthMonitor({
    health,
    backends: () => registry.current(),
    intervalMs: env.GANTRY_HEALTH_INTERVAL_MS,
    probeTimeoutMs: env.GANTRY_HEALTH_TIMEOUT_MS,
    nodeTypesRefreshMs: env.GANTRY_NODE_TYPES_REFRESH_MS,
    persistInfo: async (id, info) => {
      await recordBackendInfo(db, id, { ...info });
      // Node types and models decide submit's eligibility check: the API instances read the backends again.
      void announceFleetChange(redis, prefix).catch((err: unknown) => logger.warn({ err, backend: id }, 'fleet change not announced in Redis'));
    },
    owner: input.workerId,
    logger,
  });

  registry.onChange((_change, r) => {
    fleet.sync(r.current());
    monitor.trigger();
  });
  await registry.start();
  fleet.sync(registry.current());
  monitor.start();
  const reaper = clock.setInterval(() => {
    // Learned info (VRAM, inventory) changes without a registry change event: re-sync it (cheap, in place).
    fleet.sync(registry.current());
    void fleet.closeIdleRetired();
  }, env.GANTRY_REGISTRY_REFRESH_MS);
  reaper.unref();

  return {
    fleet,
    registry,
    health,
    monitor,
    stop: async () => {
      clock.clear(reaper);
      await registry.stop();
      await monitor.stop();
    },
  };
}
