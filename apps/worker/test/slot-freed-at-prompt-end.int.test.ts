import { Redis } from 'ioredis';
import { leaseFreedChannel } from '@gantry/queue';
import { apiClient, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import type { RunningWorker } from '../src/worker';
import { defaultWorkflow } from '../../api/test/fixtures';

/** Holds every output at the stack's worker's store until `open()`; `storing()`: outputs that reached it. */
function holdOutputsOf(stack: TestStack) {
  const store = stack.worker!.deps.store;
  const put = store.put.bind(store);
  let storing = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  store.put = async (...args: Parameters<typeof put>) => {
    storing++;
    await gate;
    return put(...args);
  };
  return { storing: () => storing, open, restore: () => (store.put = put) };
}

/**
 * Listens to the stack's lease-freed channel (the slots announced to every worker); `all()` sends a
 * last message and, once it has arrived (everything published before it with it), gives the
 * announcements before it.
 */
async function listenForAnnouncements(stack: TestStack): Promise<{ all(): Promise<string[]>; close(): void }> {
  const subscriber = new Redis(stack.redisUrl);
  const announced: string[] = [];
  subscriber.on('message', (_channel: string, message: string) => announced.push(message));
  await subscriber.subscribe(leaseFreedChannel(stack.prefix));
  return {
    async all() {
      const publisher = new Redis(stack.redisUrl);
      await publisher.publish(leaseFreedChannel(stack.prefix), 'test end');
      publisher.disconnect();
      await waitUntil(async () => (announced.includes('test end') ? true : undefined), 10_000, 5);
      return announced.slice(0, announced.indexOf('test end'));
    },
    close: () => subscriber.disconnect(),
  };
}

/**
 * Holds the first prompt's end until a job of the worker waits for a hand-over (it is offered one
 * between its slot attempts), so the finish picks it in the same tick; only the first finish waits,
 * whenever it comes (a later prompt's end finds nobody waiting). Returns the undo.
 */
function holdFirstFinishUntilOffered(fleet: RunningWorker['deps']['fleet']): () => void {
  let offered = 0;
  const wakers: Array<() => void> = [];
  const offer = fleet.offerHandOver.bind(fleet);
  fleet.offerHandOver = (place, take) => {
    const handOver = offer(place, take);
    offered++;
    for (const wake of wakers.splice(0)) wake();
    return {
      signal: handOver.signal,
      done: () => {
        offered--;
        return handOver.done();
      },
    };
  };
  const finish = fleet.finish.bind(fleet);
  let once = true;
  fleet.finish = async (lease) => {
    if (!once) return finish(lease);
    once = false;
    while (offered === 0) await new Promise<void>((resolve) => wakers.push(resolve));
    return finish(lease);
  };
  return () => {
    fleet.finish = finish;
    fleet.offerHandOver = offer;
  };
}

/**
 * A backend's slot is for its GPU: it is freed as soon as the backend says the prompt ended, and
 * the next job runs there while the first one's outputs are still being stored and its success
 * recorded (not after that bookkeeping). The job still runs on the backend until then: operators see
 * it in flight, and the backend cannot be deleted under it.
 */


describe('the slot of a prompt that ended on its backend', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5 });
  });
  afterAll(() => stack.close());

  const slotsInUse = async (): Promise<number> => (await stack.worker!.deps.fleet.leases.slotsInUse(['sim0'])).sim0 ?? 0;

  const holdOutputs = () => holdOutputsOf(stack);

  it('is free while the outputs are stored, and the next job runs on the GPU meanwhile', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const { storing, open, restore } = holdOutputs();
    try {
      const first = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 101 }) })).body;
      await waitUntil(async () => (storing() > 0 ? true : undefined), 60_000, 10);
      // Its prompt is done on sim0 and its output is held at the store: the slot is free already.
      await waitUntil(async () => ((await slotsInUse()) === 0 ? true : undefined), 30_000, 10);
      expect((await admin('GET', `/api/v1/jobs/${first.id}`)).body.status).toBe('running');

      const second = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 202 }) })).body;
      await waitUntil(async () => (storing() > 1 ? true : undefined), 60_000, 10); // ran on sim0 to its end
      expect((await admin('GET', `/api/v1/jobs/${first.id}`)).body.status).toBe('running');
      expect(sim0Executions()).toBe(2);

      open();
      expect(await jobEnd(admin, first.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(await jobEnd(admin, second.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(sim0Executions()).toBe(2); // each prompt ran once
      await waitUntil(async () => ((await slotsInUse()) === 0 ? true : undefined), 10_000, 10);
    } finally {
      open();
      restore();
    }
  }, 120_000);

  it("keeps the job in flight on its backend while it settles: a drained backend cannot be deleted until it settled, its prompt runs once, and its strikes are forgiven only once the success is recorded", async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const { storing, open, restore } = holdOutputs();
    const before = sim0Executions();
    const health = stack.worker!.deps.health;
    const strikes = async () => (await health.store.read('sim0')).snapshot?.strikes;
    try {
      await health.recordStrike('sim0');
      expect(await strikes()).toBe(1);
      const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 303 }) })).body;
      await waitUntil(async () => (storing() > 0 ? true : undefined), 60_000, 10);
      await waitUntil(async () => ((await slotsInUse()) === 0 ? true : undefined), 30_000, 10); // its GPU slot is free
      // The retire procedure: drain, wait for inFlight 0, delete. The settling job keeps it at 1.
      expect((await admin('POST', '/api/v1/backends/sim0/drain')).status).toBe(200);
      expect((await admin('GET', '/api/v1/backends/sim0')).body.inFlight).toBe(1);
      const refused = await admin('DELETE', '/api/v1/backends/sim0');
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'INVALID_STATE', errors: { inFlight: 1 } });
      expect(await strikes()).toBe(1); // its outputs are not collected yet: nothing forgiven at the prompt's end

      open();
      expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(sim0Executions()).toBe(before + 1); // its prompt ran once
      await waitUntil(async () => ((await strikes()) === 0 ? true : undefined), 10_000, 10); // forgiven with its lease's end
      await waitUntil(async () => ((await admin('GET', '/api/v1/backends/sim0')).body.inFlight === 0 ? true : undefined), 10_000, 10);
      expect((await admin('POST', '/api/v1/backends/sim0/undrain')).status).toBe(200);
    } finally {
      open();
      restore();
    }
  }, 120_000);

  const sim0Executions = (): number => stack.sims[0]!.executions().length;
});

/**
 * When the worker holds a job waiting for a slot at another job's prompt's end, the freed slot goes
 * to it in the finish's own script: nobody is told (no lease-freed message), and the waiting job
 * runs on the GPU while the first one still stores its outputs, still in flight on the backend.
 */
describe("the slot of a prompt that ended, with a job of the same worker waiting for it", () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A fixed concurrency of 2 on one single-slot GPU: the worker takes a second job that waits for the slot.
    stack = await startStack({ gpus: 1, stepMs: 5, workerEnv: { GANTRY_WORKER_CONCURRENCY: '2', GANTRY_SLOT_WAIT_MS: '120000' } });
  });
  afterAll(() => stack.close());

  it("goes straight to the waiting job at the prompt's end, announced to no one; the first job stays in flight until it settled", async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const fleet = stack.worker!.deps.fleet;
    const announcements = await listenForAnnouncements(stack);
    // The first prompt's end waits until the second job waits for a hand-over (it is offered one
    // between its slot attempts): the finish then picks it in the same tick. Only the first finish
    // waits, whenever it comes (the second prompt's end finds nobody waiting).
    const unhold = holdFirstFinishUntilOffered(fleet);
    const { storing, open, restore } = holdOutputsOf(stack);
    try {
      const first = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 404 }) })).body;
      await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${first.id}`)).body.status === 'running' ? true : undefined), 60_000, 10);
      const second = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 505 }) })).body;
      await waitUntil(async () => (storing() > 1 ? true : undefined), 60_000, 10); // the second ran on sim0 to its end meanwhile
      expect((await admin('GET', `/api/v1/jobs/${first.id}`)).body.status).toBe('running');
      // Both still run on the backend (the first stores its outputs, the second too): a delete waits for them.
      expect((await admin('POST', '/api/v1/backends/sim0/drain')).status).toBe(200);
      const refused = await admin('DELETE', '/api/v1/backends/sim0');
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'INVALID_STATE', errors: { inFlight: 2 } });
      open();
      expect(await jobEnd(admin, first.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(await jobEnd(admin, second.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(stack.sims[0]!.executions().length).toBe(2);
      await waitUntil(async () => ((await admin('GET', '/api/v1/backends/sim0')).body.inFlight === 0 ? true : undefined), 10_000, 10);
      expect((await admin('POST', '/api/v1/backends/sim0/undrain')).status).toBe(200);
      // Only the second prompt's end announced its slot (nobody waited then); the first's went to the second.
      expect(await announcements.all()).toHaveLength(1);
    } finally {
      open();
      restore();
      unhold();
      announcements.close();
    }
  }, 120_000);
});

describe('a job let in ahead for a slot about to free (GANTRY_SLOT_LEAD_MS)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A lead longer than any job here: once the GPU's pace is known, every slot counts as about to free.
    stack = await startStack({ gpus: 1, stepMs: 5, workerEnv: { GANTRY_SLOT_LEAD_MS: '60000', GANTRY_SLOT_WAIT_MS: '120000' } });
  });
  afterAll(() => stack.close());

  it("is taken from the queue while the GPU's only slot is busy, and takes that slot at the prompt's end, announced to no one", async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const fleet = stack.worker!.deps.fleet;
    // Three jobs teach the worker the GPU's pace.
    for (const seed of [1, 2, 3]) {
      const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed }) })).body;
      expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded' });
    }
    expect(fleet.pace.expectedMs('sim0')).not.toBeNull();
    const announcements = await listenForAnnouncements(stack);
    // The first prompt's end hands its slot over only while the waiting job is between its slot
    // attempts (not in the middle of one): the finish then picks it, whatever the timing.
    const unhold = holdFirstFinishUntilOffered(fleet);
    // Jobs of the worker that wait for a slot (offered a hand-over between their attempts).
    let offered = 0;
    const offer = fleet.offerHandOver.bind(fleet);
    fleet.offerHandOver = (place, take) => {
      offered++;
      return offer(place, take);
    };
    // The next prompt's end reaches the worker only once the test says so: until then its slot is busy.
    const driver = fleet.member('sim0')!.driver;
    const run = driver.run.bind(driver);
    let ended = false;
    let letEnd!: () => void;
    const endHeld = new Promise<void>((resolve) => (letEnd = resolve));
    driver.run = async (...args: Parameters<typeof run>) => {
      const result = await run(...args);
      if (!ended) {
        ended = true;
        await endHeld;
      }
      return result;
    };
    try {
      const first = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 606 }) })).body;
      await waitUntil(async () => (ended ? true : undefined), 60_000, 10);
      const second = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 707 }) })).body;
      // Without the lead the worker would not take it while its only slot is held and none is free.
      await waitUntil(async () => (offered > 0 ? true : undefined), 60_000, 10);
      expect((await admin('GET', `/api/v1/jobs/${first.id}`)).body.status).toBe('running');
      letEnd();
      expect(await jobEnd(admin, first.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      expect(await jobEnd(admin, second.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      // Neither slot counts any longer once its prompt ended.
      await waitUntil(async () => (fleet.leases.heldByThisProcess === 0 ? true : undefined), 10_000, 5);
      expect(fleet.ending.soon).toBe(0);
      // Only the second prompt's end announced its slot (nobody waited then); the first's went to the second.
      expect(await announcements.all()).toHaveLength(1);
    } finally {
      letEnd();
      driver.run = run;
      fleet.offerHandOver = offer;
      unhold();
      announcements.close();
    }
  }, 120_000);
});
