import type { BusEvent } from '@gantry/queue';
import { apiClient, jobEnd, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { readJobRow } from '@gantry/db';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * The prompt goes to its backend once the job's `dispatched` state is committed in PostgreSQL
 * (what recovery reads), without waiting for that change's message on Redis: here the worker's
 * publish of the `dispatched` event is held until the backend has the prompt. The message still
 * goes out before the job's later events.
 */
describe('dispatch: POST /prompt after the commit, not after the publish', () => {
  let stack: TestStack;

  beforeEach(async () => {
    stack = await startStack({ gpus: 1, stepMs: 1 });
  });
  afterEach(async () => {
    await stack.close();
  });

  it('submits the prompt while the dispatched event is still unpublished, and publishes the events in order', async () => {
    const worker = stack.worker!;
    const { publisher, db } = worker.deps;
    const sim = stack.sims[0]!;
    const published: string[] = [];
    const publishEvents = publisher.publishEvents.bind(publisher);
    // The held publish waits until the backend has the prompt (in its queue or history).
    publisher.publishEvents = async (events: readonly BusEvent[]) => {
      const dispatched = events.find((e) => e.event.type === 'state' && e.event.status === 'dispatched');
      if (dispatched) {
        await waitUntil(async () => {
          const row = await readJobRow(db, dispatched.jobId);
          if (!row?.promptId) return undefined;
          const history = (await (await fetch(`${sim.url}/history/${row.promptId}`)).json()) as Record<string, unknown>;
          if (row.promptId in history) return true;
          const queue = JSON.stringify(await (await fetch(`${sim.url}/queue`)).json());
          return queue.includes(row.promptId) ? true : undefined;
        }, 30_000);
      }
      for (const e of events) if (e.event.type === 'state') published.push(e.event.status);
      return publishEvents(events);
    };
    const admin = apiClient(stack.url, stack.adminKey);
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) });
    expect(submitted.status).toBe(202);
    const end = await jobEnd(admin, submitted.body.id, 60_000);
    expect(end.status).toBe('succeeded');
    expect(published).toEqual(['dispatched', 'running', 'succeeded']);
  });
});
