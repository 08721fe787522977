import { Queue, Worker } from 'bullmq';
import { ManualClock } from '@gantry/domain';
import { silentLogger } from '@gantry/logger';
import { closeRedis, createRedis } from '@gantry/queue';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { IntakeGate } from './intake-gate';
import { SettlingJobs } from './settling-jobs';

describe('IntakeGate (real BullMQ)', () => {
  const scope = redisTestPrefix();

  it('a raised concurrency takes the next job at once, while the running one still runs', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const queue = new Queue('gate-test', { connection: scope.redis, prefix: scope.prefix });
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const worker = new Worker(
      'gate-test',
      async (job) => {
        started.push(job.name);
        await new Promise<void>((resolve) => releases.set(job.name, resolve));
      },
      { connection, prefix: scope.prefix, concurrency: 1 },
    );
    try {
      await worker.waitUntilReady();
      await queue.add('a', {});
      await waitUntil(async () => (started.includes('a') ? true : undefined), 20_000, 10);
      await queue.add('b', {});
      // `a` holds a slot, three more are free: room for one held job + 2 looking for a slot.
      const gate = new IntakeGate(worker, async () => 3, () => 1, 10, silentLogger());
      await gate.adjust();
      expect(worker.concurrency).toBe(3);
      // Without the wake-up BullMQ would fetch `b` only once `a` ended; `a` is never released here first.
      await waitUntil(async () => (started.includes('b') ? true : undefined), 20_000, 10);
      expect(started).toEqual(['a', 'b']);
    } finally {
      for (const release of releases.values()) release();
      await worker.close();
      await queue.close();
      await closeRedis(connection);
    }
  });

  it('lowers concurrency to the held leases when no slot is free, and never below 1', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    try {
      let held = 2;
      const gate = new IntakeGate(worker, async () => 0, () => held, 10, silentLogger());
      await gate.adjust();
      expect(worker.concurrency).toBe(2);
      held = 0;
      await gate.adjust();
      expect(worker.concurrency).toBe(1);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });

  it('lets a job in for each of its slots expected to free soon while none is free, within the allowance', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    try {
      let soon = 0;
      let free = 0;
      let reads = 0;
      const gate = new IntakeGate(worker, async () => (reads++, free), () => 3, 10, silentLogger(), new ManualClock(), () => soon);
      await gate.adjust();
      expect(worker.concurrency).toBe(3); // a full fleet: only the jobs holding a slot
      soon = 1;
      gate.heldChanged(); // a raise: read
      await waitUntil(async () => (worker.concurrency === 4 ? true : undefined), 5_000, 5);
      soon = 3;
      free = 1;
      await gate.adjust();
      expect(worker.concurrency).toBe(5); // 3 held + 2 looking, not 3 + 4
      expect(reads).toBe(3);
      soon = 0;
      gate.heldChanged(); // they ended: lowered by the kept count (one free), without a read
      expect(worker.concurrency).toBe(4);
      expect(reads).toBe(3);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });

  it("reads the fleet on this process's lease change only when it could raise concurrency, unless its take left ample slots free (once per read)", async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    try {
      let held = 1;
      let free = 15;
      let reads = 0;
      // Time stands still: the reads are recent throughout (see the next test for an old one).
      const gate = new IntakeGate(worker, async () => (reads++, free), () => held, 10, silentLogger(), new ManualClock());
      // Nothing read yet: a lease change reads.
      gate.ownLease(1);
      await waitUntil(async () => (reads === 1 && worker.concurrency === 3 ? true : undefined), 5_000, 5);
      // This job's slot freed: 16 free by the last read moved by it, 0 held + 2 looking. Lowered, no read.
      held = 0;
      gate.ownLease(-1);
      expect(worker.concurrency).toBe(2);
      expect(reads).toBe(1);
      // A job took a slot with 15 still free by the kept count: the raise that refills the
      // allowance needs no read on a fleet that far from full, once per read.
      held = 1;
      gate.ownLease(1);
      expect(worker.concurrency).toBe(3);
      expect(reads).toBe(1);
      // A second take before any read: that raise reads.
      held = 2;
      free = 14;
      gate.ownLease(1);
      await waitUntil(async () => (reads === 2 && worker.concurrency === 4 ? true : undefined), 5_000, 5);
      // A full fleet: a slot freed and taken again here keeps concurrency; neither reads.
      held = 4;
      free = 0;
      await gate.adjust();
      expect(worker.concurrency).toBe(4);
      held = 3;
      gate.ownLease(-1);
      held = 4;
      gate.ownLease(1);
      expect(worker.concurrency).toBe(4);
      expect(reads).toBe(3);
      // Five free by a read: a take leaves four, ample (twice the allowance): no read.
      held = 1;
      free = 5;
      await gate.adjust();
      expect(worker.concurrency).toBe(3);
      held = 2;
      gate.ownLease(1);
      expect(worker.concurrency).toBe(4);
      expect(reads).toBe(4);
      // Four free by a read: a take leaves three, short of ample, and the raise it would make reads.
      held = 1;
      free = 4;
      await gate.adjust();
      expect(worker.concurrency).toBe(3);
      held = 2;
      free = 3;
      gate.ownLease(1);
      await waitUntil(async () => (reads === 6 && worker.concurrency === 4 ? true : undefined), 5_000, 5);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });

  it('counts a job settling after its slot was freed at its prompt\'s end, and drops it without a read once it settled', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    try {
      const settling = new SettlingJobs();
      let leases = 1;
      let free = 0;
      let reads = 0;
      const gate = new IntakeGate(worker, async () => (reads++, free), () => leases + settling.count, 10, silentLogger(), new ManualClock());
      settling.onEnd(() => gate.heldChanged());
      await gate.adjust();
      expect(worker.concurrency).toBe(1); // one job on the only slot
      // Its prompt ended: it settles (still a place of the worker's concurrency) and its slot is free.
      settling.begin('b');
      leases = 0;
      free = 1;
      gate.ownLease(-1);
      // The freed slot is room for one job looking for it, beside the settling one (a raise: read).
      await waitUntil(async () => (reads === 2 && worker.concurrency === 2 ? true : undefined), 5_000, 5);
      // It settled: its place goes, by the kept count (no read).
      settling.end('b');
      expect(worker.concurrency).toBe(1);
      expect(reads).toBe(2);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });

  it("reads again on this process's lease change once the last read is older than 250 ms: a slot no one announced (a backend recovered) raises concurrency then, not at the poll", async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    const clock = new ManualClock();
    try {
      let held = 4;
      let free = 0;
      let reads = 0;
      const gate = new IntakeGate(worker, async () => (reads++, free), () => held, 10, silentLogger(), clock);
      await gate.adjust();
      expect(worker.concurrency).toBe(4);
      // Within 250 ms of the read: a slot freed here moves the kept count, no read.
      clock.advance(250);
      held = 3;
      gate.ownLease(-1);
      expect(worker.concurrency).toBe(4);
      expect(reads).toBe(1);
      // Meanwhile two backends recovered (announced to no one). The next change of this process reads and sees them.
      free = 3;
      clock.advance(1);
      held = 4;
      gate.ownLease(1);
      await waitUntil(async () => (reads === 2 && worker.concurrency === 6 ? true : undefined), 5_000, 5);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });
});
