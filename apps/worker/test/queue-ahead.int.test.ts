import { apiClient, jobEnd, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { loadWorkerEnv } from '../src/env';
import { defaultWorkflow } from '../../api/test/fixtures';

/** ComfyUI's GET /queue of a sim: the prompt ids running and pending, in order. */
async function simQueue(stack: TestStack): Promise<{ running: string[]; pending: string[] }> {
  const res = await fetch(`${stack.sims[0]!.url}/queue`);
  const body = (await res.json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
  return { running: body.queue_running.map((e) => String(e[1])), pending: body.queue_pending.map((e) => String(e[1])) };
}

/**
 * Queue-ahead (GANTRY_QUEUE_AHEAD): once a prompt runs and is within the lead of its expected end,
 * its slot goes to the next job, whose prompt waits in the backend's own queue and starts as soon as
 * the running one ends. The lead here is longer than any job, so every running prompt is "near its
 * end" once the GPU's pace is known: the next prompt is sent as soon as the one before it starts.
 * The long prompt keeps the GPU busy for seconds, so the test sees the next one waiting on the
 * backend before it ends (it waits for that event; no timing is asserted).
 */
describe('queue-ahead: the next prompt waits in the backend queue before the running one ends', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({
      gpus: 1,
      stepMs: 5,
      workerEnv: { GANTRY_SLOT_LEAD_MS: '60000', GANTRY_SLOT_WAIT_MS: '120000', GANTRY_QUEUE_AHEAD: 'true' },
    });
    admin = apiClient(stack.url, stack.adminKey);
    // Three jobs teach the worker the GPU's pace (no slot counts as near its end before).
    for (const seed of [1, 2, 3]) {
      const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed }) })).body;
      expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded' });
    }
    expect(stack.worker!.deps.fleet.pace.expectedMs('sim0')).not.toBeNull();
  }, 120_000);
  afterAll(() => stack.close());

  const executions = (): number => stack.sims[0]!.executions().length;
  const status = async (id: string): Promise<string> => (await admin('GET', `/api/v1/jobs/${id}`)).body.status;
  /** Waits until the sim runs one prompt with exactly one waiting behind it. */
  const oneWaitingBehindOne = () =>
    waitUntil(async () => {
      const q = await simQueue(stack);
      return q.running.length === 1 && q.pending.length === 1 ? q : undefined;
    }, 60_000, 10);

  /** Submits a prompt that keeps the GPU busy for seconds and waits until it runs. */
  const longRunning = async (seed: number) => {
    const long = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1200, seed }) })).body;
    await waitUntil(async () => ((await status(long.id)) === 'running' ? true : undefined), 60_000, 10);
    return long;
  };

  it('sends the next job while the running prompt still runs, one prompt ahead at most, and every prompt runs once', async () => {
    const before = executions();
    const fleet = stack.worker!.deps.fleet;
    const finish = jest.spyOn(fleet, 'finish'); // still finishes (a spy, not a mock)
    let long: { id: string };
    try {
      long = await longRunning(11);
      await waitUntil(async () => (finish.mock.calls.length > 0 ? true : undefined), 30_000, 10);
      // Freed at its start, about its expected time before its end: the drain tail's rule is told
      // how long a prompt sent to this GPU now waits behind it.
      const [, aheadMs] = finish.mock.calls[0]!;
      expect(aheadMs).toBeGreaterThan(0);
      expect(aheadMs).toBeLessThanOrEqual(fleet.pace.expectedMs('sim0')! + 1);
    } finally {
      finish.mockRestore();
    }
    // Its slot was freed at its start (near its end by the lead): the next job takes it.
    const more = [
      (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 12 }) })).body,
      (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 13 }) })).body,
    ];
    await oneWaitingBehindOne();
    // The long prompt runs; one job's prompt is on the backend already (dispatched, not running),
    // and the other waits in Gantry: a prompt waiting behind another does not free its slot early.
    expect(await status(long.id)).toBe('running');
    expect((await Promise.all(more.map((j) => status(j.id)))).sort()).toEqual(['dispatched', 'queued']);
    for (const job of [long, ...more]) {
      expect(await jobEnd(admin, job.id, 90_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
    }
    expect(executions()).toBe(before + 3); // each prompt ran once
    await waitUntil(async () => ((await stack.worker!.deps.fleet.leases.slotsInUse(['sim0'])).sim0 ? undefined : true), 10_000, 10);
  }, 150_000);

  it("learns the GPU's pace from a prompt sent ahead without the time it waited behind the running one", async () => {
    const spy = jest.spyOn(stack.worker!.deps.fleet.pace, 'observe'); // observed still (a spy, not a mock)
    try {
      const long = await longRunning(31);
      const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 32 }) })).body;
      await oneWaitingBehindOne(); // the short prompt waits on the backend while the long one runs
      for (const job of [long, next]) expect(await jobEnd(admin, job.id, 90_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
      await waitUntil(async () => (spy.mock.calls.length >= 2 ? true : undefined), 10_000, 10);
      const [longMs, nextMs] = spy.mock.calls.map(([, ms]) => ms);
      // The long prompt held its slot for seconds; the one sent ahead of its end waited about as long
      // on the backend, then ran two steps: its slot time is its own, a small part of the long one's.
      expect(longMs).toBeGreaterThan(0);
      expect(nextMs).toBeLessThan(longMs! / 4);
    } finally {
      spy.mockRestore();
    }
  }, 150_000);

  it('cancels a job whose prompt waits ahead: it leaves the backend queue and never runs; the running one is not touched', async () => {
    const before = executions();
    const long = await longRunning(21);
    const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 22 }) })).body;
    await oneWaitingBehindOne();
    expect(await status(next.id)).toBe('dispatched');
    expect((await admin('POST', `/api/v1/jobs/${next.id}/cancel`)).status).toBe(202); // accepted: its worker stops the prompt
    expect(await jobEnd(admin, next.id, 60_000)).toMatchObject({ status: 'canceled' });
    // Deleted from the backend's queue: only the long prompt is left there.
    await waitUntil(async () => ((await simQueue(stack)).pending.length === 0 ? true : undefined), 30_000, 10);
    expect(await jobEnd(admin, long.id, 90_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(executions()).toBe(before + 1); // the canceled prompt never ran
  }, 150_000);
});

describe('GANTRY_QUEUE_AHEAD configuration', () => {
  it('needs a lead: without GANTRY_SLOT_LEAD_MS the worker refuses to start', () => {
    const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(() => loadWorkerEnv({ ...base, GANTRY_QUEUE_AHEAD: 'true' })).toThrow(/GANTRY_QUEUE_AHEAD: needs GANTRY_SLOT_LEAD_MS/);
    expect(loadWorkerEnv({ ...base, GANTRY_QUEUE_AHEAD: 'true', GANTRY_SLOT_LEAD_MS: '200' }).GANTRY_QUEUE_AHEAD).toBe(true);
    expect(loadWorkerEnv(base).GANTRY_QUEUE_AHEAD).toBe(false);
  });
});
