import { Redis } from 'ioredis';
import { SlotLeases, type BackendRecord } from '@gantry/fleet';
import { testFleet } from '../../test/fleet-fixture';
import { ManualClock } from '@gantry/domain';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import type { WorkerFleet } from '../fleet/worker-fleet';
import { acquireBackend } from './acquire-backend';
import type { QueuePlace } from './slot-turns';

/** Counts each tenant's lease attempts, once answered. */
function countAnswers(fleet: WorkerFleet): Map<string, number> {
  const answered = new Map<string, number>();
  const tryAcquire = fleet.tryAcquire.bind(fleet);
  fleet.tryAcquire = async (tenantId, ...rest) => {
    const outcome = await tryAcquire(tenantId, ...rest);
    answered.set(tenantId, (answered.get(tenantId) ?? 0) + 1);
    return outcome;
  };
  return answered;
}

/** A job of `tenantId` at `place` waiting up to a minute (of `clock`) for any slot. */
const requester = (fleet: WorkerFleet, clock: ManualClock) => (tenantId: string, place: QueuePlace) =>
  acquireBackend(fleet, { tenantId, need: { nodeTypes: [] }, exclude: new Set(), model: null, tenantCap: 0, waitMs: 60_000, signal: new AbortController().signal, clock, place });

describe('acquireBackend (real Redis)', () => {
  const scope = redisTestPrefix();

  it('a job waiting for a slot takes it as soon as one is freed, without waiting out its backoff', async () => {
    const { fleet, leases } = testFleet(scope.redis, scope.prefix);
    const gpu: BackendRecord = { id: 'gpu', kind: 'comfyui', url: 'http://127.0.0.1:1', capacity: 1, tags: [], draining: false, info: null };
    fleet.sync([gpu]);
    const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'gpu', capacity: 1 }] })).lease!;
    const clock = new ManualClock(); // never advanced: only the freed slot can end the wait
    let attempts = 0;
    const tryAcquire = fleet.tryAcquire.bind(fleet);
    fleet.tryAcquire = async (...args) => {
      const outcome = await tryAcquire(...args);
      attempts += 1; // counted once answered: the first answer is `full`
      return outcome;
    };
    const acquiring = acquireBackend(fleet, {
      tenantId: 't',
      need: { nodeTypes: [] },
      exclude: new Set(),
      model: null,
      tenantCap: 0,
      waitMs: 60_000,
      signal: new AbortController().signal,
      clock,
    });
    // Wait until it found the slot taken and is waiting (its first try is done).
    await waitUntil(async () => (attempts > 0 ? true : undefined), 10_000, 1);
    await leases.release(running);
    fleet.slotFreed();
    const lease = await acquiring;
    expect(lease.backendId).toBe('gpu');
    expect(attempts).toBe(2);
    await leases.release(lease);
  });

  it("jobs waiting for a slot take a freed one in queue order, not in the order they began waiting", async () => {
    const { fleet, leases } = testFleet(scope.redis, scope.prefix);
    const gpu: BackendRecord = { id: 'gpu', kind: 'comfyui', url: 'http://127.0.0.1:1', capacity: 1, tags: [], draining: false, info: null };
    fleet.sync([gpu]);
    const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'gpu', capacity: 1 }] })).lease!;
    const clock = new ManualClock(); // never advanced: only freed slots end the waits
    const answered = countAnswers(fleet);
    const earlier = fleet.turns.placeOf(5); // taken first, same priority
    const later = fleet.turns.placeOf(5);
    const request = requester(fleet, clock);
    // The later job begins waiting first.
    const second = request('later', later);
    await waitUntil(async () => (answered.get('later') ? true : undefined), 10_000, 1);
    const first = request('earlier', earlier);
    await waitUntil(async () => (answered.get('earlier') ? true : undefined), 10_000, 1);
    await leases.release(running);
    fleet.slotFreed();
    const lease = await first;
    expect(lease.backendId).toBe('gpu');
    await waitUntil(async () => (answered.get('later') === 2 ? true : undefined), 10_000, 1); // it tried after, found it taken, waits on
    await leases.release(lease);
    fleet.slotFreed();
    await leases.release(await second);
  });

  it("a slot this worker's ended job frees goes straight to its earliest waiting job, announced to no other worker", async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const { fleet, leases } = testFleet(scope.redis, scope.prefix);
      const gpu: BackendRecord = { id: 'gpu', kind: 'comfyui', url: 'http://127.0.0.1:1', capacity: 1, tags: [], draining: false, info: null };
      fleet.sync([gpu]);
      const announced: string[] = [];
      const stop = await new SlotLeases(scope.redis, { prefix: scope.prefix }).onFreedElsewhere(subscriber, (id) => announced.push(id));
      const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'gpu', capacity: 1 }] })).lease!;
      const clock = new ManualClock(); // never advanced, and no slotFreed(): only the hand-over ends a wait
      const answered = countAnswers(fleet);
      const earlier = fleet.turns.placeOf(5);
      const later = fleet.turns.placeOf(5);
      const request = requester(fleet, clock);
      const second = request('later', later); // begins waiting first
      await waitUntil(async () => (answered.get('later') ? true : undefined), 10_000, 1);
      const first = request('earlier', earlier);
      await waitUntil(async () => (answered.get('earlier') ? true : undefined), 10_000, 1);
      await fleet.release(running);
      const lease = await first;
      expect(lease.backendId).toBe('gpu');
      expect(answered.get('later')).toBe(1); // not woken: the slot never showed as free
      expect(leases.heldByThisProcess).toBe(1);
      await fleet.release(lease); // and on to the next one
      const last = await second;
      expect(last.backendId).toBe('gpu');
      await fleet.release(last); // nobody waits: a plain release, announced
      await waitUntil(async () => (announced.length > 0 ? true : undefined), 10_000, 5);
      expect(announced).toEqual(['gpu']);
      expect(await leases.inFlight(['gpu'])).toEqual({ gpu: 0 });
      await stop();
    } finally {
      subscriber.disconnect();
    }
  });
});
