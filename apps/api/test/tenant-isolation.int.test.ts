import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/** A key of one tenant can never see or touch another tenant's jobs or artifacts. */
describe('tenant isolation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2 });
  });
  afterAll(() => stack.close());

  it('hides jobs, events, artifacts and cancel across tenants', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const keyA = (await admin('POST', '/api/v1/api-keys', { tenant: 'studio-a', scopes: ['submit', 'read'] })).body.key;
    const keyB = (await admin('POST', '/api/v1/api-keys', { tenant: 'studio-b', scopes: ['submit', 'read'] })).body.key;
    const a = apiClient(stack.url, keyA);
    const b = apiClient(stack.url, keyB);

    const job = (await a('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    const done = await waitUntil(async () => {
      const res = await a('GET', `/api/v1/jobs/${job.id}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    });
    const artifactUrl = done.artifacts[0].url;

    expect((await b('GET', `/api/v1/jobs/${job.id}`)).status).toBe(404);
    expect((await b('GET', `/api/v1/jobs/${job.id}/events`)).status).toBe(404);
    expect((await b('GET', artifactUrl)).status).toBe(404);
    expect((await b('POST', `/api/v1/jobs/${job.id}/cancel`)).status).toBe(404);
    expect((await b('GET', '/api/v1/jobs')).body.items).toEqual([]);
    expect((await a('GET', '/api/v1/jobs')).body.items.map((j: any) => j.id)).toEqual([job.id]);
    // The default tenant's admin is a tenant too: it does not see studio-a's jobs either.
    expect((await admin('GET', `/api/v1/jobs/${job.id}`)).status).toBe(404);
    // Same idempotency key in two tenants: two different jobs.
    const ka = await a('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) }, { 'idempotency-key': 'same' });
    const kb = await b('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) }, { 'idempotency-key': 'same' });
    expect(ka.body.id).not.toBe(kb.body.id);
  });
});
