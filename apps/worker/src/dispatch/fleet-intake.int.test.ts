import { Worker } from 'bullmq';
import { ManualClock } from '@gantry/domain';
import type { BackendRecord } from '@gantry/fleet';
import { silentLogger } from '@gantry/logger';
import { closeRedis, createRedis } from '@gantry/queue';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { testFleet } from '../../test/fleet-fixture';
import type { Freeing } from '../fleet/worker-fleet';
import { startFleetIntake } from './fleet-intake';

const record = (id: string): BackendRecord => ({ id, kind: 'comfyui', url: `http://127.0.0.1:1/${id}`, capacity: 1, tags: [], draining: false, info: null });

/**
 * The intake gate as the worker starts it, on a real fleet (Redis) and a real BullMQ worker. Time
 * stands still (a ManualClock nobody advances): the gate's fallback poll never fires, so whatever
 * moves concurrency here is one of the fleet's events.
 */
describe('the intake gate on the fleet (real Redis, real BullMQ)', () => {
  const scope = redisTestPrefix();

  it('leaves nothing of the gate running when the lease-freed channel cannot be subscribed', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const subscriber = createRedis(TEST_REDIS_URL);
    await closeRedis(subscriber); // a subscribe on it fails
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 1, autorun: false });
    const clock = new ManualClock();
    const { fleet } = testFleet(scope.redis, scope.prefix, { clock });
    try {
      await expect(startFleetIntake(worker, fleet, subscriber, { maxConcurrency: 10, logger: silentLogger(), clock })).rejects.toThrow();
      expect(clock.pending).toBe(0); // its poll stopped
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });

  it('lets one job in for a slot of this worker nearing its expected end (by its backend’s pace), on the fleet’s event, not the poll', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const subscriber = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 1, autorun: false });
    const clock = new ManualClock();
    const { fleet } = testFleet(scope.redis, scope.prefix, { slotLeadMs: 50, clock });
    fleet.sync([record('one')]);
    for (let i = 0; i < 3; i++) fleet.pace.observe('one', 400);
    let reading = 0;
    const freeSlots = fleet.freeSlots.bind(fleet);
    fleet.freeSlots = async () => {
      reading++;
      try {
        return await freeSlots();
      } finally {
        reading--;
      }
    };
    const intake = await startFleetIntake(worker, fleet, subscriber, { maxConcurrency: 10, logger: silentLogger(), clock });
    try {
      const lease = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
      fleet.ending.begin(lease.leaseId, lease.backendId); // as the prompt's start does (runOnBackend)
      await waitUntil(async () => (reading === 0 && worker.concurrency === 1 ? true : undefined), 10_000, 5);
      clock.advance(349); // not yet within 50 ms of its expected end
      expect(fleet.ending.soon).toBe(0);
      expect(worker.concurrency).toBe(1);
      clock.advance(1);
      expect(fleet.ending.soon).toBe(1);
      // One job holds the only slot, none is free, one is about to be: 1 + 1.
      await waitUntil(async () => (worker.concurrency === 2 ? true : undefined), 10_000, 5);
      fleet.ending.end(lease.leaseId);
      await fleet.release(lease);
      await waitUntil(async () => (reading === 0 ? true : undefined), 10_000, 5);
    } finally {
      await intake.stop();
      await worker.close();
      await closeRedis(connection);
      await closeRedis(subscriber);
    }
  });

  it("raises concurrency when a prompt's end hands its slot straight to this worker's waiting job on the same backend (no lease of this process changes), not only at its poll", async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const subscriber = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 1, autorun: false });
    const { fleet, leases } = testFleet(scope.redis, scope.prefix);
    fleet.sync([record('one')]);
    // The gate's reads of the fleet, and those in flight.
    let reads = 0;
    let reading = 0;
    const freeSlots = fleet.freeSlots.bind(fleet);
    fleet.freeSlots = async () => {
      reads++;
      reading++;
      try {
        return await freeSlots();
      } finally {
        reading--;
      }
    };
    const intake = await startFleetIntake(worker, fleet, subscriber, { maxConcurrency: 10, logger: silentLogger(), clock: new ManualClock() });
    const attempt = (freeing?: Freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing);
    try {
      const running = (await attempt()).lease!;
      // Its lease made the gate read the fleet: one job holds the only slot, none is free. Once that
      // read is over (a later one could count the settling job below by itself), nothing else reads.
      await waitUntil(async () => (reads > 0 && reading === 0 ? true : undefined), 10_000, 5);
      expect(worker.concurrency).toBe(1);
      // A second job of this worker waits for a slot; the first one's prompt ends (as freeAtPromptEnd:
      // counted as settling first) and its slot goes to the waiting job in the finish's own script.
      const waiting = fleet.offerHandOver(fleet.turns.placeOf(undefined), attempt);
      fleet.settling.begin('one');
      expect(await fleet.finish(running)).toBe(true);
      const next = await waiting.done();
      expect(next?.backendId).toBe('one');
      expect(leases.heldByThisProcess).toBe(1); // unchanged: onChange said nothing to the gate
      // Two jobs hold a place now (the settling one, the one on the slot), none free: 2 + min(0, 2).
      // Without the hand-over's event only the poll could raise it, and the poll never comes.
      await waitUntil(async () => (worker.concurrency === 2 ? true : undefined), 10_000, 5);
      fleet.settling.end('one');
      await fleet.release(running);
      await fleet.release(next!);
      expect(await leases.inFlight(['one'])).toEqual({ one: 0 });
      await waitUntil(async () => (reading === 0 ? true : undefined), 10_000, 5); // no read left over past the test
    } finally {
      await intake.stop();
      await worker.close();
      await closeRedis(connection);
      await closeRedis(subscriber);
    }
  });
});
