import { randomUUID } from 'node:crypto';
import { uuidv7 } from '@gantry/domain';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import { createPrisma } from '../client';
import { transitionJob } from './job-transitions';
import { countActiveJobs, countActiveJobsByTenant, insertJob } from './jobs';

/** The tenants' queued and held counts the submit seeds from and the reconciler checks against. */
describe('active job counts', () => {
  let database: TestDatabase;
  let db: ReturnType<typeof createPrisma>;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPrisma(database.url);
  });
  afterAll(async () => {
    await db.$disconnect();
    await database.drop();
  });

  async function tenant(): Promise<string> {
    return (await db.tenant.create({ data: { name: `t-${randomUUID()}` } })).id;
  }

  async function job(tenantId: string, to?: 'dispatched' | 'running' | 'succeeded' | 'canceled'): Promise<void> {
    const id = uuidv7();
    await insertJob(db, { id, tenantId, workflow: {}, priority: 0 });
    if (to === 'canceled') {
      expect(await transitionJob(db, id, 'canceled', { error: { code: 'CANCELED', message: 'x' } })).not.toBeNull();
      return;
    }
    if (!to) return;
    expect(await transitionJob(db, id, 'dispatched', { workerId: 'w', backendId: 'b', promptId: randomUUID(), incrementAttempts: true })).not.toBeNull();
    if (to === 'dispatched') return;
    expect(await transitionJob(db, id, 'running', {})).not.toBeNull();
    if (to === 'succeeded') expect(await transitionJob(db, id, 'succeeded', {})).not.toBeNull();
  }

  it('counts queued and held jobs per tenant, leaving out ended ones and tenants with none', async () => {
    const [a, b, idle] = [await tenant(), await tenant(), await tenant()];
    await job(a);
    await job(a);
    await job(a, 'dispatched');
    await job(a, 'running');
    await job(a, 'succeeded');
    await job(b, 'running');
    await job(b, 'canceled');
    await job(idle, 'succeeded');

    expect(await countActiveJobs(db, a)).toEqual({ queued: 2, running: 2 });
    expect(await countActiveJobs(db, b)).toEqual({ queued: 0, running: 1 });
    expect(await countActiveJobs(db, idle)).toEqual({ queued: 0, running: 0 });
    const all = await countActiveJobsByTenant(db);
    expect(all.get(a)).toEqual({ queued: 2, running: 2 });
    expect(all.get(b)).toEqual({ queued: 0, running: 1 });
    expect(all.has(idle)).toBe(false);
  });
});
