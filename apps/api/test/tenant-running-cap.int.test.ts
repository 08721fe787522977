import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/**
 * GANTRY_TENANT_MAX_RUNNING (worker): a tenant never has more jobs running than its cap across
 * the fleet, even with GPUs idle; the queued cap (GANTRY_TENANT_MAX_QUEUED) is in errors.int.test.ts.
 */
describe('per-tenant running cap', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 2, stepMs: 10, workerEnv: { GANTRY_TENANT_MAX_RUNNING: '1' } });
  });
  afterAll(() => stack.close());

  it("runs a capped tenant's jobs one after another on a fleet with room for two", async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'capped', scopes: ['submit', 'read'] })).body.key;
    const client = apiClient(stack.url, key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 8, seed: i }) })).body.id);
    const jobs = await waitUntil(async () => {
      const all = await Promise.all(ids.map(async (id) => (await client('GET', `/api/v1/jobs/${id}`)).body));
      return all.every((j) => j.status === 'succeeded') ? all : undefined;
    }, 60_000, 100);
    const runs = jobs
      .map((j) => ({ start: Date.parse(j.startedAt), end: Date.parse(j.finishedAt) }))
      .sort((a, b) => a.start - b.start);
    // Never two at once: each run starts after the previous one finished.
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
  });
});
