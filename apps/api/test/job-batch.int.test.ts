import { Redis } from 'ioredis';
import { uuidv7 } from '@gantry/domain';
import { JobDoor } from '@gantry/jobs';
import { createRenderQueue, eventsChannel, subscribeChannel } from '@gantry/queue';
import { apiClient, startStack, TEST_REDIS_URL, waitUntil, type TestStack } from '@gantry/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultWorkflow } from './fixtures';
import { png } from './images';

type Client = ReturnType<typeof apiClient>;

/** `POST /api/v1/jobs/batch` through HTTP against real PostgreSQL, Redis, a worker and a simulated GPU. */
describe('job batches', () => {
  let stack: TestStack;
  let admin: Client;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 1 });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  async function tenantClient(tenant: string): Promise<Client> {
    const created = await admin('POST', '/api/v1/api-keys', { tenant, scopes: ['submit', 'read'] });
    expect(created.status).toBe(201);
    return apiClient(stack.url, created.body.key);
  }

  const sweep = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ workflow: defaultWorkflow({ steps: 1, seed: from + i, width: 16, height: 16 }), metadata: { index: from + i } }));

  async function countJobs(client: Client): Promise<number> {
    const page = await client('GET', '/api/v1/jobs?limit=200');
    return page.body.items.length;
  }

  /** gantry_jobs_submitted_total{kind="workflow"} of the API's registry. */
  async function submittedCount(): Promise<number> {
    const metric = await stack.apiResources.deps.metrics.getSingleMetric('gantry_jobs_submitted_total')?.get();
    return metric?.values.find((v) => v.labels.kind === 'workflow')?.value ?? 0;
  }

  it('accepts a sweep in order and every job runs to success', async () => {
    const client = await tenantClient('sweep');
    const counted = await submittedCount();
    const res = await client('POST', '/api/v1/jobs/batch', { jobs: sweep(12) });
    expect(res.status).toBe(202);
    expect(await submittedCount()).toBe(counted + 12);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    const items = res.body.items as { id: string; status: string; reusedFrom: string | null }[];
    expect(items).toHaveLength(12);
    expect(items.every((j) => j.status === 'queued' && j.reusedFrom === null)).toBe(true);
    expect(new Set(items.map((j) => j.id)).size).toBe(12);
    // Each answer is its own job, in the order sent.
    for (const [i, item] of items.entries()) {
      const job = await client('GET', `/api/v1/jobs/${item.id}`);
      expect(job.body.metadata).toEqual({ index: i });
    }
    const events = await client('GET', `/api/v1/jobs/${items[3]!.id}/events`);
    expect(events.body.items[0]).toMatchObject({ seq: 1, event: { type: 'state', status: 'queued', attempt: 0 } });

    const done = await waitUntil(async () => {
      const page = await client('GET', '/api/v1/jobs?status=succeeded&limit=50');
      return page.body.items.length === 12 ? page.body.items : undefined;
    }, 60_000);
    expect(done.map((j: { id: string }) => j.id).sort()).toEqual(items.map((j) => j.id).sort());
    expect(done.every((j: { artifacts: unknown[] }) => j.artifacts.length === 1)).toBe(true);
  });

  it('answers reuse items from an earlier success in the same batch as new ones', async () => {
    const client = await tenantClient('batch-reuse');
    const body = { workflow: defaultWorkflow({ steps: 1, seed: 777, width: 16, height: 16 }) };
    const first = await client('POST', '/api/v1/jobs', body);
    await waitUntil(async () => ((await client('GET', `/api/v1/jobs/${first.body.id}`)).body.status === 'succeeded' ? true : undefined), 30_000);
    const res = await client('POST', '/api/v1/jobs/batch', { jobs: [{ ...body, reuse: true }, ...sweep(1, 900)] });
    expect(res.status).toBe(202);
    expect(res.body.items[0]).toMatchObject({ status: 'succeeded', reusedFrom: first.body.id });
    expect(res.body.items[1]).toMatchObject({ status: 'queued', reusedFrom: null });
    const reused = await client('GET', `/api/v1/jobs/${res.body.items[0].id}`);
    expect(reused.body).toMatchObject({ status: 'succeeded', reusedFrom: first.body.id });
    expect(reused.body.artifacts).toHaveLength(1);
  });

  it('refuses the whole batch when items are bad, naming each by index, and stores nothing', async () => {
    const client = await tenantClient('all-or-nothing');
    const jobs: unknown[] = sweep(5);
    jobs[1] = { metadata: { no: 'workflow' } };
    jobs[3] = { ...(jobs[3] as object), priority: 1000 };
    const res = await client('POST', '/api/v1/jobs/batch', { jobs });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'BATCH_INVALID', status: 422 });
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 3]);
    expect(res.body.errors[0]).toMatchObject({ index: 1, code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'workflow' })] });
    expect(res.body.errors[1]).toMatchObject({ index: 3, code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'priority' })] });
    expect(await countJobs(client)).toBe(0);

    // A job no backend can run is refused the same way (an eligibility check, not a schema one).
    const tagged = sweep(2);
    (tagged[1] as Record<string, unknown>).requirements = { tags: ['no-such-tag'] };
    const ineligible = await client('POST', '/api/v1/jobs/batch', { jobs: tagged });
    expect(ineligible.status).toBe(422);
    expect(ineligible.body.errors).toEqual([expect.objectContaining({ index: 1, code: 'NO_ELIGIBLE_BACKEND' })]);
    expect(await countJobs(client)).toBe(0);
  });

  it('binds input images per job (refusing an unknown upload by index) and runs them', async () => {
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'batch-inputs', scopes: ['submit', 'read'] })).body.key as string;
    const client = apiClient(stack.url, key);
    const photo = (await (await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: png(24, 16) })).json()) as { id: string; sha256: string };
    const workflow = JSON.parse(readFileSync(path.join(__dirname, '../../gpu-sim/fixtures/img2img-workflow.json'), 'utf8'));
    const job = (upload: string, seed: number) => ({ workflow: { ...workflow, '3': { ...workflow['3'], inputs: { ...workflow['3'].inputs, seed, steps: 1 } } }, inputs: { photo: { upload } } });
    const refused = await client('POST', '/api/v1/jobs/batch', { jobs: [job(photo.id, 1), job('019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01', 2)] });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ index: 1, code: 'UPLOAD_NOT_FOUND' })]);
    expect(await countJobs(client)).toBe(0);

    const res = await client('POST', '/api/v1/jobs/batch', { jobs: [job(photo.id, 1), job(photo.id, 2)] });
    expect(res.status).toBe(202);
    for (const item of res.body.items as { id: string }[]) {
      const done = await waitUntil(async () => {
        const view = (await client('GET', `/api/v1/jobs/${item.id}`)).body;
        return ['succeeded', 'failed'].includes(view.status) ? view : undefined;
      }, 30_000);
      expect(done).toMatchObject({ status: 'succeeded', inputs: [expect.objectContaining({ name: 'photo', uploadId: photo.id, sha256: photo.sha256, source: 'upload' })] });
      // The stored workflow is the bound one, not the submitted text (the batch keeps each item's JSON only when nothing was bound).
      const row = await stack.apiResources.deps.db.job.findUniqueOrThrow({ where: { id: item.id }, select: { workflow: true } });
      expect((row.workflow as Record<string, { inputs: { image: string } }>)['10']!.inputs.image).not.toBe('photo');
      expect((row.workflow as Record<string, { inputs: { image: string } }>)['10']!.inputs.image).toContain(photo.sha256);
    }
  });

  it('refuses more than 1000 jobs, an empty batch and a body that is not one', async () => {
    const over = await admin('POST', '/api/v1/jobs/batch', { jobs: Array.from({ length: 1001 }, () => ({})) });
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ code: 'BATCH_TOO_LARGE', errors: { jobs: 1001, max: 1000 } });
    const empty = await admin('POST', '/api/v1/jobs/batch', { jobs: [] });
    expect(empty.status).toBe(422);
    expect(empty.body.code).toBe('VALIDATION_FAILED');
    const bare = await admin('POST', '/api/v1/jobs/batch', sweep(2));
    expect(bare.status).toBe(422);
    expect(bare.body.code).toBe('VALIDATION_FAILED');
    const text = await admin('POST', '/api/v1/jobs/batch', 'jobs', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('replays the whole answer for a repeated Idempotency-Key and refuses the key for another batch', async () => {
    const client = await tenantClient('batch-idem');
    const body = { jobs: sweep(3, 100) };
    const first = await client('POST', '/api/v1/jobs/batch', body, { 'idempotency-key': 'sweep-1' });
    expect(first.status).toBe(202);
    const again = await client('POST', '/api/v1/jobs/batch', body, { 'idempotency-key': 'sweep-1' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.items.map((j: { id: string }) => j.id)).toEqual(first.body.items.map((j: { id: string }) => j.id));
    const other = await client('POST', '/api/v1/jobs/batch', { jobs: sweep(3, 200) }, { 'idempotency-key': 'sweep-1' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const shorter = await client('POST', '/api/v1/jobs/batch', { jobs: sweep(2, 100) }, { 'idempotency-key': 'sweep-1' });
    expect(shorter.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // A single submit's key space is its own: the same key is a new job there.
    const single = await client('POST', '/api/v1/jobs', sweep(1, 300)[0], { 'idempotency-key': 'sweep-1' });
    expect(single.status).toBe(202);
    expect(first.body.items.map((j: { id: string }) => j.id)).not.toContain(single.body.id);

    const concurrent = await Promise.all(Array.from({ length: 4 }, () => client('POST', '/api/v1/jobs/batch', { jobs: sweep(3, 400) }, { 'idempotency-key': 'sweep-2' })));
    expect(concurrent.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(concurrent.map((r) => JSON.stringify(r.body.items.map((j: { id: string }) => j.id)))).size).toBe(1);
    expect(await countJobs(client)).toBe(3 + 1 + 3);
  });

  it('keeps tenants apart: their jobs, their keys', async () => {
    const a = await tenantClient('batch-a');
    const b = await tenantClient('batch-b');
    const ofA = await a('POST', '/api/v1/jobs/batch', { jobs: sweep(2, 500) }, { 'idempotency-key': 'shared' });
    const ofB = await b('POST', '/api/v1/jobs/batch', { jobs: sweep(2, 500) }, { 'idempotency-key': 'shared' });
    expect(ofA.status).toBe(202);
    expect(ofB.status).toBe(202);
    expect(ofB.headers.get('idempotent-replayed')).toBeNull();
    const idsA = ofA.body.items.map((j: { id: string }) => j.id);
    expect(ofB.body.items.map((j: { id: string }) => j.id)).not.toEqual(idsA);
    expect((await b('GET', `/api/v1/jobs/${idsA[0]}`)).status).toBe(404);
    const listB = await b('GET', '/api/v1/jobs?limit=200');
    expect(listB.body.items.map((j: { id: string }) => j.id)).not.toContain(idsA[0]);
    expect(await countJobs(a)).toBe(2);
  });
});

/** The tenant's queued cap and the submit rate limit count every job of a batch (no worker: jobs stay queued). */
describe('job batches against quotas', () => {
  let stack: TestStack;
  let admin: Client;
  beforeAll(async () => {
    // Tiny quotas: a batch job comes back every 30 s, so no step below depends on the machine's speed.
    stack = await startStack({ worker: false, apiEnv: { GANTRY_TENANT_MAX_QUEUED: '3', GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE: '2' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  const jobs = (n: number) => Array.from({ length: n }, (_, i) => ({ workflow: defaultWorkflow({ steps: 1, seed: i }) }));

  it('refuses a batch over the batch-jobs quota as a whole, then charges every job of one that fits', async () => {
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'limited-batch', scopes: ['submit', 'read'] })).body.key;
    const client = apiClient(stack.url, key);
    const tooBig = await client('POST', '/api/v1/jobs/batch', { jobs: jobs(3) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ code: 'BATCH_TOO_LARGE', errors: { jobs: 3, max: 2, limit: 'batchJobsRateLimit' } });
    const fits = await client('POST', '/api/v1/jobs/batch', { jobs: jobs(2) });
    expect(fits.status).toBe(202);
    expect(fits.headers.get('ratelimit')).toMatch(/"batch-jobs";r=0;/);
    // The quota is spent by the two jobs (one comes back in 30 s).
    const second = await client('POST', '/api/v1/jobs/batch', { jobs: jobs(1) });
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ code: 'RATE_LIMITED', errors: { policy: 'batch-jobs' } });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await client('GET', '/api/v1/jobs')).body.items).toHaveLength(2);
  });

  it("counts every job against the tenant's queued cap", async () => {
    // Two keys of one tenant: the cap (3) is the tenant's, each key has its own batch-jobs quota of 2.
    const newKey = async () => (await admin('POST', '/api/v1/api-keys', { tenant: 'capped-batch', scopes: ['submit', 'read'] })).body.key as string;
    const first = apiClient(stack.url, await newKey());
    const client = apiClient(stack.url, await newKey());
    expect((await first('POST', '/api/v1/jobs/batch', { jobs: jobs(2) })).status).toBe(202);
    const over = await client('POST', '/api/v1/jobs/batch', { jobs: jobs(2) });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'TENANT_QUEUE_FULL', errors: { queued: 2, limit: 3, adding: 2 } });
    expect((await client('GET', '/api/v1/jobs')).body.items).toHaveLength(2);
  });
});

describe('job batches at the default limits', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack.close());

  it('adds the rest of a batch with its ranks when a later chunk of the bulk add failed once', async () => {
    const api = stack.apiResources.deps;
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createRenderQueue({ connection, prefix: `${stack.prefix}-chunks` });
    try {
      await queue.waitUntilReady();
      const door = new JobDoor({ db: api.db, publisher: api.publisher, metrics: api.metrics, logger: api.logger, queue, onWebhookDelivery: () => undefined });
      const tenant = await api.db.tenant.create({ data: { name: `chunks-${uuidv7()}` } });
      const jobs = Array.from({ length: 600 }, (_, i) => ({ id: uuidv7(), tenantId: tenant.id, workflow: defaultWorkflow({ steps: 1, seed: i }), priority: 0 }));
      // The second chunk's script call fails once (a timeout, a dropped connection): the first is in.
      const script = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      await door.submitBatch(jobs.slice(0, 1), 0); // defines the bulk script on the connection
      const run = script.gantryBullAddPrioritizedBulk!.bind(connection);
      let calls = 0;
      script.gantryBullAddPrioritizedBulk = (...args) => (++calls === 2 ? Promise.reject(new Error('Command timed out')) : run(...args));
      await door.submitBatch(jobs.slice(1), 1);
      expect(calls).toBeGreaterThanOrEqual(3);
      expect(await queue.getPrioritizedCount()).toBe(600);
      // In submit order: the reconciler (no ranks) never had to add the end of the batch.
      const order = (await queue.getPrioritized(0, 599)).map((j) => j.id);
      expect(order).toEqual(jobs.map((j) => j.id));
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
    }
  });

  it('accept a sweep of 1000 jobs in one request: one submit, 1000 batch jobs, their events in a few bus messages', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'sweeper', scopes: ['submit', 'read'] })).body.key;
    const client = apiClient(stack.url, key);
    const subscriber = new Redis(TEST_REDIS_URL);
    const messages: unknown[] = [];
    const unsubscribe = await subscribeChannel(subscriber, eventsChannel(stack.prefix), (m) => messages.push(JSON.parse(m)));
    try {
      const res = await client('POST', '/api/v1/jobs/batch', { jobs: Array.from({ length: 1000 }, (_, i) => ({ workflow: defaultWorkflow({ steps: 1, seed: i }) })) });
      expect(res.status).toBe(202);
      expect(res.body.items).toHaveLength(1000);
      expect(res.headers.get('ratelimit')).toMatch(/"batch-jobs";r=9000;/);
      // Every job's `queued` event, in the batch's order, 100 to a message.
      const ids = (res.body.items as { id: string }[]).map((j) => j.id);
      const events = await waitUntil(async () => {
        const flat = messages.flatMap((m) => (Array.isArray(m) ? m : [m])) as { jobId: string; seq: number; event: { status: string } }[];
        return flat.length >= 1000 ? flat : undefined;
      }, 30_000) as { jobId: string; seq: number; event: { status: string } }[];
      expect(messages).toHaveLength(10);
      expect(events.map((e) => e.jobId)).toEqual(ids);
      expect(events.every((e) => e.seq === 1 && e.event.status === 'queued')).toBe(true);
    } finally {
      await unsubscribe();
      subscriber.disconnect();
    }
  }, 120_000);
});
