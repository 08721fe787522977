import { HealthStore } from '@gantry/fleet';
import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/**
 * The wait estimate of a queued job (apps/api/src/services/explain-wait.ts) reads the backend rows
 * and their health for each view: it must be exact when the fleet changes between two views (no
 * cached fleet).
 */
describe('wait estimate of a queued job', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let health: HealthStore;
  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0 });
    admin = apiClient(stack.url, stack.adminKey);
    const deps = stack.apiResources.deps;
    health = new HealthStore(deps.redis, { prefix: deps.queue.opts.prefix ?? 'gantry' });
  });
  afterAll(() => stack.close());

  const addBackend = (id: string) =>
    stack.apiResources.deps.db.backend.create({ data: { id, kind: 'comfyui', url: `http://127.0.0.1:1/${id}`, capacity: 1, tags: [] } });

  it('counts the backends and their health as they are at each view', async () => {
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    expect(submitted.status).toBe(202);
    const eligible = async () => {
      const res = await admin('GET', `/api/v1/jobs/${submitted.body.id}`);
      expect(res.status).toBe(200);
      return res.body.queue.eligibleBackends as number;
    };
    expect(await eligible()).toBe(0);
    await addBackend('b1');
    expect(await eligible()).toBe(1);
    // b2 is draining in Redis before its row appears: its health counts from its first view.
    await health.setDraining('b2', true);
    await addBackend('b2');
    expect(await eligible()).toBe(1);
    // Same backends as the previous view: their health is read again.
    await health.setDraining('b1', true);
    expect(await eligible()).toBe(0);
    await health.setDraining('b2', false);
    expect(await eligible()).toBe(1);
  });
});
