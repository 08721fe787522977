/**
 * Values PostgreSQL refuses, sent for real: each error must be classified as invalid data (the
 * API's 422 UNSTORABLE_VALUE, never a 500) and not as transient (not a 503 to retry).
 */
import { createTestDatabase, type TestDatabase } from '@gantry/testing';

import { createPrisma } from './client.js';
import type { PrismaClient } from './generated/client.js';
import { classifyPrismaError, invalidDataReason } from './prisma-errors.js';
import { isTransientDbError } from './transient.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 2, applicationName: 'gantry-db-invalid-data-test' });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function failure(statement: () => Promise<unknown>): Promise<unknown> {
  try {
    await statement();
  } catch (err) {
    return err;
  }
  throw new Error('the statement was expected to fail');
}

describe('values PostgreSQL refuses', () => {
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['U+0000 in a text column', () => prisma.tenant.create({ data: { name: 'nul\u0000' } }), /invalid byte sequence \(SQLSTATE 22021\)/],
    ['U+0000 in a text[] column', () => prisma.backend.create({ data: { id: 'b1', url: 'http://b1', tags: ['a\u0000'] } }), /SQLSTATE 22021/],
    ['U+0000 in a jsonb value', () => prisma.backend.create({ data: { id: 'b2', url: 'http://b2', info: { a: 'b\u0000' } } }), /untranslatable character \(SQLSTATE 22P05\)/],
    ['U+0000 in a jsonb key', () => prisma.backend.create({ data: { id: 'b3', url: 'http://b3', info: { 'a\u0000': 1 } } }), /SQLSTATE 22P05/],
    ['an unpaired surrogate in jsonb', () => prisma.backend.create({ data: { id: 'b4', url: 'http://b4', info: { a: '\ud800' } } }), /invalid input syntax \(SQLSTATE 22P02\)/],
    ['2^31 in an int4 column', () => prisma.backend.create({ data: { id: 'b5', url: 'http://b5', capacity: 2 ** 31 } }), /out of range \(SQLSTATE 22003\)/],
    ['2^31 compared with an int4 column', () => prisma.jobEvent.findMany({ where: { seq: { gt: 2 ** 31 } } }), /SQLSTATE 22003/],
    ['a malformed uuid', () => prisma.job.findFirst({ where: { id: 'not-a-uuid' } }), /SQLSTATE 22P02/],
  ];

  it.each(cases)('%s is invalid data, not transient', async (_what, statement, reason) => {
    const err = await failure(statement);
    expect(invalidDataReason(err)).toMatch(reason);
    expect(classifyPrismaError(err)).toBe('invalid_data');
    expect(isTransientDbError(err)).toBe(false);
  });

  it('nothing else is invalid data', async () => {
    await prisma.tenant.create({ data: { name: 'twice' } });
    const duplicate = await failure(() => prisma.tenant.create({ data: { name: 'twice' } }));
    expect(classifyPrismaError(duplicate)).toBe('unique_violation');
    expect(invalidDataReason(duplicate)).toBeUndefined();
    expect(invalidDataReason(new Error('value out of range'))).toBeUndefined();
  });
});
