import type { BackendDriver } from '@gantry/backends';
import { BackendHealth, SlotLeases } from '@gantry/fleet';
import { silentLogger } from '@gantry/logger';
import type { RedisClient } from '@gantry/queue';
import { WorkerFleet, type WorkerFleetOptions } from '../src/fleet/worker-fleet';

/**
 * Test support: a WorkerFleet on real Redis under `prefix` whose drivers do nothing (placement
 * and slot tests need the fleet's choices, not a backend), with its slot leases.
 */
export function testFleet(redis: RedisClient, prefix: string, extra: Partial<WorkerFleetOptions> = {}): { fleet: WorkerFleet; leases: SlotLeases } {
  const leases = new SlotLeases(redis, { prefix });
  const fleet = new WorkerFleet({
    createDriver: (r) => ({ id: r.id, close: async () => undefined }) as unknown as BackendDriver,
    leases,
    redis,
    prefix,
    health: new BackendHealth(redis, { prefix }),
    logger: silentLogger(),
    ...extra,
  });
  return { fleet, leases };
}
