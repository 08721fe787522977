import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** A job sent back to the queue by a failed attempt says why, until it ends. */
describe('lastError of a job waiting for its retry', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeEach(async () => {
    // A long backoff keeps the job queued after its first failure, so the test reads it there.
    stack = await startStack({ gpus: 1, stepMs: 2, workerEnv: { GANTRY_MAX_ATTEMPTS: '3', GANTRY_RETRY_BASE_MS: '600000' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterEach(() => stack.close());

  it('shows the failed attempt on the queued job and its queued event, and clears it when the job ends', async () => {
    stack.sims[0]!.setFaults({ oom: true });
    const id = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body.id as string;
    const waiting = await waitUntil(async () => {
      const res = await admin('GET', `/api/v1/jobs/${id}`);
      return res.body.status === 'queued' && res.body.attempts === 1 && res.body.lastError ? res.body : undefined;
    });
    expect(waiting.lastError).toEqual({ code: 'OUT_OF_MEMORY', message: expect.any(String), backend: 'sim0', attempt: 1 });
    expect(waiting.error).toBeNull();
    const events = (await admin('GET', `/api/v1/jobs/${id}/events`)).body.items.filter((e: any) => e.event.type === 'state');
    const requeued = events[events.length - 1];
    expect(requeued.event).toEqual(expect.objectContaining({ status: 'queued', error: waiting.lastError }));

    const listed = (await admin('GET', '/api/v1/jobs?status=queued')).body.items.find((j: any) => j.id === id);
    expect(listed.lastError).toEqual(waiting.lastError);

    const canceled = await admin('POST', `/api/v1/jobs/${id}/cancel`);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.lastError).toBeNull();
    expect(canceled.body.error.code).toBe('CANCELED');
  });
});
