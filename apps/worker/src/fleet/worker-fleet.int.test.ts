import { ManualClock } from '@gantry/domain';
import { ACCEPTING_BOUND_MS, acceptingKey, BackendHealth, healthKey, SlotLeases, type BackendRecord, type Lease } from '@gantry/fleet';
import { testFleet } from '../../test/fleet-fixture';
import { Redis } from 'ioredis';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { redisTimeMs, type RedisClient } from '@gantry/queue';
import type { BackendDriver } from '@gantry/backends';
import type { Freeing, WorkerFleet } from './worker-fleet';

const record = (id: string): BackendRecord => ({ id, kind: 'comfyui', url: `http://127.0.0.1:1/${id}`, capacity: 1, tags: [], draining: false, info: null });

/** Counts the health hashes read on `redis` (one per backend per read) until restored. */
function countHealthReads(redis: RedisClient): { count(): number; restore(): void } {
  let reads = 0;
  const hgetall = redis.hgetall.bind(redis);
  redis.hgetall = ((...args: Parameters<typeof hgetall>) => {
    reads += 1;
    return hgetall(...args);
  }) as typeof hgetall;
  return { count: () => reads, restore: () => (redis.hgetall = hgetall) };
}

describe('WorkerFleet speed-aware placement (real Redis)', () => {
  const scope = redisTestPrefix();

  /** The render queue as BullMQ keeps it (its waiting and active lists), under the test's prefix. */
  const queueKeys = () => ({ wait: `${scope.prefix}:q:wait`, prioritized: `${scope.prefix}:q:prioritized`, active: `${scope.prefix}:q:active` });
  /** `queued` jobs in the queue; `taken` by workers (holding a slot or looking for one, the job asking included). */
  async function queueHas(queued: number, taken: number): Promise<void> {
    const q = queueKeys();
    await scope.redis.del(q.wait, q.prioritized, q.active);
    if (queued > 0) await scope.redis.rpush(q.wait, ...Array.from({ length: queued }, (_, i) => `w${i}`));
    if (taken > 0) await scope.redis.rpush(q.active, ...Array.from({ length: taken }, (_, i) => `a${i}`));
  }
  /** A fleet of a slow and a fast GPU; `queued` jobs in the queue, `held` more taken by workers beyond the `leased` holding slots and the job asking. */
  async function fleetWith(queued: number, held = 0, leased = 0) {
    await queueHas(queued, leased + held + 1);
    const { fleet, leases } = testFleet(scope.redis, scope.prefix, { queueKeys: queueKeys() });
    fleet.sync([record('slow'), record('fast')]);
    return { fleet, leases };
  }
  /** Teaches the fleet its GPUs' paces (ms per job), trusted from the third observation. */
  const learn = (fleet: WorkerFleet, fastMs = 100, slowMs = 800) => {
    for (let i = 0; i < 3; i++) {
      fleet.pace.observe('fast', fastMs);
      fleet.pace.observe('slow', slowMs);
    }
  };
  const need = { nodeTypes: [] };
  /** Counts the live-lease reads `leases` makes from now on. */
  const countLiveLeaseReads = (leases: SlotLeases): (() => number) => {
    let reads = 0;
    const liveLeases = leases.liveLeases.bind(leases);
    leases.liveLeases = (...args) => {
      reads += 1;
      return liveLeases(...args);
    };
    return () => reads;
  };

  it("judges a waiting job's candidates on the backends' current capacity, not the one when it began waiting", async () => {
    const { fleet } = testFleet(scope.redis, scope.prefix);
    fleet.sync([{ ...record('wide'), capacity: 2 }]);
    const listed = fleet.candidates(need); // made when the job began waiting: capacity 2
    const first = await fleet.tryAcquire('t', need, listed, null, 0);
    expect(first.lease?.backendId).toBe('wide');
    fleet.sync([{ ...record('wide'), capacity: 1 }]); // the operator lowered it meanwhile
    expect(await fleet.tryAcquire('t', need, listed, null, 0)).toEqual({ lease: null, reason: 'full' });
    await fleet.leases.release(first.lease!);
    const again = await fleet.tryAcquire('t', need, listed, null, 0);
    expect(again.lease?.backendId).toBe('wide');
    await fleet.leases.release(again.lease!);
  });

  it('takes the fastest free backend once it knows their paces', async () => {
    const { fleet } = await fleetWith(0);
    learn(fleet);
    for (let i = 0; i < 3; i++) {
      const outcome = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
      expect(outcome.lease?.backendId).toBe('fast');
      await fleet.leases.release(outcome.lease!);
    }
  });

  it('reads no leases for a job whose GPUs are all of about one speed (the tail rule keeps each whatever they are); beside a much faster GPU it reads them', async () => {
    const { fleet, leases } = await fleetWith(0);
    fleet.sync([{ ...record('a'), capacity: 2 }, { ...record('b'), capacity: 2 }]);
    for (let i = 0; i < 3; i++) {
      fleet.pace.observe('a', 120);
      fleet.pace.observe('b', 100); // faster, but not much faster (not under 2/3 of a's time)
    }
    const liveLeaseReads = countLiveLeaseReads(leases);
    const other = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'b', capacity: 2 }] })).lease!;
    // Least-connections as with a read: b is the faster, a the less loaded one.
    const first = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
    expect(first.lease?.backendId).toBe('a');
    // Equally loaded now: the faster goes first.
    const second = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
    expect(second.lease?.backendId).toBe('b');
    expect(liveLeaseReads()).toBe(0);
    // A much faster GPU joins: whether the slow ones are worth starting on depends on its leases.
    fleet.sync([{ ...record('a'), capacity: 2 }, { ...record('b'), capacity: 2 }, record('fast')]);
    for (let i = 0; i < 3; i++) fleet.pace.observe('fast', 10);
    const third = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
    expect(third.lease?.backendId).toBe('fast');
    expect(liveLeaseReads()).toBe(1);
    for (const lease of [other, first.lease!, second.lease!, third.lease!]) await leases.release(lease);
  });

  it('in the tail, leaves the job for the busy fast GPU rather than the free slow one; with a backlog, or once it waited, it runs on the slow one', async () => {
    const tail = await fleetWith(3, 0, 1);
    learn(tail.fleet);
    const running = (await tail.leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    expect(await tail.fleet.tryAcquire('t', need, tail.fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
    const waited = await tail.fleet.tryAcquire('t', need, tail.fleet.all(), null, 0, false);
    expect(waited.lease?.backendId).toBe('slow');
    await tail.leases.release(waited.lease!);

    const backlog = await fleetWith(50);
    learn(backlog.fleet);
    const outcome = await backlog.fleet.tryAcquire('t', need, backlog.fleet.all(), null, 0);
    expect(outcome.lease?.backendId).toBe('slow');
    await backlog.leases.release(outcome.lease!);
    await tail.leases.release(running);
  });

  it('in the tail, counts the wait behind a prompt whose slot was freed before its end (queue-ahead), and sends a job where it ends first', async () => {
    // Fast GPU (3 s a job) busy, slow one (24 s) free, 8 jobs to place (7 queued, the asking one, and
    // the slow GPU's finishing job and the fast one's held): within 24 s the fast GPU finishes 7, so
    // the slow one takes a job, unless a prompt freed early still runs there for 15 s more.
    const tailWith = async (aheadMs: number) => {
      const { fleet, leases } = await fleetWith(7, 0, 2);
      learn(fleet, 3000, 24_000);
      const busy = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
      const early = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'slow', capacity: 1 }] })).lease!;
      await leases.finish(early, aheadMs); // another worker's prompt, its slot freed (early or at its end)
      const outcome = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
      for (const lease of [busy, early, ...(outcome.lease ? [outcome.lease] : [])]) await leases.release(lease);
      return outcome;
    };
    expect((await tailWith(0)).lease?.backendId).toBe('slow');
    expect(await tailWith(15_000)).toEqual({ lease: null, reason: 'full' });

    // With a backlog every GPU is worth starting on: of two of about one speed, the one with a
    // prompt still running ahead comes after the idle one, though its pace is the faster.
    const { fleet, leases } = await fleetWith(50);
    fleet.sync([record('a'), record('b'), record('fast')]);
    for (let i = 0; i < 3; i++) {
      fleet.pace.observe('a', 100);
      fleet.pace.observe('b', 110);
      fleet.pace.observe('fast', 10); // much faster: the rule reads the leases
    }
    const busy = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    const early = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'a', capacity: 1 }] })).lease!;
    await leases.finish(early, 5000);
    const outcome = await fleet.tryAcquire('t', need, fleet.all(), null, 0);
    expect(outcome.lease?.backendId).toBe('b');
    for (const lease of [busy, early, outcome.lease!]) await leases.release(lease);
  });

  it('counts the jobs workers took that still look for a slot: in the tail they are as many as the queue', async () => {
    // The queue is empty, but 7 jobs besides this one are held by workers looking for a slot:
    // within 800 ms the fast GPU finishes only 7 of these 8, so the slow one takes this job now.
    const held = await fleetWith(0, 7, 1);
    learn(held.fleet);
    const running = (await held.leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    const outcome = await held.fleet.tryAcquire('t', need, held.fleet.all(), null, 0);
    expect(outcome.lease?.backendId).toBe('slow');
    await held.leases.release(outcome.lease!);
    // With 6 held, the fast GPU gets through all 7 first: the job waits for it.
    const fewer = await fleetWith(0, 6, 1);
    learn(fewer.fleet);
    expect(await fewer.fleet.tryAcquire('t', need, fewer.fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
    await held.leases.release(running);
  });

  it('in the tail, judges when a busy GPU frees by its lease’s start: one near the end of its job takes the last jobs, one that just began does not', async () => {
    // Paces 3.5 and 8 s; two jobs to place (this one and one queued).
    const learnPaces = (fleet: WorkerFleet) => {
      learn(fleet, 3500, 8000);
    };
    // The fast GPU's job began 3 s ago (another worker's lease, by Redis's clock): it frees in
    // ~0.5 s and finishes both jobs before the slow one would finish one. The job waits for it.
    const nearEnd = await fleetWith(1, 0, 1);
    learnPaces(nearEnd.fleet);
    const now = await redisTimeMs(scope.redis);
    await scope.redis.zadd(nearEnd.leases.key('fast'), now + 15_000, `other-worker@${now - 3000}`);
    expect(await nearEnd.fleet.tryAcquire('t', need, nearEnd.fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
    await scope.redis.zrem(nearEnd.leases.key('fast'), `other-worker@${now - 3000}`);
    // Its job just began: it finishes only one more in time, so the slow GPU takes this one now.
    const justBegun = await fleetWith(1, 0, 1);
    learnPaces(justBegun.fleet);
    const running = (await justBegun.leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    const outcome = await justBegun.fleet.tryAcquire('t', need, justBegun.fleet.all(), null, 0);
    expect(outcome.lease?.backendId).toBe('slow');
    await justBegun.leases.release(outcome.lease!);
    await justBegun.leases.release(running);
  });

  it('in the tail, does not fall through to the slow GPU when the fast free one it read goes to another worker first', async () => {
    const { fleet, leases } = await fleetWith(1, 0, 1);
    learn(fleet);
    fleet.sync([record('slow'), record('fast'), record('fast2')]);
    for (let i = 0; i < 3; i++) fleet.pace.observe('fast2', 100);
    const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'fast2', capacity: 1 }] })).lease!;
    // Between this worker's read (fast free) and its lease, another worker takes the fast GPU.
    const other = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const acquireChecked = leases.acquireChecked.bind(leases);
    let taken: Lease | null = null;
    leases.acquireChecked = async (request, checks) => {
      taken = (await other.acquire({ tenantId: 'o', candidates: [{ id: 'fast', capacity: 1 }] })).lease;
      return acquireChecked(request, checks);
    };
    expect(await fleet.tryAcquire('t', need, fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
    expect(await leases.inFlight(['slow'])).toEqual({ slow: 0 });
    await other.release(taken!);
    await leases.release(running);
  });

  it('in a hand-over, counts the ending job as taken and leased, not as one more to place', async () => {
    // Two leases (the fast GPU's job, and this worker's job ending on the slow one) and the job asking.
    const { fleet, leases } = await fleetWith(0, 0, 2);
    learn(fleet, 3500, 8000);
    const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    const ending = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'slow', capacity: 1 }] })).lease!;
    // One job to place, and the fast GPU finishes one more within the slow one's time: it waits
    // for it (counting the ending job as a second one to place, it would take the slow GPU).
    expect(await fleet.tryAcquire('t', need, fleet.all(), null, 0, true, { lease: ending, at: 'release' })).toEqual({ lease: null, reason: 'full' });
    await leases.release(ending);
    await leases.release(running);
  });

  it('hands a slot on a fast GPU over without reading the leases (the freed slot or a faster free one); one on a slow GPU in the tail reads them', async () => {
    const { fleet, leases } = await fleetWith(0, 0, 1);
    learn(fleet);
    fleet.sync([record('slow'), record('fast'), record('faster')]);
    for (let i = 0; i < 3; i++) fleet.pace.observe('faster', 90);
    const liveLeaseReads = countLiveLeaseReads(leases);
    const other = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'faster', capacity: 1 }] })).lease!;
    // Nothing is much faster than the fast GPU: the next job takes its slot, no read.
    const ending = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    const handed = await fleet.tryAcquire('t', need, fleet.all(), null, 0, true, { lease: ending, at: 'release' });
    expect(handed).toEqual({ lease: expect.objectContaining({ backendId: 'fast' }), freed: true });
    expect(liveLeaseReads()).toBe(0);
    // A faster GPU free meanwhile goes first, still without a read.
    await leases.release(other);
    const next = await fleet.tryAcquire('t', need, fleet.all(), null, 0, true, { lease: handed.lease!, at: 'release' });
    expect(next).toEqual({ lease: expect.objectContaining({ backendId: 'faster' }), freed: true });
    expect(liveLeaseReads()).toBe(0);
    // A slot on the slow GPU with one job to place: the tail rule reads the leases (and leaves it for a fast GPU).
    const onSlow = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'slow', capacity: 1 }] })).lease!;
    const busy = (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    expect(await fleet.tryAcquire('t', need, fleet.all(), null, 0, true, { lease: onSlow, at: 'release' })).toEqual({ lease: null, reason: 'full' });
    expect(liveLeaseReads()).toBe(1);
    await leases.release(onSlow);
    await leases.release(busy);
    await leases.release(next.lease!);
  });

  it('a hand-over without a read never takes a slower GPU than the freed one, even a less loaded one', async () => {
    const { fleet, leases } = await fleetWith(0, 0, 2);
    learn(fleet);
    // fast: capacity 2, one slot another worker's; fast2 busy; slow idle (load 0, below fast's 1/2).
    fleet.sync([{ ...record('fast'), capacity: 2 }, record('fast2'), record('slow')]);
    for (let i = 0; i < 3; i++) fleet.pace.observe('fast2', 100);
    const liveLeaseReads = countLiveLeaseReads(leases);
    const others = [
      (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'fast', capacity: 2 }] })).lease!,
      (await leases.acquire({ tenantId: 'o', candidates: [{ id: 'fast2', capacity: 1 }] })).lease!,
    ];
    const ending = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 2 }] })).lease!;
    const handed = await fleet.tryAcquire('t', need, fleet.all(), null, 0, true, { lease: ending, at: 'release' });
    expect(handed).toEqual({ lease: expect.objectContaining({ backendId: 'fast' }), freed: true });
    expect(liveLeaseReads()).toBe(0);
    await leases.release(handed.lease!);
    for (const lease of others) await leases.release(lease);
  });

  it('places as before while a pace is unknown', async () => {
    const { fleet, leases } = await fleetWith(0);
    fleet.pace.observe('fast', 100); // not yet trusted
    const running = (await leases.acquire({ tenantId: 't', candidates: [{ id: 'fast', capacity: 1 }] })).lease!;
    expect((await fleet.tryAcquire('t', need, fleet.all(), null, 0)).lease?.backendId).toBe('slow');
    await leases.release(running);
  });
});

describe('WorkerFleet warm-model notes (real Redis)', () => {
  const scope = redisTestPrefix();

  it('writes a backend’s model only when the map named another one at the last read', async () => {
    const { fleet } = testFleet(scope.redis, scope.prefix);
    fleet.sync([record('gpu')]);
    const key = `${scope.prefix}:backend-models`;
    const writes: string[] = [];
    const hset = scope.redis.hset.bind(scope.redis);
    scope.redis.hset = ((...args: Parameters<typeof hset>) => {
      writes.push(String(args[2]));
      return hset(...args);
    }) as typeof hset;
    try {
      await fleet.noteModel('gpu', 'sdxl'); // nothing read yet: written
      let outcome = await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), 'sdxl', 0);
      await fleet.leases.release(outcome.lease!);
      await fleet.noteModel('gpu', 'sdxl'); // the read just said sdxl: nothing to write
      await scope.redis.hset(key, 'gpu', 'flux'); // another worker ran flux there
      outcome = await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), 'sdxl', 0);
      await fleet.leases.release(outcome.lease!);
      await fleet.noteModel('gpu', 'sdxl'); // the read said flux: written
      expect(writes).toEqual(['sdxl', 'flux', 'sdxl']);
      expect(await scope.redis.hget(key, 'gpu')).toBe('sdxl');
    } finally {
      scope.redis.hset = hset;
    }
  });
});

describe('WorkerFleet health reads (real Redis)', () => {
  const scope = redisTestPrefix();

  it('joins a health read in flight instead of repeating it, and keeps nothing once it settled', async () => {
    const { fleet } = testFleet(scope.redis, scope.prefix);
    fleet.sync([record('a'), record('b')]);
    const reads = countHealthReads(scope.redis);
    try {
      const [first, second] = await Promise.all([fleet.dispatchable(fleet.all()), fleet.dispatchable(fleet.all())]);
      expect(first.map((c) => c.id)).toEqual(['a', 'b']);
      expect(second.map((c) => c.id)).toEqual(['a', 'b']);
      expect(reads.count()).toBe(2); // one read: a hash per backend
      await fleet.dispatchable(fleet.all());
      expect(reads.count()).toBe(4);
    } finally {
      reads.restore();
    }
  });
});

describe('WorkerFleet lease attempts on the intake gate’s health read (real Redis)', () => {
  const scope = redisTestPrefix();

  function gateFleet(breaker?: { failureThreshold: number }) {
    const clock = new ManualClock();
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, clock, ...(breaker ? { breaker } : {}) });
    const { fleet } = testFleet(scope.redis, scope.prefix, { health });
    fleet.sync([record('a')]);
    // Another process's view of the same hashes (the API's drain, another worker's strikes).
    const other = new BackendHealth(scope.redis, { prefix: scope.prefix, clock, ...(breaker ? { breaker } : {}) });
    return { fleet, other, clock };
  }


  it('leases without reading the health again while the read is recent, and still sees a drain written since', async () => {
    const { fleet, other, clock } = gateFleet();
    const reads = countHealthReads(scope.redis);
    try {
      expect(await fleet.freeSlots()).toBe(1); // the gate: health and leases in one script
      let outcome = await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0);
      expect(outcome.lease?.backendId).toBe('a');
      expect(reads.count()).toBe(0); // the gate's read was enough
      await fleet.leases.release(outcome.lease!);

      clock.advance(2001); // too old to reuse: read again
      outcome = await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0);
      expect(outcome.lease?.backendId).toBe('a');
      expect(reads.count()).toBe(1);
      await fleet.leases.release(outcome.lease!);

      expect(await fleet.freeSlots()).toBe(1);
      await other.store.setDraining('a', true); // after the gate's read
      expect(await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
      expect(reads.count()).toBe(2); // the script refused, the health was read again
      expect(await fleet.freeSlots()).toBe(0);
      expect(await fleet.leases.inFlight(['a'])).toEqual({ a: 0 });
    } finally {
      reads.restore();
    }
  });

  it('sees a breaker opened since the read', async () => {
    const { fleet, other } = gateFleet({ failureThreshold: 1 });
    expect(await fleet.freeSlots()).toBe(1);
    await other.recordStrike('a');
    expect(await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).toEqual({ lease: null, reason: 'full' });
    expect(await fleet.leases.inFlight(['a'])).toEqual({ a: 0 });
  });
});

describe('WorkerFleet prompt-submission records (real Redis)', () => {
  const scope = redisTestPrefix();

  it('starts the record with the lease and writes only its end around the submit; ends one no submit ended at release', async () => {
    const clock = new ManualClock(5_000_000);
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, clock });
    const { fleet } = testFleet(scope.redis, scope.prefix, { health });
    fleet.sync([record('gpu')]);
    const key = acceptingKey(scope.prefix, 'gpu');
    let begun = 0;
    const begin = health.store.beginAccepting.bind(health.store);
    health.store.beginAccepting = (...args) => {
      begun += 1;
      return begin(...args);
    };
    const lease = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    expect(Number(await scope.redis.zscore(key, lease.leaseId))).toBe(5_000_000 + ACCEPTING_BOUND_MS);
    const during = await fleet.whileAccepting(lease, async () => {
      clock.advance(20);
      return Number(await scope.redis.zscore(key, lease.leaseId));
    });
    expect(during).toBe(5_000_000 + ACCEPTING_BOUND_MS); // in flight while the prompt is handed over
    expect(Number(await scope.redis.zscore(key, lease.leaseId))).toBe(5_000_020); // ended with it
    expect(begun).toBe(0); // the lease script started it: no second script
    await fleet.release(lease);
    expect(Number(await scope.redis.zscore(key, lease.leaseId))).toBe(5_000_020);

    // A job that ended before its prompt was sent: the record ends at release, not at its bound.
    const unsent = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    clock.advance(5);
    await fleet.release(unsent);
    await waitUntil(async () => (Number(await scope.redis.zscore(key, unsent.leaseId)) === 5_000_025 ? true : undefined), 10_000, 2);
    // A second submit on a lease whose record ended writes the whole record itself.
    await fleet.whileAccepting(lease, async () => undefined);
    expect(begun).toBe(1);
    await fleet.release(lease);

    // Inputs staged for more than half the bound since the lease: the submit gets a record of its own.
    const slow = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    clock.advance(ACCEPTING_BOUND_MS / 2 + 1);
    const submitAt = clock.now();
    const bounds = await fleet.whileAccepting(slow, async () => (await scope.redis.zrange(key, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number));
    expect(begun).toBe(2);
    expect(bounds).toContain(submitAt + ACCEPTING_BOUND_MS);
    await waitUntil(async () => (Number(await scope.redis.zscore(key, slow.leaseId)) === submitAt ? true : undefined), 10_000, 2); // the lease's record ended
    await fleet.release(slow);
  });
});

describe('WorkerFleet release of a succeeded job (real Redis)', () => {
  const scope = redisTestPrefix();

  it("forgives the backend's strikes in the release's or the hand-over's own script, and only for a success", async () => {
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix });
    const { fleet } = testFleet(scope.redis, scope.prefix, { health });
    fleet.sync([record('gpu')]);
    // What reaches Redis per release: a success's forgiving adds no command of its own.
    const sent = jest.spyOn(scope.redis, 'sendCommand');
    const commandsOf = async (release: () => Promise<void>) => {
      sent.mockClear();
      await release();
      return sent.mock.calls.map(([command]) => (command.name.startsWith('eval') ? 'script' : command.name)); // EVAL the first time, EVALSHA after
    };
    await health.recordStrike('gpu');
    const failed = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    const failedRelease = await commandsOf(() => fleet.release(failed));
    expect((await health.store.read('gpu')).snapshot?.strikes).toBe(1);
    const struck = await health.store.read('gpu');
    const ok = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    expect(await commandsOf(() => fleet.release(ok, true))).toEqual(failedRelease);
    sent.mockRestore();
    const forgiven = await health.store.read('gpu');
    expect(forgiven.snapshot?.strikes).toBe(0);
    expect(Number(forgiven.rev)).toBe(Number(struck.rev) + 1); // a compare-and-set that read before sees the write
    expect(await fleet.leases.inFlight(['gpu'])).toEqual({ gpu: 0 });

    // A slot handed straight to a waiting job: forgiven in the hand-over's script.
    await health.recordStrike('gpu');
    const ended = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    const waiting = fleet.offerHandOver(fleet.turns.placeOf(undefined), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing));
    await fleet.release(ended, true);
    const next = await waiting.done();
    expect(next?.backendId).toBe('gpu');
    expect((await health.store.read('gpu')).snapshot?.strikes).toBe(0);
    // A failed job's slot handed over forgives nothing.
    await health.recordStrike('gpu');
    const after = fleet.offerHandOver(fleet.turns.placeOf(undefined), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing));
    await fleet.release(next!);
    const last = await after.done();
    expect(last?.backendId).toBe('gpu');
    expect((await health.store.read('gpu')).snapshot?.strikes).toBe(1);
    await fleet.release(last!);
    expect(await fleet.leases.inFlight(['gpu'])).toEqual({ gpu: 0 });
  });
});

describe('WorkerFleet finishing leases (real Redis)', () => {
  const scope = redisTestPrefix();

  it("ends a finished lease without handing over the slot its prompt's end freed already, and forgives only at that end", async () => {
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix });
    const { fleet, leases } = testFleet(scope.redis, scope.prefix, { health });
    fleet.sync([{ ...record('gpu'), capacity: 2 }]);
    const take = () => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0);
    const done = (await take()).lease!;
    const running = (await take()).lease!;
    expect(leases.heldByThisProcess).toBe(2);
    await health.recordStrike('gpu');
    expect(await fleet.finish(done)).toBe(true);
    expect(leases.heldByThisProcess).toBe(1);
    expect((await health.store.read('gpu')).snapshot?.strikes).toBe(1); // the prompt's end forgives nothing
    // Another worker takes the freed slot; a job of this worker waits for one.
    const other = new SlotLeases(scope.redis, { prefix: scope.prefix });
    const theirs = (await other.acquire({ tenantId: 'u', candidates: [{ id: 'gpu', capacity: 2 }] })).lease!;
    expect(theirs).not.toBeNull();
    const waiting = fleet.offerHandOver(fleet.turns.placeOf(undefined), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing));
    // Its success recorded, the finished lease ends: strikes forgiven, no slot handed over, nothing counted twice.
    await fleet.release(done, true);
    expect((await health.store.read('gpu')).snapshot?.strikes).toBe(0);
    expect(leases.heldByThisProcess).toBe(1);
    expect(await leases.inFlight(['gpu'])).toEqual({ gpu: 2 });
    expect(waiting.signal.aborted).toBe(false);
    // The running job's end hands its slot to the waiting one.
    await fleet.release(running);
    const next = await waiting.done();
    expect(next?.backendId).toBe('gpu');
    expect(leases.heldByThisProcess).toBe(1);
    await fleet.release(next!);
    await other.release(theirs);
    expect(await leases.inFlight(['gpu'])).toEqual({ gpu: 0 });
  });

  it("hands the slot its prompt's end frees to this worker's earliest waiting job in the finish's own script: no announcement, no lease attempt of its own", async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const { fleet, leases } = testFleet(scope.redis, scope.prefix);
      fleet.sync([record('one')]);
      const announced: string[] = [];
      const stop = await new SlotLeases(scope.redis, { prefix: scope.prefix }).onFreedElsewhere(subscriber, (id) => announced.push(id));
      let inPlace = 0;
      fleet.onHandedOverInPlace(() => (inPlace += 1));
      const attempt = (freeing?: Freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing);
      const running = (await attempt()).lease!;
      // Two jobs of this worker wait for a slot; the one taken later is ahead in the queue (a higher priority).
      const behind = fleet.offerHandOver(fleet.turns.placeOf(5), attempt);
      const head = fleet.offerHandOver(fleet.turns.placeOf(1), attempt);
      const sent = jest.spyOn(scope.redis, 'sendCommand');
      expect(await fleet.finish(running)).toBe(true);
      const commands = sent.mock.calls.map(([command]) => (command.name.startsWith('eval') ? 'script' : command.name));
      sent.mockRestore();
      expect(commands).toEqual(['script']); // the finish and the next job's lease: one round trip
      expect(head.signal.aborted).toBe(true);
      expect(behind.signal.aborted).toBe(false);
      const next = await head.done();
      expect(next?.backendId).toBe('one');
      expect(await behind.done()).toBeNull();
      expect(leases.heldByThisProcess).toBe(1);
      expect(inPlace).toBe(1); // the intake gate hears that one more job holds a place
      expect(await leases.slotsInUse(['one'])).toEqual({ one: 1 });
      expect(await leases.inFlight(['one'])).toEqual({ one: 2 }); // the finishing job still runs there (a delete waits for it)
      expect(leases.isFinished(running)).toBe(true);
      // Its release only ends it: no slot to hand over.
      const after = fleet.offerHandOver(fleet.turns.placeOf(1), attempt);
      await fleet.release(running, true);
      expect(after.signal.aborted).toBe(false);
      expect(await after.done()).toBeNull();
      expect(await leases.inFlight(['one'])).toEqual({ one: 1 });
      await fleet.release(next!); // a last message: everything published before it has arrived with it
      await waitUntil(async () => (announced.length > 0 ? true : undefined), 10_000, 5);
      expect(announced).toEqual(['one']); // only that release: the prompt's end announced nothing
      expect(leases.heldByThisProcess).toBe(0);
      await stop();
    } finally {
      subscriber.disconnect();
    }
  });

  it("offers the slot its prompt's end frees only to the head of this worker's waiting line: when that job cannot take it, it is announced to every worker, not given to a later job of this worker", async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const { fleet, leases } = testFleet(scope.redis, scope.prefix);
      fleet.sync([record('a1'), record('a2')]);
      const announced: string[] = [];
      const stop = await new SlotLeases(scope.redis, { prefix: scope.prefix }).onFreedElsewhere(subscriber, (id) => announced.push(id));
      const only = (id: string) => fleet.all().filter((c) => c.id === id);
      const running = (await fleet.tryAcquire('t', { nodeTypes: [] }, only('a1'), null, 0)).lease!;
      const theirs = (await new SlotLeases(scope.redis, { prefix: scope.prefix }).acquire({ tenantId: 'u', candidates: [{ id: 'a2', capacity: 1 }] })).lease!;
      // The head of the line can only run on a2 (busy); a job behind it could take a1.
      const head = fleet.offerHandOver(fleet.turns.placeOf(1), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, only('a2'), null, 0, true, freeing));
      const behind = fleet.offerHandOver(fleet.turns.placeOf(5), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing));
      expect(await fleet.finish(running)).toBe(true);
      expect(head.signal.aborted).toBe(false);
      expect(behind.signal.aborted).toBe(false);
      expect(await head.done()).toBeNull();
      expect(await behind.done()).toBeNull();
      expect(leases.heldByThisProcess).toBe(0);
      expect(await leases.slotsInUse(['a1'])).toEqual({ a1: 0 });
      await waitUntil(async () => (announced.includes('a1') ? true : undefined), 10_000, 5); // every worker's jobs may race for it
      await fleet.release(running);
      await leases.release(theirs);
      expect(await leases.inFlight(['a1', 'a2'])).toEqual({ a1: 0, a2: 0 });
      await stop();
    } finally {
      subscriber.disconnect();
    }
  });

  it("says a finish's lease had expired when the hand-over's script found it so, even after a health change took nothing", async () => {
    const { fleet, leases } = testFleet(scope.redis, scope.prefix);
    fleet.sync([record('exp')]);
    const attempt = (freeing?: Freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing);
    const running = (await attempt()).lease!;
    const waiting = fleet.offerHandOver(fleet.turns.placeOf(1), attempt);
    // Before the hand-over's script: the lease expired unrenewed, and a probe changed the backend's health hash.
    const acquireChecked = leases.acquireChecked.bind(leases);
    let first = true;
    leases.acquireChecked = async (request, checks) => {
      if (first) {
        first = false;
        await scope.redis.zadd(leases.key('exp'), 'XX', 1, running.leaseId);
        await scope.redis.hset(healthKey(scope.prefix, 'exp'), 'rev', 'probed since');
      }
      return acquireChecked(request, checks);
    };
    expect(await fleet.finish(running)).toBe(false);
    const next = await waiting.done();
    expect(next?.backendId).toBe('exp'); // taken at the attempt after the health change, in the same hand-over
    await fleet.release(next!);
    await fleet.release(running);
    expect(leases.heldByThisProcess).toBe(0);
    expect(await leases.inFlight(['exp'])).toEqual({ exp: 0 });
  });

  it('keeps the slot when the finish fails (a Redis error), and ends the lease in either set at its release, without a hand-over', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const { fleet, leases } = testFleet(redis, scope.prefix);
      fleet.sync([record('flaky')]);
      const take = () => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0);
      const first = (await take()).lease!;
      await fleet.finish(first); // defines the script's command on this connection
      await fleet.release(first);
      // The script runs, but its reply is lost: whether the lease moved is unknown to the worker.
      const commands = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const finish = commands.gantryFinishLease!;
      commands.gantryFinishLease = (...args) => finish.apply(redis, args).then(() => Promise.reject(new Error('reply lost')));
      const lease = (await take()).lease!;
      await expect(fleet.finish(lease)).rejects.toThrow('reply lost');
      expect(leases.heldByThisProcess).toBe(1); // kept as held: its release frees it
      const waiting = fleet.offerHandOver(fleet.turns.placeOf(undefined), (freeing) => fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0, true, freeing));
      await fleet.release(lease);
      expect(waiting.signal.aborted).toBe(false);
      expect(await waiting.done()).toBeNull();
      expect(leases.heldByThisProcess).toBe(0);
      expect(await leases.inFlight(['flaky'])).toEqual({ flaky: 0 }); // gone from the finishing set too
      commands.gantryFinishLease = finish;
    } finally {
      await redis.quit();
    }
  });

  it("keeps a retired backend's driver open while a finishing lease or a settling job of this worker uses it", async () => {
    let closed = 0;
    const { fleet, leases } = testFleet(scope.redis, scope.prefix, {
      createDriver: (r) => ({ id: r.id, close: async () => void (closed += 1) }) as unknown as BackendDriver,
    });
    fleet.sync([record('old')]);
    const lease = (await fleet.tryAcquire('t', { nodeTypes: [] }, fleet.all(), null, 0)).lease!;
    await fleet.finish(lease);
    fleet.sync([]); // removed from the registry: retired
    await fleet.closeIdleRetired();
    expect(closed).toBe(0); // its job downloads its outputs through the driver
    fleet.settling.begin('old');
    await fleet.release(lease);
    expect(await leases.inFlight(['old'])).toEqual({ old: 0 });
    await fleet.closeIdleRetired();
    expect(closed).toBe(0); // this worker's job has not settled yet
    fleet.settling.end('old');
    await fleet.closeIdleRetired();
    expect(closed).toBe(1);
  });
});
