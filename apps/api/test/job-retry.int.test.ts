import { randomUUID } from 'node:crypto';
import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/** POST /jobs/{id}/retry: a new job with a finished job's input, tenant-scoped, idempotent. */
describe('job retry', () => {
  let stack: TestStack;
  let a: ReturnType<typeof apiClient>;
  let b: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
    const admin = apiClient(stack.url, stack.adminKey);
    a = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'retry-a', scopes: ['submit', 'read'] })).body.key);
    b = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'retry-b', scopes: ['submit', 'read'] })).body.key);
  });
  afterAll(() => stack.close());

  const waitForStatus = (id: string, statuses: string[]) =>
    waitUntil(async () => {
      const res = await a('GET', `/api/v1/jobs/${id}`);
      return statuses.includes(res.body.status) ? res.body : undefined;
    }, 20_000);

  const submitted = async () => {
    const text = await stack.apiResources.deps.metrics.getSingleMetricAsString('gantry_jobs_submitted_total');
    return Number(/gantry_jobs_submitted_total\{[^}]*kind="workflow"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  let canceled: any;
  let retried: any;

  it('refuses a queued job, then retries it once canceled with the same input', async () => {
    const body = { workflow: defaultWorkflow({ steps: 1, width: 32, height: 32 }), priority: 3, metadata: { shot: 'r-1' }, timeoutSeconds: 120 };
    canceled = (await a('POST', '/api/v1/jobs', body)).body;
    expect(canceled.retryOf).toBeNull();

    const early = await a('POST', `/api/v1/jobs/${canceled.id}/retry`);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'INVALID_STATE', errors: { status: 'queued' } });

    expect((await a('POST', `/api/v1/jobs/${canceled.id}/cancel`)).body.status).toBe('canceled');
    const countBefore = await submitted();
    const retry = await a('POST', `/api/v1/jobs/${canceled.id}/retry`);
    expect(await submitted()).toBe(countBefore + 1);
    expect(retry.status).toBe(202);
    retried = retry.body;
    expect(retried.id).not.toBe(canceled.id);
    expect(retry.headers.get('location')).toBe(`/api/v1/jobs/${retried.id}`);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retried).toMatchObject({
      kind: 'workflow', status: 'queued', attempts: 0, priority: 3, metadata: { shot: 'r-1' }, timeoutSeconds: 120, retryOf: canceled.id, error: null,
    });
    expect((await a('GET', `/api/v1/jobs/${retried.id}`)).body.retryOf).toBe(canceled.id);
    // The old job is untouched.
    expect((await a('GET', `/api/v1/jobs/${canceled.id}`)).body).toMatchObject({ status: 'canceled', retryOf: null });
    expect(await stack.apiResources.deps.queue.getJob(retried.id)).toBeDefined();
  });

  it('hides another tenant\'s job and answers 404 for unknown ids', async () => {
    const other = await b('POST', `/api/v1/jobs/${canceled.id}/retry`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    expect((await a('POST', `/api/v1/jobs/${randomUUID()}/retry`)).status).toBe(404);
    expect((await a('POST', '/api/v1/jobs/not-a-uuid/retry')).status).toBe(404);
    const jobsOfB = (await b('GET', '/api/v1/jobs')).body.items;
    expect(jobsOfB).toEqual([]);
  });

  it('replays a retry with the same Idempotency-Key and refuses the key for another request', async () => {
    const first = await a('POST', `/api/v1/jobs/${canceled.id}/retry`, undefined, { 'idempotency-key': 'retry-once' });
    const again = await a('POST', `/api/v1/jobs/${canceled.id}/retry`, undefined, { 'idempotency-key': 'retry-once' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.body.retryOf).toBe(canceled.id);
    // The same key on a plain submit of the same input is another request.
    const submit = await a('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width: 32, height: 32 }), priority: 3, metadata: { shot: 'r-1' }, timeoutSeconds: 120 }, { 'idempotency-key': 'retry-once' });
    expect(submit.status).toBe(422);
    expect(submit.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const bad = await a('POST', `/api/v1/jobs/${canceled.id}/retry`, undefined, { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
    // Keys are per tenant: another tenant's key of the same name finds nothing of tenant a.
    expect((await b('POST', `/api/v1/jobs/${canceled.id}/retry`, undefined, { 'idempotency-key': 'retry-once' })).status).toBe(404);
  });

  it('retries succeeded and failed jobs once they ran', async () => {
    const broken = defaultWorkflow({ steps: 1 });
    delete Object.values(broken).find((n) => n.class_type === 'KSampler')!.inputs.model;
    const failing = (await a('POST', '/api/v1/jobs', { workflow: broken })).body;
    await stack.startWorker();

    const succeeded = await waitForStatus(retried.id, ['succeeded', 'failed']);
    expect(succeeded.status).toBe('succeeded');
    const again = await a('POST', `/api/v1/jobs/${succeeded.id}/retry`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'queued', retryOf: succeeded.id, metadata: { shot: 'r-1' }, priority: 3 });
    const rerun = await waitForStatus(again.body.id, ['succeeded', 'failed']);
    expect(rerun).toMatchObject({ status: 'succeeded', retryOf: succeeded.id });
    expect(rerun.artifacts).toHaveLength(1);

    const failed = await waitForStatus(failing.id, ['succeeded', 'failed']);
    expect(failed.status).toBe('failed');
    const retryFailed = await a('POST', `/api/v1/jobs/${failed.id}/retry`);
    expect(retryFailed.status).toBe(202);
    expect(retryFailed.body.retryOf).toBe(failed.id);
    // Same input, same outcome: the workflow is still invalid.
    const refailed = await waitForStatus(retryFailed.body.id, ['succeeded', 'failed']);
    expect(refailed).toMatchObject({ status: 'failed', error: { code: 'WORKFLOW_INVALID' }, retryOf: failed.id });
  });
});
