import { uuidv7 } from '@gantry/domain';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';

import { createPrisma, pgPoolOf } from '../client.js';
import type { PrismaClient } from '../generated/client.js';
import { findJobsByIdempotencyKeys, insertJobBatch, insertJobs } from './job-batches.js';
import { insertJob, type NewJob } from './jobs.js';

let db: TestDatabase;
let prisma: PrismaClient;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 4, applicationName: 'gantry-db-batches-test' });
  tenantId = (await prisma.tenant.create({ data: { name: 'batches' } })).id;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('insertJobs', () => {
  it('answers with the rows exactly as PostgreSQL stored them, events and inputs included, in one statement on the pool', async () => {
    expect(pgPoolOf(prisma)).toBeDefined();
    const upload = await prisma.upload.create({
      data: { tenantId, sha256: 'a'.repeat(64), contentType: 'image/png', bytes: 10, width: 2, height: 3, storageKey: 'sha256/aa' },
    });
    const jobs: NewJob[] = [
      {
        id: uuidv7(),
        tenantId,
        kind: 'workflow',
        workflow: { '1': { class_type: 'LoadImage', inputs: { image: 'gantry/x.png', 'ключ': 'é\u2028' } } },
        priority: -5,
        requirements: { tags: ['sdxl'], vramMb: 8000 },
        metadata: { shot: 'a', n: [1, null, { deep: true }] },
        timeoutSeconds: 600,
        webhook: { url: 'https://hooks.example.com/g', events: ['job.succeeded', 'job.failed'] },
        idempotencyKey: 'k 0',
        requestHash: 'h',
        reuseKey: 'r',
        inputs: [
          { name: 'photo', uploadId: upload.id, sha256: upload.sha256, contentType: 'image/png', bytes: 10, width: 2, height: 3, storageKey: 'sha256/aa', filename: 'x.png', targets: [{ node: '1', field: 'image' }], source: 'upload' },
        ],
      },
      { id: uuidv7(), tenantId, kind: 'txt2img', workflow: { prompt: 'p', seed: 3 }, priority: 0, idempotencyKey: 'k 1', requestHash: 'h' },
    ];
    const rows = await insertJobs(prisma, jobs);
    const stored = await prisma.job.findMany({ where: { id: { in: jobs.map((j) => j.id) } }, orderBy: { id: 'asc' } });
    expect(rows).toEqual(stored);
    const events = await prisma.jobEvent.findMany({ where: { jobId: { in: jobs.map((j) => j.id) } }, orderBy: { jobId: 'asc' } });
    expect(events.map((e) => [e.seq, e.type, e.payload])).toEqual([
      [1, 'state', { type: 'state', status: 'queued', attempt: 0 }],
      [1, 'state', { type: 'state', status: 'queued', attempt: 0 }],
    ]);
    // The same first event insertJob writes for one job.
    const single = await insertJob(prisma, { id: uuidv7(), tenantId, workflow: {}, priority: 0 });
    expect((await prisma.jobEvent.findFirstOrThrow({ where: { jobId: single.id } })).payload).toEqual(events[0]!.payload);
    const inputs = await prisma.jobInput.findMany({ where: { jobId: jobs[0]!.id } });
    expect(inputs).toEqual([expect.objectContaining({ name: 'photo', uploadId: upload.id, targets: [{ node: '1', field: 'image' }], source: 'upload' })]);
    expect((await findJobsByIdempotencyKeys(prisma, tenantId, ['k 1', 'k 0', 'k 9'])).map((r) => r.id)).toEqual([jobs[1]!.id, jobs[0]!.id]);
  });

  it('stores nothing of a batch when one row fails', async () => {
    const id = uuidv7();
    const jobs: NewJob[] = [
      { id, tenantId, workflow: {}, priority: 0 },
      { id: uuidv7(), tenantId, workflow: {}, priority: 0, idempotencyKey: 'k 0' }, // taken by the test above
    ];
    await expect(insertJobBatch(prisma, jobs)).rejects.toMatchObject({ code: '23505' });
    expect(await prisma.job.count({ where: { id } })).toBe(0);
    expect(await prisma.jobEvent.count({ where: { jobId: id } })).toBe(0);
  });
});
