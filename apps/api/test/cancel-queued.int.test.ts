import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/** A queued job that is canceled leaves the queue and never runs, even once a worker starts. */
describe('cancel of a queued job', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
  });
  afterAll(() => stack.close());

  it('removes it from the queue and records canceled', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const doomed = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).body;
    const kept = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).body;
    const queue = stack.apiResources.deps.queue;
    expect(await queue.getJob(doomed.id)).toBeDefined();

    const cancel = await admin('POST', `/api/v1/jobs/${doomed.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'canceled', error: { code: 'CANCELED' } });
    expect(cancel.body.finishedAt).not.toBeNull();
    expect(await queue.getJob(doomed.id)).toBeUndefined();

    await stack.startWorker();
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${kept.id}`)).body.status === 'succeeded' ? true : undefined));
    const after = await admin('GET', `/api/v1/jobs/${doomed.id}`);
    expect(after.body).toMatchObject({ status: 'canceled', attempts: 0, backend: null });
    const events = (await admin('GET', `/api/v1/jobs/${doomed.id}/events`)).body.items.map((e: any) => e.event.status);
    expect(events).toEqual(['queued', 'canceled']);
  });
});
