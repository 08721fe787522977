import { apiClient, registrySum, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * A prompt that finishes on its backend while that backend's HTTP answers 500 (a broken proxy, a
 * restarting server): the worker cannot collect the outputs, and cannot ask what became of the
 * prompt either. Running it elsewhere at once would run it twice; the worker asks again with
 * backoff (for up to GANTRY_BACKEND_LOST_MS) and collects it once the backend answers.
 */
describe('a backend that cannot be asked about a finished prompt', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 2, stepMs: 5, workerEnv: { GANTRY_BACKEND_LOST_MS: '60000' } });
  });
  afterAll(() => stack.close());

  const unanswered = (outcome: string) => registrySum(stack.worker!.deps.metrics, 'gantry_backend_lookups_unanswered_total', { outcome });

  it('is asked again until it answers, and the prompt is collected, not run a second time', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const workflow = defaultWorkflow({ steps: 1000, width: 64, height: 64 });
    for (const node of Object.values(workflow)) if (node.class_type === 'SaveImage') node.inputs.filename_prefix = 'asked-again';
    const job = (await admin('POST', '/api/v1/jobs', { workflow })).body;
    const running = await waitUntil(async () => {
      const res = await admin('GET', `/api/v1/jobs/${job.id}`);
      return res.body.status === 'running' ? res.body : undefined;
    }, 60_000, 20);
    const sim = stack.sims[running.backend === 'sim0' ? 0 : 1]!;
    sim.setFaults({ httpErrorStatus: 500 });
    // The fault came before the prompt finished (else this test would prove nothing).
    expect(sim.executions('asked-again')).toHaveLength(0);

    await waitUntil(async () => ((await unanswered('retry')) > 0 ? true : undefined), 90_000, 50);
    expect(sim.executions('asked-again')).toHaveLength(1);
    sim.clearFaults();

    const done = await jobEnd(admin, job.id, 60_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, backend: running.backend });
    expect(done.artifacts).toHaveLength(1);
    expect(stack.sims.reduce((n, s) => n + s.executions('asked-again').length, 0)).toBe(1);
    expect(await unanswered('gave_up')).toBe(0);
  }, 240_000);
});
