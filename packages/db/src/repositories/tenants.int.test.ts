import { createTestDatabase, type TestDatabase } from '@gantry/testing';

import { createPrisma } from '../client.js';
import type { PrismaClient } from '../generated/client.js';
import { ensureTenant } from './tenants.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 8, applicationName: 'gantry-db-tenants-test' });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('ensureTenant', () => {
  it('gives concurrent transactions for a new name the one tenant (found by the fuzz of issue 11: the losers failed)', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => prisma.$transaction((tx) => ensureTenant(tx, 'racing')).then((t) => t.id)));
    expect(new Set(ids).size).toBe(1);
    expect(await prisma.tenant.findMany({ where: { name: 'racing' }, select: { id: true } })).toEqual([{ id: ids[0] }]);
  });

  it('creates nothing when its transaction rolls back', async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await ensureTenant(tx, 'rolled-back');
        throw new Error('what needed the tenant failed');
      }),
    ).rejects.toThrow('what needed the tenant failed');
    expect(await prisma.tenant.count({ where: { name: 'rolled-back' } })).toBe(0);
    const again = await ensureTenant(prisma, 'rolled-back');
    expect(await ensureTenant(prisma, 'rolled-back')).toEqual(again);
  });
});
