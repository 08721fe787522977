import { uuidv7 } from '@gantry/domain';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import { createPrisma } from '../client.js';
import type { PrismaClient } from '../generated/client.js';
import { insertJob } from './jobs.js';
import { transitionJob } from './job-transitions.js';
import { findWebhookDelivery, listDueWebhookDeliveries, listJobWebhookDeliveries, recordWebhookAttempt } from './webhook-deliveries.js';

/** The transactional outbox: a terminal transition writes its webhook delivery in the same statement. */
let db: TestDatabase;
let prisma: PrismaClient;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 2, applicationName: 'gantry-webhook-outbox-test' });
  tenantId = (await prisma.tenant.create({ data: { name: 'outbox' } })).id;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const newJob = (webhook?: { url: string; events: string[] }) =>
  insertJob(prisma, { id: uuidv7(), tenantId, workflow: { '1': { class_type: 'X', inputs: {} } }, priority: 0, webhook });
const all = ['job.succeeded', 'job.failed', 'job.canceled'];

describe('webhook outbox in transitionJob', () => {
  it('records a pending delivery with the terminal transition, and only then', async () => {
    const job = await newJob({ url: 'https://example.com/h', events: all });
    for (const to of ['dispatched', 'running'] as const) expect((await transitionJob(prisma, job.id, to))!.webhookDeliveryId).toBeNull();
    const done = await transitionJob(prisma, job.id, 'succeeded');
    expect(done!.webhookDeliveryId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await findWebhookDelivery(prisma, done!.webhookDeliveryId!);
    expect(d).toMatchObject({ jobId: job.id, tenantId, url: 'https://example.com/h', event: 'job.succeeded', status: 'pending', attempts: 0 });
    expect(d!.nextAttemptAt).not.toBeNull();
    // A late duplicate terminal write is refused by the guard and records nothing more.
    expect(await transitionJob(prisma, job.id, 'failed')).toBeNull();
    expect(await listJobWebhookDeliveries(prisma, tenantId, job.id)).toHaveLength(1);
  });

  it('maps each terminal status to its event, and honours the events filter', async () => {
    const canceled = await newJob({ url: 'https://example.com/c', events: all });
    const t = await transitionJob(prisma, canceled.id, 'canceled', { error: { code: 'CANCELED', message: 'x' } });
    expect((await findWebhookDelivery(prisma, t!.webhookDeliveryId!))!.event).toBe('job.canceled');

    const failedOnly = await newJob({ url: 'https://example.com/f', events: ['job.failed'] });
    expect((await transitionJob(prisma, failedOnly.id, 'canceled'))!.webhookDeliveryId).toBeNull();
    const failing = await newJob({ url: 'https://example.com/f', events: ['job.failed'] });
    const f = await transitionJob(prisma, failing.id, 'failed', { error: { code: 'INTERNAL', message: 'x' } });
    expect((await findWebhookDelivery(prisma, f!.webhookDeliveryId!))!.event).toBe('job.failed');

    const plain = await newJob();
    expect((await transitionJob(prisma, plain.id, 'canceled'))!.webhookDeliveryId).toBeNull();
    expect(await listJobWebhookDeliveries(prisma, tenantId, plain.id)).toEqual([]);
  });

  it('records attempts conditionally and lists due pending deliveries for the sweep', async () => {
    const job = await newJob({ url: 'https://example.com/r', events: all });
    const id = (await transitionJob(prisma, job.id, 'canceled'))!.webhookDeliveryId!;
    expect((await listDueWebhookDeliveries(prisma, new Date(Date.now() + 1000), 1000)).map((d) => d.id)).toContain(id);

    const later = new Date(Date.now() + 3_600_000);
    expect(await recordWebhookAttempt(prisma, id, { kind: 'retry', statusCode: 503, error: 'HTTP 503', nextAttemptAt: later })).toBe(true);
    expect(await findWebhookDelivery(prisma, id)).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503, nextAttemptAt: later });
    expect((await listDueWebhookDeliveries(prisma, new Date(Date.now() + 1000), 1000)).map((d) => d.id)).not.toContain(id);

    expect(await recordWebhookAttempt(prisma, id, { kind: 'delivered', statusCode: 204 })).toBe(true);
    const d = await findWebhookDelivery(prisma, id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    expect(d!.deliveredAt).toBeInstanceOf(Date);
    // Final states are final: a duplicate run cannot change them.
    expect(await recordWebhookAttempt(prisma, id, { kind: 'failed', statusCode: 500, error: 'x' })).toBe(false);
    expect((await findWebhookDelivery(prisma, id))!.status).toBe('delivered');
    // Another tenant sees nothing.
    const other = (await prisma.tenant.create({ data: { name: 'outbox-other' } })).id;
    expect(await listJobWebhookDeliveries(prisma, other, job.id)).toEqual([]);
  });
});
