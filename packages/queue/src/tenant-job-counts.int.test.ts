import { redisTestPrefix } from '@gantry/testing';
import { TenantJobCounts } from './tenant-job-counts';

describe('tenant job counts: fair-share ranks (real Redis)', () => {
  const scope = redisTestPrefix();
  const counts = () => new TenantJobCounts(scope.redis, scope.prefix);

  it('ranks a job by its tenant’s active jobs, but never below the tenant’s newest still-queued job', async () => {
    const c = counts();
    // Not kept yet: no rank from Redis (the submit counts in PostgreSQL and seeds).
    expect((await c.submitState('t1', true, 1)).firstRank).toBeNull();
    await c.seed('t1', { queued: 0, running: 0 });

    // Three submits: ranks 0, 1, 2 (each reserved one queued job).
    const ranks: number[] = [];
    for (let i = 0; i < 3; i++) ranks.push((await c.submitState('t1', true, 1)).firstRank!);
    expect(ranks).toEqual([0, 1, 2]);

    // The first two were dispatched and ended: two active left (the third still queued), so a pure
    // count would rank the next job 1, ahead of the queued job ranked 2. It ranks 2: FIFO.
    await c.apply([{ tenantId: 't1', queued: -2, running: 2 }]);
    await c.apply([{ tenantId: 't1', queued: 0, running: -2 }]);
    const next = await c.submitState('t1', true, 1);
    expect(next.counts).toEqual({ queued: 1, running: 0 });
    expect(next.firstRank).toBe(2);

    // A batch of three after it takes 2, 3, 4 (its first at the tail, the rest after it).
    const batch = await c.submitState('t1', false, 3);
    expect(batch.firstRank).toBe(2);
    await c.apply([{ tenantId: 't1', queued: 3, running: 0 }]);
    expect((await c.submitState('t1', true, 1)).firstRank).toBe(5);
  });

  it('starts again from the count once the tenant has nothing queued', async () => {
    const c = counts();
    await c.seed('t2', { queued: 0, running: 0 });
    for (let i = 0; i < 5; i++) await c.submitState('t2', true, 1); // ranks 0..4
    await c.apply([{ tenantId: 't2', queued: -5, running: 1 }]); // four ended, one running, none queued
    expect((await c.submitState('t2', true, 1)).firstRank).toBe(1);
    // Another tenant's tail is its own.
    await c.seed('t3', { queued: 0, running: 0 });
    expect((await c.submitState('t3', true, 1)).firstRank).toBe(0);
  });

  it('keeps tail ranks out of the counts the reconciler reads', async () => {
    const c = counts();
    await c.seed('t4', { queued: 0, running: 0 });
    await c.submitState('t4', true, 1);
    expect((await c.all()).get('t4')).toEqual({ queued: 1, running: 0 });
  });
});
