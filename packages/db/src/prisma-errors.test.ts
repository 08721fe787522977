import { Prisma } from './generated/client.js';
import {
  classifyPrismaError,
  invalidDataReason,
  isForeignKeyViolation,
  isNotFound,
  isRetriable,
  isUniqueViolation,
  prismaErrorCode,
  uniqueViolationTarget,
} from './prisma-errors.js';

const known = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(`error ${code}`, { code, clientVersion: '7.10.1', ...(meta ? { meta } : {}) });

/** The shape Prisma 7 + adapter-pg produces for a unique violation (seen in client.int.test.ts). */
const adapterP2002 = known('P2002', {
  modelName: 'Job',
  driverAdapterError: {
    name: 'DriverAdapterError',
    cause: { kind: 'UniqueConstraintViolation', constraint: { index: 'jobs_tenant_id_idempotency_key_key' }, table: 'jobs' },
  },
});

describe('prisma error classification', () => {
  it('reads codes from known request errors, including duck-typed copies', () => {
    expect(prismaErrorCode(known('P2025'))).toBe('P2025');
    expect(prismaErrorCode({ name: 'PrismaClientKnownRequestError', code: 'P2034' })).toBe('P2034');
    expect(prismaErrorCode(new Error('P2002'))).toBeUndefined();
    expect(prismaErrorCode(undefined)).toBeUndefined();
  });

  it('recognises unique violations, optionally of one constraint', () => {
    expect(isUniqueViolation(adapterP2002)).toBe(true);
    expect(isUniqueViolation(adapterP2002, 'jobs_tenant_id_idempotency_key_key')).toBe(true);
    expect(isUniqueViolation(adapterP2002, ['tenant_id', 'idempotency_key'])).toBe(true);
    expect(isUniqueViolation(adapterP2002, ['tenant_id'])).toBe(false);
    expect(isUniqueViolation(known('P2002', { target: ['name'] }), ['name'])).toBe(true);
    expect(isUniqueViolation(known('P2025'))).toBe(false);
    expect(uniqueViolationTarget(known('P2002', { target: ['a', 'b'] }))).toEqual({ fields: ['a', 'b'] });
  });

  it('recognises violations of raw statements: Prisma P2010 with the SQLSTATE inside, or pg\'s own error', () => {
    const rawUnique = known('P2010', { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '23505', kind: 'UniqueConstraintViolation', constraint: { index: 'jobs_tenant_id_idempotency_key_key' }, table: 'jobs' } } });
    expect(isUniqueViolation(rawUnique)).toBe(true);
    expect(isUniqueViolation(rawUnique, 'jobs_tenant_id_idempotency_key_key')).toBe(true);
    const pgUnique = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', constraint: 'jobs_pkey' });
    expect(isUniqueViolation(pgUnique)).toBe(true);
    expect(isForeignKeyViolation(Object.assign(new Error('violates foreign key constraint'), { code: '23503' }))).toBe(true);
    expect(isForeignKeyViolation(pgUnique)).toBe(false);
    expect(isUniqueViolation(known('P2010', { driverAdapterError: { cause: { originalCode: '22P02' } } }))).toBe(false);
    expect(isUniqueViolation(known('P2025', { driverAdapterError: { cause: { originalCode: '23505' } } }))).toBe(false);
  });

  it('recognises not-found and retriable errors', () => {
    expect(isNotFound(known('P2025'))).toBe(true);
    expect(isNotFound(known('P2002'))).toBe(false);
    for (const code of ['P2024', 'P2028', 'P2034']) expect(isRetriable(known(code))).toBe(true);
    expect(isRetriable(known('P2002'))).toBe(false);
  });

  it('classifies any thrown value', () => {
    expect(classifyPrismaError(adapterP2002)).toBe('unique_violation');
    expect(classifyPrismaError(known('P2025'))).toBe('not_found');
    expect(classifyPrismaError(known('P2034'))).toBe('retriable');
    expect(classifyPrismaError(known('P2020'))).toBe('invalid_data');
    expect(classifyPrismaError(new TypeError('x'))).toBe('other');
  });

  it('recognises values the column cannot take, by SQLSTATE anywhere in the chain or by Prisma code', () => {
    const adapter = (cause: Record<string, unknown>) => known('P2039', { driverAdapterError: { name: 'DriverAdapterError', cause } });
    expect(invalidDataReason(adapter({ kind: 'postgres', code: '22021', originalCode: '22021' }))).toBe('invalid byte sequence (SQLSTATE 22021)');
    expect(invalidDataReason(adapter({ kind: 'ValueOutOfRange', originalCode: '22003' }))).toBe('numeric value out of range (SQLSTATE 22003)');
    expect(invalidDataReason(Object.assign(new Error('pg'), { code: '2200G' }))).toBe('data exception (SQLSTATE 2200G)');
    expect(invalidDataReason(known('P2000'))).toBe('value too long (P2000)');
    // Other classes are not data exceptions: 23505 unique violation, 08006 connection failure.
    expect(invalidDataReason(adapter({ kind: 'postgres', originalCode: '23505' }))).toBeUndefined();
    expect(invalidDataReason(Object.assign(new Error('pg'), { code: '08006' }))).toBeUndefined();
    expect(invalidDataReason(known('P2005'))).toBeUndefined();
  });
});
