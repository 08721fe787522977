import { createTestDatabase, type TestDatabase } from '@gantry/testing';

import { createPrisma } from './client.js';
import { JobStatus, Prisma, type PrismaClient } from './generated/client.js';
import { isNotFound, isUniqueViolation, prismaErrorCode, uniqueViolationTarget } from './prisma-errors.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 2, applicationName: 'gantry-db-test' });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('createPrisma (adapter-pg)', () => {
  it('creates and reads a tenant and a job with the schema defaults', async () => {
    const tenant = await prisma.tenant.create({ data: { name: 'acme' } });
    expect(tenant.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // uuid(7), made by the client
    const job = await prisma.job.create({
      data: { tenantId: tenant.id, workflow: { '3': { class_type: 'KSampler' } }, idempotencyKey: 'k1', metadata: { a: [1, 2] } },
    });
    expect(job).toMatchObject({ status: JobStatus.queued, priority: 0, attempts: 0, progress: 0, cancelRequested: false, lastSeq: 0 });
    expect(job.updatedAt).toBeInstanceOf(Date);

    const read = await prisma.job.findUniqueOrThrow({ where: { id: job.id }, include: { tenant: true } });
    expect(read.tenant.name).toBe('acme');
    expect(read.workflow).toEqual({ '3': { class_type: 'KSampler' } });
    expect(read.metadata).toEqual({ a: [1, 2] });
    expect(read.createdAt.getTime()).toBe(job.createdAt.getTime()); // timestamptz(3) keeps milliseconds
  });

  it('stores lists, enums and floats', async () => {
    const backend = await prisma.backend.create({ data: { id: 'gpu-1', url: 'http://gpu-1:8188', tags: ['sdxl', 'a100'] } });
    expect(backend).toMatchObject({ kind: 'comfyui', capacity: 1, draining: false, tags: ['sdxl', 'a100'] });
    const tenant = await prisma.tenant.create({ data: { name: 'floats' } });
    const job = await prisma.job.create({ data: { tenantId: tenant.id, workflow: {} } });
    const updated = await prisma.job.update({ where: { id: job.id }, data: { progress: 0.125, status: 'running' } });
    expect(updated).toMatchObject({ progress: 0.125, status: 'running' });
  });

  it('reports unique violations (P2002) with the columns involved', async () => {
    const tenant = await prisma.tenant.create({ data: { name: 'dupes' } });
    await prisma.job.create({ data: { tenantId: tenant.id, workflow: {}, idempotencyKey: 'same' } });
    const err = await prisma.job.create({ data: { tenantId: tenant.id, workflow: {}, idempotencyKey: 'same' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(err, ['tenant_id', 'idempotency_key'])).toBe(true);
    expect(isUniqueViolation(err, 'jobs_tenant_id_idempotency_key_key')).toBe(true);
    expect(isUniqueViolation(err, ['tenant_id'])).toBe(false);
    expect(uniqueViolationTarget(err)).toMatchObject({ constraint: 'jobs_tenant_id_idempotency_key_key', table: 'jobs' });
    expect(isUniqueViolation(await prisma.tenant.create({ data: { name: 'dupes' } }).catch((e: unknown) => e), ['name'])).toBe(true);
  });

  it('reports a missing record (P2025) and cascades deletes', async () => {
    const missing = await prisma.tenant.delete({ where: { id: '00000000-0000-7000-8000-000000000000' } }).catch((e: unknown) => e);
    expect(prismaErrorCode(missing)).toBe('P2025');
    expect(isNotFound(missing)).toBe(true);

    const tenant = await prisma.tenant.create({ data: { name: 'cascade', jobs: { create: { workflow: {} } } } });
    await prisma.tenant.delete({ where: { id: tenant.id } });
    expect(await prisma.job.count({ where: { tenantId: tenant.id } })).toBe(0);
  });
});
