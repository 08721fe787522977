import { Redis } from 'ioredis';
import { redisTimeMs } from '@gantry/queue';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { acceptingKey } from './health/health-keys';
import { ACCEPTING_KEEP_MS } from './health/health-store';
import { leaseStartMs } from './lease-script';
import { SlotLeases } from './slot-leases';


describe('SlotLeases (real Redis)', () => {
  const scope = redisTestPrefix();

  /**
   * A hand-over's starting point: this process (`mine`) holds the only slot of `gpu` (tenant t1, the
   * job that ends) and of `spare` (so only the freed slot is open); another process hears what is
   * announced, and `changes` records what this process's holdings did.
   */
  async function handOverScene(subscriber: Redis, gpu: string, spareId: string) {
    const mine = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const other = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const announced: string[] = [];
    const stop = await other.onFreedElsewhere(subscriber, (id) => announced.push(id));
    const changes: number[] = [];
    mine.onChange((d) => changes.push(d));
    const fleet = [
      { id: gpu, capacity: 1 },
      { id: spareId, capacity: 1 },
    ];
    const ended = (await mine.acquire({ tenantId: 't1', candidates: [fleet[0]!] })).lease!;
    const spare = (await mine.acquire({ tenantId: 'x', candidates: [fleet[1]!] })).lease!;
    return { mine, announced, stop, changes, fleet, ended, spare };
  }

  /** Lease scripts judge expiry by Redis's clock, so tests wait on it, not on sleeps. */
  const redisTimePasses = async (ms: number) => {
    const from = await redisTimeMs(scope.redis);
    await waitUntil(async () => ((await redisTimeMs(scope.redis)) >= from + ms ? true : undefined), 10_000, 2);
  };

  it('chooses the backend with the lowest in-flight / capacity', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const fleet = [
      { id: 'small', capacity: 1 },
      { id: 'big', capacity: 4 },
    ];
    const picks: string[] = [];
    for (let i = 0; i < 5; i++) picks.push((await leases.acquire({ tenantId: 't1', candidates: fleet })).lease!.backendId);
    expect(picks.filter((p) => p === 'big')).toHaveLength(4);
    expect(picks.filter((p) => p === 'small')).toHaveLength(1);
    expect((await leases.acquire({ tenantId: 't1', candidates: fleet })).lease).toBeNull();
    expect(await leases.inFlight(['small', 'big'])).toEqual({ small: 1, big: 4 });
  });

  it('never overfills under concurrent acquires from many clients', async () => {
    const clients = Array.from({ length: 4 }, () => new Redis(TEST_REDIS_URL));
    try {
      const fleet = [
        { id: 'a', capacity: 2 },
        { id: 'b', capacity: 3 },
        { id: 'c', capacity: 1 },
      ];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => new SlotLeases(clients[i % 4]!, { prefix: scope.prefix }).acquire({ tenantId: 't1', candidates: fleet })),
      );
      const granted = results.filter((r) => r.lease !== null);
      expect(granted).toHaveLength(6);
      expect(await new SlotLeases(scope.redis, { prefix: scope.prefix }).inFlight(['a', 'b', 'c'])).toEqual({ a: 2, b: 3, c: 1 });
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it('reclaims a lease that was not renewed within its TTL', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 150 });
    const fleet = [{ id: 'only', capacity: 1 }];
    const first = (await leases.acquire({ tenantId: 't1', candidates: fleet })).lease;
    expect(first).not.toBeNull();
    expect((await leases.acquire({ tenantId: 't1', candidates: fleet })).lease).toBeNull();
    // Expiry by Redis's clock: the lease stops counting once its TTL is over.
    await waitUntil(async () => ((await leases.inFlight(['only'])).only === 0 ? true : undefined), 10_000, 5);
    expect(await leases.renew(first!)).toBe(false);
    expect((await leases.acquire({ tenantId: 't1', candidates: fleet })).lease).not.toBeNull();
  });

  it('renews and releases', async () => {
    // A TTL no stall of this process can outlast; each renewal must push the expiry further out.
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const fleet = [{ id: 'only', capacity: 1 }];
    const lease = (await leases.acquire({ tenantId: 't1', candidates: fleet })).lease!;
    const expiry = async () => Number(await scope.redis.zscore(leases.key('only'), lease.leaseId));
    for (let i = 0; i < 3; i++) {
      const before = await expiry();
      await redisTimePasses(5);
      expect(await leases.renew(lease)).toBe(true);
      expect(await expiry()).toBeGreaterThan(before);
    }
    expect((await leases.acquire({ tenantId: 't1', candidates: fleet })).lease).toBeNull();
    await leases.release(lease);
    expect(await leases.inFlight(['only'])).toEqual({ only: 0 });
  });

  it("sets a lease's expiry from Redis's clock (TIME), not the worker's", async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const before = await redisTimeMs(scope.redis);
    const lease = (await leases.acquire({ tenantId: 't1', candidates: [{ id: 'only', capacity: 1 }] })).lease!;
    const after = await redisTimeMs(scope.redis);
    const expiry = Number(await scope.redis.zscore(leases.key('only'), lease.leaseId));
    expect(expiry).toBeGreaterThanOrEqual(before + 60_000);
    expect(expiry).toBeLessThanOrEqual(after + 60_000);
    expect(Number(await scope.redis.zscore(leases.tenantKey('t1'), lease.leaseId))).toBe(expiry);
  });

  it('caps the running jobs of a tenant across the fleet', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const fleet = [{ id: 'big', capacity: 8 }];
    expect((await leases.acquire({ tenantId: 'a', candidates: fleet, tenantCap: 2 })).lease).not.toBeNull();
    expect((await leases.acquire({ tenantId: 'a', candidates: fleet, tenantCap: 2 })).lease).not.toBeNull();
    expect(await leases.acquire({ tenantId: 'a', candidates: fleet, tenantCap: 2 })).toEqual({ lease: null, reason: 'tenant-cap' });
    expect((await leases.acquire({ tenantId: 'b', candidates: fleet, tenantCap: 2 })).lease).not.toBeNull();
  });

  it('prefers a warm backend among equally loaded ones', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    for (let i = 0; i < 10; i++) {
      const { lease } = await leases.acquire({
        tenantId: 't',
        candidates: [
          { id: 'cold', capacity: 1 },
          { id: 'warm', capacity: 1, warm: true },
        ],
      });
      expect(lease!.backendId).toBe('warm');
      await leases.release(lease!);
    }
  });

  it('round-robin (the baseline) rotates regardless of load', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, policy: 'round-robin' });
    const fleet = [
      { id: 'a', capacity: 4 },
      { id: 'b', capacity: 4 },
    ];
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) picks.push((await leases.acquire({ tenantId: 't', candidates: fleet })).lease!.backendId);
    expect(picks.filter((p) => p === 'a')).toHaveLength(2);
    expect(await leases.freeSlots(fleet)).toBe(4);
  });

  it("finishes a lease at its prompt's end: its slot is free and announced, the job still counts as running on the backend and for its tenant", async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const mine = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
      const other = new SlotLeases(scope.redis, { prefix: scope.prefix });
      const seenByOther: string[] = [];
      const stopOther = await other.onFreedElsewhere(subscriber, (id) => seenByOther.push(id));
      const changes: number[] = [];
      mine.onChange((d) => changes.push(d));
      const fleet = [{ id: 'fin-gpu', capacity: 1 }];
      const lease = (await mine.acquire({ tenantId: 'fin-t', candidates: fleet, tenantCap: 1 })).lease!;
      expect(mine.heldByThisProcess).toBe(1);
      const expiry = Number(await scope.redis.zscore(mine.key('fin-gpu'), lease.leaseId));
      expect(await mine.finish(lease)).toBe(true);
      // The GPU slot is free (placement, the intake gate) and announced; the lease keeps its expiry in the finishing set.
      expect(await mine.slotsInUse(['fin-gpu'])).toEqual({ 'fin-gpu': 0 });
      expect(await mine.freeSlots(fleet)).toBe(1);
      expect((await mine.readWithHealth(['fin-gpu'], (id) => `${scope.prefix}:no-health:${id}`)).live).toEqual({ 'fin-gpu': 0 });
      const live = await mine.liveLeases(['fin-gpu']);
      expect(live.leases.get('fin-gpu')).toEqual([]); // placement's wait estimate: no job on the GPU
      expect(live.finishing).toBe(1); // but its job is still taken from the queue (not one to place)
      expect(Number(await scope.redis.zscore(mine.finishingKey('fin-gpu'), lease.leaseId))).toBe(expiry);
      await waitUntil(async () => (seenByOther.length > 0 ? true : undefined), 10_000, 5);
      expect(seenByOther).toEqual(['fin-gpu']);
      expect(mine.heldByThisProcess).toBe(0);
      expect(changes).toEqual([1, -1]);
      // Jobs running on it (operators' inFlight, the delete check) still count it, and so does its tenant's cap.
      expect(await mine.inFlight(['fin-gpu'])).toEqual({ 'fin-gpu': 1 });
      expect(Number(await scope.redis.zscore(mine.tenantKey('fin-t'), lease.leaseId))).toBe(expiry);
      expect(await mine.acquire({ tenantId: 'fin-t', candidates: fleet, tenantCap: 1 })).toEqual({ lease: null, reason: 'tenant-cap' });
      // Another tenant's job takes the freed slot.
      const next = (await other.acquire({ tenantId: 'fin-u', candidates: fleet })).lease!;
      expect(next.backendId).toBe('fin-gpu');
      expect(await mine.inFlight(['fin-gpu'])).toEqual({ 'fin-gpu': 2 });

      // The final release ends it in the finishing set without announcing a slot again or counting it twice.
      await mine.release(lease);
      expect(await mine.inFlight(['fin-gpu'])).toEqual({ 'fin-gpu': 1 });
      expect(await scope.redis.zcard(mine.tenantKey('fin-t'))).toBe(0);
      expect(changes).toEqual([1, -1]);
      await other.release(next);
      await waitUntil(async () => (seenByOther.length >= 1 ? true : undefined), 10_000, 5);
      expect(seenByOther).toEqual(['fin-gpu']);
      await stopOther();
    } finally {
      subscriber.disconnect();
    }
  });

  it('renews a finishing lease in the finishing set (and its tenant entry)', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const lease = (await leases.acquire({ tenantId: 'fin-r', candidates: [{ id: 'fin-renew', capacity: 1 }] })).lease!;
    await leases.finish(lease);
    const expiry = async () => Number(await scope.redis.zscore(leases.finishingKey('fin-renew'), lease.leaseId));
    const before = await expiry();
    await redisTimePasses(5);
    expect(await leases.renew(lease)).toBe(true);
    expect(await expiry()).toBeGreaterThan(before);
    expect(Number(await scope.redis.zscore(leases.tenantKey('fin-r'), lease.leaseId))).toBe(await expiry());
    expect(await scope.redis.zscore(leases.key('fin-renew'), lease.leaseId)).toBeNull();
    await leases.release(lease);
    expect(await leases.inFlight(['fin-renew'])).toEqual({ 'fin-renew': 0 });
    expect(await leases.renew(lease)).toBe(false);
  });

  it("forgives the backend's strikes at a finished lease's release only when asked (its success was recorded)", async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const healthKey = `${scope.prefix}:fin-health`;
    await scope.redis.hset(healthKey, 'phase', 'up', 'strikes', '2', 'rev', '7');
    const take = async () => (await leases.acquire({ tenantId: 'fin-f', candidates: [{ id: 'fin-strikes', capacity: 2 }] })).lease!;
    const failed = await take();
    await leases.finish(failed);
    expect(await scope.redis.hget(healthKey, 'strikes')).toBe('2'); // the prompt's end forgives nothing
    await leases.release(failed);
    expect(await scope.redis.hget(healthKey, 'strikes')).toBe('2');
    const stored = await take();
    await leases.finish(stored);
    await leases.release(stored, { healthKey, ttlMs: 60_000 });
    expect(await scope.redis.hmget(healthKey, 'strikes', 'rev')).toEqual(['0', '8']);
    expect(await leases.inFlight(['fin-strikes'])).toEqual({ 'fin-strikes': 0 });
  });

  it('stops counting a finishing lease that was not renewed within its TTL', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 150 });
    const lease = (await leases.acquire({ tenantId: 'fin-e', candidates: [{ id: 'fin-expire', capacity: 1 }] })).lease!;
    await leases.finish(lease);
    expect((await leases.inFlight(['fin-expire']))['fin-expire']).toBe(1);
    await waitUntil(async () => ((await leases.inFlight(['fin-expire']))['fin-expire'] === 0 ? true : undefined), 10_000, 5);
    expect(await leases.renew(lease)).toBe(false);
    expect(await scope.redis.zcard(leases.finishingKey('fin-expire'))).toBe(0);
  });

  it("a finish prunes the backend's expired finishing leases (a crashed worker's are not kept while others keep the set alive)", async () => {
    const short = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 150 });
    const long = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const backend = [{ id: 'fin-prune', capacity: 2 }];
    const dead = (await short.acquire({ tenantId: 'fin-p', candidates: backend })).lease!;
    await short.finish(dead); // its worker dies: never renewed, never released
    await waitUntil(async () => ((await long.inFlight(['fin-prune']))['fin-prune'] === 0 ? true : undefined), 10_000, 5);
    expect(await scope.redis.zcard(long.finishingKey('fin-prune'))).toBe(1); // expired, still a member
    const live = (await long.acquire({ tenantId: 'fin-p', candidates: backend })).lease!;
    await long.finish(live);
    expect(await scope.redis.zrange(long.finishingKey('fin-prune'), '0', '-1')).toEqual([live.leaseId]);
    await long.release(live);
  });

  it('tells other processes when a slot is freed (lease-freed channel), not the one that freed it', async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const mine = new SlotLeases(scope.redis, { prefix: scope.prefix });
      const other = new SlotLeases(scope.redis, { prefix: scope.prefix });
      const seenByOther: string[] = [];
      const seenByMine: string[] = [];
      const stopOther = await other.onFreedElsewhere(subscriber, (id) => seenByOther.push(id));
      const stopMine = await mine.onFreedElsewhere(subscriber, (id) => seenByMine.push(id));
      const lease = (await mine.acquire({ tenantId: 't', candidates: [{ id: 'gpu', capacity: 1 }] })).lease!;
      await mine.release(lease);
      await waitUntil(async () => (seenByOther.length > 0 ? true : undefined), 10_000, 5);
      expect(seenByOther).toEqual(['gpu']);
      expect(seenByMine).toEqual([]); // its own release reached onChange instead
      await stopOther();
      await stopMine();
    } finally {
      subscriber.disconnect();
    }
  });

  it('hands a slot over in one script: the next job takes it, and only a slot left free is announced', async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const { mine, announced, stop, changes, fleet, ended, spare } = await handOverScene(subscriber, 'gpu', 'spare');
      // Same backend: the slot goes straight to the next job (another tenant), no one is told.
      const next = await mine.acquireChecked({ tenantId: 't2', candidates: fleet }, { freeing: ended });
      expect(next?.lease?.backendId).toBe('gpu');
      expect(await scope.redis.zscore(mine.key('gpu'), ended.leaseId)).toBeNull();
      expect(await scope.redis.zscore(mine.tenantKey('t1'), ended.leaseId)).toBeNull();
      expect(await scope.redis.zscore(mine.tenantKey('t2'), next!.lease!.leaseId)).not.toBeNull();
      expect(await mine.inFlight(['gpu', 'spare'])).toEqual({ gpu: 1, spare: 1 });
      expect(mine.heldByThisProcess).toBe(2);
      expect(changes).toEqual([1, 1]); // the hand-over changed nothing this process holds
      // A job that cannot use the freed backend leaves it free: announced, as a release is.
      const third = await mine.acquireChecked({ tenantId: 't3', candidates: [fleet[1]!] }, { freeing: next!.lease! });
      expect(third).toEqual({ lease: null, reason: 'full' });
      expect(await mine.inFlight(['gpu'])).toEqual({ gpu: 0 });
      expect(changes).toEqual([1, 1, -1]);
      await mine.release(spare); // a last message: everything published before it has arrived with it
      await waitUntil(async () => (announced.includes('spare') ? true : undefined), 10_000, 5);
      expect(announced).toEqual(['gpu', 'spare']); // the first hand-over published nothing
      await stop();
    } finally {
      subscriber.disconnect();
    }
  });
  it("finishes a lease and hands its slot over in one script: the lease stays in flight and counted by its tenant, only a slot left free is announced", async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const { mine, announced, stop, changes, fleet, ended, spare } = await handOverScene(subscriber, 'f-gpu', 'f-spare');
      // Its prompt ended: the slot goes straight to the next job (another tenant), no one is told.
      const next = await mine.acquireChecked({ tenantId: 't2', candidates: fleet }, { finishing: ended });
      expect(next?.lease?.backendId).toBe('f-gpu');
      expect(next?.finishedLive).toBe(true);
      expect(await scope.redis.zscore(mine.key('f-gpu'), ended.leaseId)).toBeNull();
      expect(await scope.redis.zscore(mine.finishingKey('f-gpu'), ended.leaseId)).not.toBeNull();
      expect(await scope.redis.zscore(mine.tenantKey('t1'), ended.leaseId)).not.toBeNull(); // the tenant cap still counts its job
      expect(await mine.slotsInUse(['f-gpu'])).toEqual({ 'f-gpu': 1 });
      expect(await mine.inFlight(['f-gpu', 'f-spare'])).toEqual({ 'f-gpu': 2, 'f-spare': 1 }); // the finishing job still runs there
      expect(mine.heldByThisProcess).toBe(2);
      expect(changes).toEqual([1, 1]); // the hand-over changed nothing this process holds
      expect(mine.isFinished(ended)).toBe(true);
      expect(await mine.renew(ended)).toBe(true); // renewed in the finishing set
      expect(await mine.finish(ended)).toBe(true); // finished already: nothing runs again
      // A job of a tenant at its running cap (its finishing job counts) leaves the slot free: announced.
      const capped = await mine.acquireChecked({ tenantId: 't2', candidates: fleet, tenantCap: 1 }, { finishing: next!.lease! });
      expect(capped).toEqual({ lease: null, reason: 'tenant-cap', finishedLive: true });
      expect(await mine.slotsInUse(['f-gpu'])).toEqual({ 'f-gpu': 0 });
      expect(await mine.inFlight(['f-gpu'])).toEqual({ 'f-gpu': 2 });
      expect(changes).toEqual([1, 1, -1]);
      // Their releases end them in the finishing set, announcing nothing more and counting nothing twice.
      await mine.release(ended);
      await mine.release(next!.lease!);
      expect(await mine.inFlight(['f-gpu'])).toEqual({ 'f-gpu': 0 });
      expect(await scope.redis.zscore(mine.tenantKey('t1'), ended.leaseId)).toBeNull();
      expect(changes).toEqual([1, 1, -1]);
      await mine.release(spare); // a last message: everything published before it has arrived with it
      await waitUntil(async () => (announced.includes('f-spare') ? true : undefined), 10_000, 5);
      expect(announced).toEqual(['f-gpu', 'f-spare']); // the first finish published nothing
      await stop();
    } finally {
      subscriber.disconnect();
    }
  });

  it('says when the lease a finish hands over had expired (its slot was free already), and takes the slot all the same', async () => {
    const mine = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const fleet = [{ id: 'e-gpu', capacity: 1 }];
    const ended = (await mine.acquire({ tenantId: 't1', candidates: fleet })).lease!;
    await scope.redis.zadd(mine.key('e-gpu'), 'XX', 1, ended.leaseId); // expired long ago (not renewed)
    const next = await mine.acquireChecked({ tenantId: 't2', candidates: fleet }, { finishing: ended });
    expect(next?.lease?.backendId).toBe('e-gpu');
    expect(next?.finishedLive).toBe(false);
    expect(await scope.redis.zscore(mine.finishingKey('e-gpu'), ended.leaseId)).toBeNull();
    expect(await mine.inFlight(['e-gpu'])).toEqual({ 'e-gpu': 1 });
    await mine.release(ended);
    await mine.release(next!.lease!);
    expect(mine.heldByThisProcess).toBe(0);
  });

  it('says when the lease a finish hands over had expired even when a health change took nothing', async () => {
    const mine = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const fleet = [{ id: 'x-gpu', capacity: 1 }];
    const ended = (await mine.acquire({ tenantId: 't1', candidates: fleet })).lease!;
    await scope.redis.zadd(mine.key('x-gpu'), 'XX', 1, ended.leaseId); // expired long ago (not renewed)
    const healthKey = `${scope.prefix}:test-health:x-gpu`;
    await scope.redis.hset(healthKey, 'rev', 'r2', 'draining', '0');
    const next = await mine.acquireChecked({ tenantId: 't2', candidates: fleet }, { finishing: ended, health: [{ key: healthKey, rev: 'r1', draining: false }] });
    expect(next).toEqual({ healthChanged: true, lease: null, finishedLive: false });
    expect(await mine.inFlight(['x-gpu'])).toEqual({ 'x-gpu': 0 });
    await mine.release(ended);
    expect(mine.heldByThisProcess).toBe(0);
  });

  it('counts a lease a hand-over freed once, even when its holder releases it after the next attempt failed', async () => {
    const mine = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const fleet = [{ id: 'h-gpu', capacity: 1 }];
    const ended = (await mine.acquire({ tenantId: 't1', candidates: fleet })).lease!;
    const other = (await mine.acquire({ tenantId: 't1', candidates: [{ id: 'h-spare', capacity: 1 }] })).lease!;
    expect(mine.heldByThisProcess).toBe(2);
    // The health changed since it was read: nothing is taken, but the script freed the ended lease.
    const healthKey = `${scope.prefix}:test-health:h-gpu`;
    await scope.redis.hset(healthKey, 'rev', 'r2', 'draining', '0');
    const next = await mine.acquireChecked({ tenantId: 't2', candidates: fleet }, { freeing: ended, health: [{ key: healthKey, rev: 'r1', draining: false }] });
    expect(next).toEqual({ healthChanged: true, lease: null });
    expect(await mine.inFlight(['h-gpu'])).toEqual({ 'h-gpu': 0 });
    expect(mine.heldByThisProcess).toBe(1);
    // The caller's retry failed, so it cannot tell the lease was freed and releases it: counted once.
    await mine.release(ended);
    expect(mine.heldByThisProcess).toBe(1);
    await mine.release(other);
    expect(mine.heldByThisProcess).toBe(0);
  });

  it('writes when each lease was taken (Redis clock) into its member, and reads how long each live lease has been held', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const before = await redisTimeMs(scope.redis);
    const lease = (await leases.acquire({ tenantId: 't1', candidates: [{ id: 'timed', capacity: 2 }] })).lease!;
    const after = await redisTimeMs(scope.redis);
    const start = leaseStartMs(lease.leaseId)!;
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    expect(await scope.redis.zscore(leases.tenantKey('t1'), lease.leaseId)).not.toBeNull();
    // A member from before lease members carried their start: held for an unknown time.
    await scope.redis.zadd(leases.key('timed'), after + 60_000, 'legacy-lease');
    await redisTimePasses(30);
    const { leases: live, queue } = await leases.liveLeases(['timed', 'idle']);
    expect(queue).toBeNull(); // no queue keys given
    expect(live.get('idle')).toEqual([]);
    const timed = live.get('timed')!;
    expect(timed.find((l) => l.leaseId === 'legacy-lease')).toEqual({ leaseId: 'legacy-lease', heldMs: null });
    expect(timed.find((l) => l.leaseId === lease.leaseId)!.heldMs).toBeGreaterThanOrEqual(30);
    await leases.release(lease);
    expect((await leases.liveLeases(['timed'])).leases.get('timed')!.map((l) => l.leaseId)).toEqual(['legacy-lease']);
    expect(leaseStartMs('no-start')).toBeNull();
    expect(leaseStartMs('id@')).toBeNull();
  });

  it("records a slot freed before its prompt's end (queue-ahead) until that end, for placement to wait behind it; its release or that end forgets it", async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix, ttlMs: 60_000 });
    const gpus = [{ id: 'ahead-a', capacity: 1 }];
    // A prompt that ended: nothing ahead.
    const ended = (await leases.acquire({ tenantId: 'ah', candidates: gpus })).lease!;
    await leases.finish(ended);
    expect((await leases.liveLeases(['ahead-a'])).aheadMs.size).toBe(0);
    await leases.release(ended);
    // Freed 30 s before its expected end: read as up to 30 s still to run there, on Redis's clock.
    const early = (await leases.acquire({ tenantId: 'ah', candidates: gpus })).lease!;
    expect(await leases.finish(early, 30_000)).toBe(true);
    await redisTimePasses(5);
    const read = await leases.liveLeases(['ahead-a', 'ahead-none']);
    expect(read.leases.get('ahead-a')).toEqual([]); // its slot is free
    expect(read.aheadMs.get('ahead-a')).toBeGreaterThan(20_000); // read well before its end, whatever the box's pace
    expect(read.aheadMs.get('ahead-a')).toBeLessThanOrEqual(29_995);
    expect(read.aheadMs.has('ahead-none')).toBe(false);
    // With the queue's keys too (the worker's read): the positions of every part hold.
    const q = { wait: `${scope.prefix}:ahead-q:wait`, prioritized: `${scope.prefix}:ahead-q:prioritized`, active: `${scope.prefix}:ahead-q:active` };
    await scope.redis.rpush(q.wait, 'j1');
    const withQueue = await leases.liveLeases(['ahead-none', 'ahead-a'], q);
    expect(withQueue.queue).toEqual({ queued: 1, taken: 0 });
    expect(withQueue.finishing).toBe(1);
    expect(withQueue.aheadMs.get('ahead-a')).toBeGreaterThan(20_000);
    // The attempt's end forgets it (its prompt ended before).
    await leases.release(early);
    expect((await leases.liveLeases(['ahead-a'])).aheadMs.size).toBe(0);
    // A finish that hands its slot over records it too; past its expected end it is not read any more.
    const handed = (await leases.acquire({ tenantId: 'ah', candidates: gpus })).lease!;
    const next = await leases.acquireChecked({ tenantId: 'ah2', candidates: gpus }, { finishing: handed, aheadMs: 3000 });
    expect(next.lease?.backendId).toBe('ahead-a');
    expect(next.finishedLive).toBe(true);
    const soon = await leases.liveLeases(['ahead-a']);
    expect(soon.leases.get('ahead-a')!.map((l) => l.leaseId)).toEqual([next.lease!.leaseId]);
    expect(soon.aheadMs.get('ahead-a')).toBeGreaterThan(0);
    expect(soon.aheadMs.get('ahead-a')).toBeLessThanOrEqual(3000);
    await redisTimePasses(3001);
    expect((await leases.liveLeases(['ahead-a'])).aheadMs.size).toBe(0);
    await leases.release(handed);
    await leases.release(next.lease!);
  });

  it('reads the render queue’s counts in the same script as the leases', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const q = { wait: `${scope.prefix}:q:wait`, prioritized: `${scope.prefix}:q:prioritized`, active: `${scope.prefix}:q:active` };
    expect((await leases.liveLeases(['gpu'], q)).queue).toEqual({ queued: 0, taken: 0 }); // nothing there yet
    await scope.redis.rpush(q.wait, 'j1', 'j2');
    await scope.redis.zadd(q.prioritized, 1, 'j3');
    await scope.redis.rpush(q.active, 'j4', 'j5', 'j6');
    const lease = (await leases.acquire({ tenantId: 't1', candidates: [{ id: 'gpu', capacity: 1 }] })).lease!;
    const read = await leases.liveLeases(['gpu'], q);
    expect(read.queue).toEqual({ queued: 3, taken: 3 });
    expect(read.leases.get('gpu')!.map((l) => l.leaseId)).toEqual([lease.leaseId]);
    await leases.release(lease);
  });

  it('starts the chosen backend’s prompt-submission record with the lease, in the same script, for the backends asked', async () => {
    const leases = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const accepting = { now: 1_000_000, boundAt: 1_030_000, backends: new Set(['comfy']) };
    const comfy = await leases.acquireChecked({ tenantId: 't1', candidates: [{ id: 'comfy', capacity: 1 }] }, { accepting });
    expect(comfy).toMatchObject({ accepting: true });
    const key = acceptingKey(scope.prefix, 'comfy');
    expect(Number(await scope.redis.zscore(key, comfy!.lease!.leaseId))).toBe(1_030_000); // in flight until its bound
    expect(await scope.redis.pttl(key)).toBeGreaterThan(ACCEPTING_KEEP_MS);
    // A backend not asked for (its driver reports no submissions): a lease, no record.
    const other = await leases.acquireChecked({ tenantId: 't1', candidates: [{ id: 'comfy', capacity: 1 }, { id: 'a1111', capacity: 1 }] }, { accepting, health: [] });
    expect(other?.lease?.backendId).toBe('a1111');
    expect(other).toMatchObject({ accepting: false });
    expect(await scope.redis.exists(acceptingKey(scope.prefix, 'a1111'))).toBe(0);
    // With a model and a hand-over, the section is found all the same.
    await scope.redis.hset(`${scope.prefix}:models`, 'comfy', 'sdxl');
    const handed = await leases.acquireChecked(
      { tenantId: 't2', candidates: [{ id: 'comfy', capacity: 1 }, { id: 'a1111', capacity: 1 }] },
      { accepting: { ...accepting, boundAt: 1_040_000 }, warm: { key: `${scope.prefix}:models`, model: 'sdxl' }, freeing: comfy!.lease! },
    );
    expect(handed?.lease?.backendId).toBe('comfy');
    expect(handed).toMatchObject({ warm: true });
    expect(Number(await scope.redis.zscore(key, handed!.lease!.leaseId))).toBe(1_040_000);
    // And in a finish that hands over (its freed lease's arguments come after the section too).
    const next = await leases.acquireChecked(
      { tenantId: 't3', candidates: [{ id: 'comfy', capacity: 1 }, { id: 'a1111', capacity: 1 }] },
      { accepting: { ...accepting, boundAt: 1_050_000 }, warm: { key: `${scope.prefix}:models`, model: 'sdxl' }, finishing: handed!.lease! },
    );
    expect(next?.lease?.backendId).toBe('comfy');
    expect(next).toMatchObject({ accepting: true });
    expect(Number(await scope.redis.zscore(key, next!.lease!.leaseId))).toBe(1_050_000);
    await leases.release(next!.lease!);
    await leases.release(handed!.lease!);
    await leases.release(other!.lease!);
  });
});
