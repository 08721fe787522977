import type { BackendRecord } from '@gantry/fleet';
import { testFleet } from '../../test/fleet-fixture';
import { ManualClock } from '@gantry/domain';
import { redisTestPrefix, waitUntil } from '@gantry/testing';
import { acquireBackend } from './acquire-backend';

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
});
