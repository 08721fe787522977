import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { RELEASE_LEASE } from '@gantry/fleet';
import { renderEntryId } from '@gantry/queue';
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

  it("releases the slot at the success's commit, in the same write as its announcement, and ends the attempt once its message is out", async () => {
    const worker = stack.worker!;
    const { publisher, fleet } = worker.deps;
    const redis = (publisher as unknown as { redis: { stream: Socket & { _writev: (chunks: { chunk: unknown }[], cb: unknown) => void } } }).redis;
    // What each socket write to Redis carried (the door's writes of a turn are corked into one writev).
    const writes: string[] = [];
    const stream = redis.stream;
    const writev = stream._writev;
    const write = (stream as unknown as { _write: (chunk: unknown, enc: unknown, cb: unknown) => void })._write;
    stream._writev = function (this: Socket, chunks, cb) {
      writes.push(chunks.map((c) => String(c.chunk)).join(''));
      return writev.call(this, chunks, cb);
    };
    (stream as unknown as { _write: typeof write })._write = function (this: Socket, chunk, enc, cb) {
      writes.push(String(chunk));
      return write.call(this, chunk, enc, cb);
    };
    let released = false;
    const release = fleet.release.bind(fleet);
    fleet.release = async (...args: Parameters<typeof release>) => {
      released = true;
      return release(...args);
    };
    // The success's message is held until the slot is released: the release must not wait for it.
    let releasedFirst: boolean | null = null;
    let entryOpenMeanwhile: boolean | null = null;
    const { queue } = stack.apiResources.deps;
    const publishEvents = publisher.publishEvents.bind(publisher);
    publisher.publishEvents = async (events: readonly BusEvent[]) => {
      const succeeded = events.find((e) => e.event.type === 'state' && e.event.status === 'succeeded');
      if (succeeded) {
        releasedFirst = await waitUntil(async () => (released ? true : undefined), 10_000).catch(() => false);
        entryOpenMeanwhile = !(await queue.getJob(renderEntryId(succeeded.jobId)))?.finishedOn;
      }
      return publishEvents(events);
    };
    try {
      const admin = apiClient(stack.url, stack.adminKey);
      const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) });
      const end = await jobEnd(admin, submitted.body.id, 60_000);
      expect(end.status).toBe('succeeded');
      await waitUntil(async () => ((await queue.getJob(renderEntryId(submitted.body.id)))?.finishedOn ? true : undefined), 30_000);
      expect(releasedFirst).toBe(true);
      // The attempt ended (its queue entry completed) only once the success's message was out.
      expect(entryOpenMeanwhile).toBe(true);
    } finally {
      stream._writev = writev;
      (stream as unknown as { _write: typeof write })._write = write;
    }
    const releaseSha = createHash('sha1').update(RELEASE_LEASE.lua).digest('hex');
    // EVAL with the script's text the first time on a connection, EVALSHA after.
    const releasing = writes.filter((w) => w.includes(releaseSha) || w.includes(RELEASE_LEASE.lua));
    expect(releasing).toHaveLength(1);
    // In the same write as the success's count (its message, held here, leaves in it too when not held).
    expect(releasing[0]).toContain(`${stack.keyPrefix}:tenant-jobs`);
  });
});
