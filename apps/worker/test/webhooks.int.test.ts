import { randomUUID } from 'node:crypto';
import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { verifyWebhookSignature, type HostResolver } from '@gantry/webhooks';
import { defaultWorkflow } from '../../api/test/fixtures';
import { WebhookReceiver } from './webhook-receiver';

const SECRET = 'whsec-test-0123456789abcdef';
// The receiver is reached by name: only the allowlisted name `receiver.test` leads to 127.0.0.1.
// `rebind.example.test` looks public to the API at submit and turns into 127.0.0.1 at delivery.
const apiDns: HostResolver = async (host) => {
  if (host === 'receiver.test') return [{ address: '127.0.0.1', family: 4 }];
  if (host === 'rebind.example.test') return [{ address: '93.184.215.14', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const workerDns: HostResolver = async (host) => {
  if (host === 'receiver.test' || host === 'rebind.example.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

const webhookEnv = {
  GANTRY_WEBHOOK_ALLOWED_HOSTS: 'receiver.test',
  GANTRY_WEBHOOK_SECRET: SECRET,
  GANTRY_WEBHOOK_RETRY_BASE_MS: '50',
  GANTRY_WEBHOOK_RETRY_MAX_MS: '2000',
  GANTRY_WEBHOOK_MAX_ATTEMPTS: '4',
  GANTRY_WEBHOOK_TIMEOUT_MS: '10000',
};

/** Webhooks end to end: the real stack (API, worker, gpu-sim) calling a local receiver. */
describe('webhooks through the stack', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let receiver: WebhookReceiver;
  let hookBase: string;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    hookBase = `http://receiver.test:${receiver.port}`;
    stack = await startStack({ gpus: 1, stepMs: 5, apiEnv: webhookEnv, workerEnv: webhookEnv });
    stack.apiResources.deps.webhooks.policy.resolver = apiDns;
    stack.worker!.deps.webhooks.policy.resolver = workerDns;
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  const submit = async (path: string, extra: Record<string, unknown> = {}, webhook: Record<string, unknown> = {}) => {
    const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }), webhook: { url: `${hookBase}${path}`, ...webhook }, ...extra });
    expect(res.status).toBe(202);
    return res.body;
  };
  const deliveries = async (jobId: string) => (await admin('GET', `/api/v1/jobs/${jobId}/webhook-deliveries`)).body.items as any[];
  const finalDelivery = (jobId: string) =>
    waitUntil(async () => {
      const items = await deliveries(jobId);
      return items.length === 1 && items[0].status !== 'pending' ? items[0] : undefined;
    }, 30_000);

  it('delivers job.succeeded for a job answered by reuse, naming the job it reused', async () => {
    const path = `/reuse-${randomUUID()}`;
    const workflow = defaultWorkflow({ steps: 1, seed: 8080 });
    const source = await submit(path, { workflow });
    expect((await finalDelivery(source.id)).status).toBe('delivered');
    const reused = await submit(path, { workflow, reuse: true });
    expect(reused).toMatchObject({ status: 'succeeded', reusedFrom: source.id });
    const record = await finalDelivery(reused.id);
    expect(record).toMatchObject({ status: 'delivered', event: 'job.succeeded' });
    const hit = receiver.on(path).find((h) => h.body.data.job.id === reused.id)!;
    expect(hit.body.data.job).toMatchObject({ status: 'succeeded', reusedFrom: source.id, attempts: 0 });
    expect(hit.body.data.job.artifacts).toHaveLength(reused.artifacts.length);
  });

  it('delivers a signed job.succeeded carrying the job as GET /jobs/{id} shows it', async () => {
    const path = `/ok-${randomUUID()}`;
    const job = await submit(path);
    expect(job.webhook).toEqual({ url: `${hookBase}${path}`, events: ['job.succeeded', 'job.failed', 'job.canceled'] });
    const record = await finalDelivery(job.id);
    expect(record).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, event: 'job.succeeded', nextAttemptAt: null });
    expect(record.deliveredAt).not.toBeNull();

    const [hit] = receiver.on(path);
    expect(receiver.on(path)).toHaveLength(1);
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers['gantry-webhook-id']).toBe(record.id);
    expect(hit!.headers['gantry-webhook-event']).toBe('job.succeeded');
    expect(hit!.headers['gantry-webhook-attempt']).toBe('1');
    expect(verifyWebhookSignature(hit!.rawBody, hit!.headers['gantry-signature'] as string, SECRET, { toleranceSeconds: 300 })).toBe(true);
    expect(verifyWebhookSignature(hit!.rawBody, hit!.headers['gantry-signature'] as string, 'another-secret-entirely')).toBe(false);
    expect(verifyWebhookSignature(`${hit!.rawBody} `, hit!.headers['gantry-signature'] as string, SECRET)).toBe(false);

    const view = (await admin('GET', `/api/v1/jobs/${job.id}`)).body;
    expect(hit!.body).toEqual({ id: record.id, type: 'job.succeeded', createdAt: record.createdAt, data: { job: view } });
    expect(view.status).toBe('succeeded');
    expect(view.artifacts.length).toBeGreaterThan(0);
    // GANTRY_STORAGE_PRESIGN is off (the local store): outputs carry only Gantry's download path.
    expect(hit!.body.data.job.artifacts[0]).not.toHaveProperty('presignedUrl');
  });

  it('retries 500, 500 and records the third attempt that gets 200', async () => {
    const path = `/flaky-${randomUUID()}`;
    receiver.script(path, [500, 500, 200]);
    const job = await submit(path);
    const record = await finalDelivery(job.id);
    expect(record).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    const hits = receiver.on(path);
    expect(hits.map((h) => h.headers['gantry-webhook-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(hits.map((h) => h.headers['gantry-webhook-id']))).toEqual(new Set([record.id]));
    // Each attempt is signed afresh and carries the same event.
    for (const h of hits) expect(verifyWebhookSignature(h.rawBody, h.headers['gantry-signature'] as string, SECRET)).toBe(true);
    expect(new Set(hits.map((h) => h.body.id))).toEqual(new Set([record.id]));
  });

  it('honours Retry-After on a 429', async () => {
    const path = `/busy-${randomUUID()}`;
    receiver.script(path, [{ status: 429, headers: { 'Retry-After': '1' } }, 200]);
    const job = await submit(path);
    const record = await finalDelivery(job.id);
    expect(record).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
    const [first, second] = receiver.on(path);
    // The retry waited at least the second the receiver asked for (the base delay here is 50 ms).
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry a 400', async () => {
    const path = `/reject-${randomUUID()}`;
    receiver.script(path, [400]);
    const job = await submit(path);
    const record = await finalDelivery(job.id);
    expect(record).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 400 });
    expect(record.lastError).toContain('HTTP 400');
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('gives up after GANTRY_WEBHOOK_MAX_ATTEMPTS on a receiver that keeps failing', async () => {
    const path = `/down-${randomUUID()}`;
    receiver.script(path, [503]);
    const job = await submit(path);
    const record = await finalDelivery(job.id);
    expect(record).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503 });
    expect(record.lastError).toContain('gave up after 4 attempts');
    expect(receiver.on(path)).toHaveLength(4);
  });

  it('sends job.failed for a failed job, and only the events asked for', async () => {
    const failedPath = `/failed-${randomUUID()}`;
    const failing = await submit(failedPath, { workflow: defaultWorkflow({ steps: 2000 }), timeoutSeconds: 1 });
    const record = await finalDelivery(failing.id);
    expect(record).toMatchObject({ status: 'delivered', event: 'job.failed' });
    const [hit] = receiver.on(failedPath);
    expect(hit!.body).toMatchObject({ type: 'job.failed', data: { job: { id: failing.id, status: 'failed', error: { code: 'JOB_TIMEOUT' } } } });

    // A job that only wants job.failed and succeeds sends nothing and records nothing.
    const quietPath = `/quiet-${randomUUID()}`;
    const quiet = await submit(quietPath, {}, { events: ['job.failed'] });
    expect(quiet.webhook.events).toEqual(['job.failed']);
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${quiet.id}`)).body.status === 'succeeded' ? true : undefined));
    expect(await deliveries(quiet.id)).toEqual([]);
    expect(receiver.on(quietPath)).toHaveLength(0);
  });

  it('refuses at delivery a name that resolved publicly at submit and now resolves to loopback (DNS rebinding)', async () => {
    const path = `/rebind-${randomUUID()}`;
    const res = await admin('POST', '/api/v1/jobs', {
      workflow: defaultWorkflow({ steps: 2 }),
      webhook: { url: `http://rebind.example.test:${receiver.port}${path}` },
    });
    expect(res.status).toBe(202);
    const record = await finalDelivery(res.body.id);
    expect(record).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: null });
    expect(record.lastError).toMatch(/^WEBHOOK_URL_FORBIDDEN: rebind\.example\.test resolves to a loopback address/);
    expect(receiver.on(path)).toHaveLength(0);
  });

  // Relies on the deliveries of the tests above (same worker, same registry).
  it('counts deliveries and attempts in the worker metrics', async () => {
    const text = await stack.worker!.deps.metrics.metrics();
    expect(text).toMatch(/gantry_webhook_deliveries_total\{[^}]*outcome="delivered"[^}]*\} [1-9]/);
    expect(text).toMatch(/gantry_webhook_deliveries_total\{[^}]*outcome="failed"[^}]*\} [1-9]/);
    expect(text).toMatch(/gantry_webhook_attempts_total\{[^}]*result="5xx"[^}]*\} [1-9]/);
    expect(text).toMatch(/gantry_webhook_attempts_total\{[^}]*result="forbidden"[^}]*\} 1/);
    expect(text).toMatch(/gantry_webhook_attempt_duration_seconds_count\{[^}]*result="2xx"[^}]*\} [1-9]/);
  });
});

/** The outbox: a canceled queued job records its delivery in PostgreSQL before any worker runs. */
describe('webhook of a job canceled while queued', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    const env = { ...webhookEnv, GANTRY_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', GANTRY_WEBHOOK_SWEEP_MS: '200' };
    stack = await startStack({ gpus: 1, stepMs: 5, worker: false, apiEnv: env, workerEnv: env });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  it('delivers job.canceled, and the sweep re-enqueues a delivery whose queue entry was lost', async () => {
    const url = (p: string) => `http://127.0.0.1:${receiver.port}${p}`;
    const a = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }), webhook: { url: url('/a') } })).body;
    const b = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }), webhook: { url: url('/b') } })).body;
    expect((await admin('POST', `/api/v1/jobs/${a.id}/cancel`)).status).toBe(200);
    expect((await admin('POST', `/api/v1/jobs/${b.id}/cancel`)).status).toBe(200);

    // Recorded with the transition, pending, and on the queue under its own id.
    const [da] = await (async () => (await admin('GET', `/api/v1/jobs/${a.id}/webhook-deliveries`)).body.items)();
    const [db] = (await admin('GET', `/api/v1/jobs/${b.id}/webhook-deliveries`)).body.items;
    expect(da).toMatchObject({ status: 'pending', attempts: 0, event: 'job.canceled', url: url('/a') });
    const queue = stack.apiResources.deps.webhooks.queue;
    expect(await queue.getJob(da.id)).toBeDefined();
    // Lose b's queue entry, as a crash between commit and enqueue would.
    await (await queue.getJob(db.id))!.remove();
    expect(await queue.getJob(db.id)).toBeUndefined();

    await stack.startWorker();
    for (const [job, path] of [[a, '/a'], [b, '/b']] as const) {
      const record = await waitUntil(async () => {
        const [d] = (await admin('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`)).body.items;
        return d?.status === 'delivered' ? d : undefined;
      }, 30_000);
      expect(record).toMatchObject({ event: 'job.canceled', attempts: 1, lastStatusCode: 200 });
      const hits = receiver.on(path);
      expect(hits).toHaveLength(1);
      expect(hits[0]!.body).toMatchObject({ type: 'job.canceled', data: { job: { id: job.id, status: 'canceled', error: { code: 'CANCELED' } } } });
      expect(verifyWebhookSignature(hits[0]!.rawBody, hits[0]!.headers['gantry-signature'] as string, SECRET)).toBe(true);
    }
  });
});
