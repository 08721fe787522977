import { ManualClock, type JobEventBody } from '@gantry/domain';
import type { JobChange, JobDoor, JobRef } from '@gantry/jobs';
import { createLogger } from '@gantry/logger';
import { JobEventSink } from './job-event-sink';

type Progress = Extract<JobEventBody, { type: 'progress' }>;

/**
 * What the sink asked the door for, in order: progress rows by their overall, changes by their
 * target. A change's announcement settles at once, or when `hold` (if given) resolves.
 */
function fakeDoor(hold?: Promise<void>) {
  const calls: string[] = [];
  const door = {
    commit: (_job: JobRef, change: JobChange) => {
      calls.push(change.to);
      const announced = (hold ?? Promise.resolve()).then(() => {
        calls.push(`${change.to} announced`);
      });
      return Promise.resolve({ result: { status: change.to } as never, announced });
    },
    record: (_job: JobRef, event: Exclude<JobEventBody, { type: 'state' }>) => {
      calls.push(event.type === 'progress' ? `progress ${event.overall}` : event.type);
      return Promise.resolve({} as never);
    },
  };
  return { calls, door: door as unknown as JobDoor };
}

/** The door's calls without the announcements (the tests of coalescing look at what was written). */
const written = (calls: string[]) => calls.filter((c) => !c.endsWith(' announced'));

const job: JobRef = { id: 'j1', tenantId: 't1', kind: 'workflow', createdAt: new Date(0), startedAt: null };
const progress = (overall: number): Progress => ({ type: 'progress', node: '3', value: overall * 10, max: 10, overall });

/**
 * Progress coalescing on the injected clock: the first progress row comes one interval after the
 * attempt began, a success supersedes what is still pending (a short job writes no progress row),
 * anything else flushes it first.
 */
describe('JobEventSink', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });

  it('writes no progress row for a job that succeeds within its first interval', async () => {
    const clock = new ManualClock();
    const { calls, door } = fakeDoor();
    const sink = new JobEventSink(door, logger, job, 250, clock);
    await sink.change({ to: 'running' });
    void sink.emit(progress(0.5));
    void sink.emit(progress(1));
    clock.advance(100);
    await sink.change({ to: 'succeeded', progress: 1, outputs: [] });
    clock.advance(1000);
    await sink.drain();
    expect(written(calls)).toEqual(['running', 'succeeded']);
  });

  it('writes the latest progress once per interval, the first one interval after the attempt began', async () => {
    const clock = new ManualClock();
    const { calls, door } = fakeDoor();
    const sink = new JobEventSink(door, logger, job, 250, clock);
    void sink.emit(progress(0.1));
    void sink.emit(progress(0.2));
    await sink.drain(); // waiting for everything written flushes what is pending
    expect(written(calls)).toEqual(['progress 0.2']);

    const later = fakeDoor();
    const quiet = new JobEventSink(later.door, logger, job, 250, clock);
    void quiet.emit(progress(0.1));
    clock.advance(249);
    expect(written(later.calls)).toEqual([]);
    void quiet.emit(progress(0.3));
    clock.advance(1);
    void quiet.emit(progress(0.4));
    clock.advance(250);
    await quiet.drain();
    expect(written(later.calls)).toEqual(['progress 0.3', 'progress 0.4']);
  });

  it('flushes pending progress before a failure, in order', async () => {
    const clock = new ManualClock();
    const { calls, door } = fakeDoor();
    const sink = new JobEventSink(door, logger, job, 250, clock);
    void sink.emit(progress(0.7));
    await sink.change({ to: 'failed', error: { code: 'EXECUTION_ERROR', message: 'boom' } as never });
    expect(written(calls)).toEqual(['progress 0.7', 'failed']);
  });

  it('resolves a commit once the change is committed, and takes nothing after it before its announcement', async () => {
    let release!: () => void;
    const { calls, door } = fakeDoor(new Promise<void>((resolve) => (release = resolve)));
    const sink = new JobEventSink(door, logger, job, 250, new ManualClock());
    const dispatched = await sink.commit({ to: 'dispatched', backendId: 'b1', promptId: 'p1', workerId: 'w1' });
    expect(dispatched).toEqual({ status: 'dispatched' });
    expect(calls).toEqual(['dispatched']); // committed, its announcement still under way
    const running = sink.change({ to: 'running' });
    void sink.emit({ type: 'output', artifactId: 'a1', nodeId: '9', filename: 'x.png', contentType: 'image/png', bytes: 1 } as never);
    await Promise.resolve();
    expect(calls).toEqual(['dispatched']); // the next change waits for the announcement, in order
    release();
    await running;
    await sink.drain();
    expect(calls).toEqual(['dispatched', 'dispatched announced', 'running', 'running announced', 'output']);
  });

  it('resolves a change only once it was announced', async () => {
    let release!: () => void;
    const { calls, door } = fakeDoor(new Promise<void>((resolve) => (release = resolve)));
    const sink = new JobEventSink(door, logger, job, 250, new ManualClock());
    let settled = false;
    const failed = sink.change({ to: 'failed', error: { code: 'EXECUTION_ERROR', message: 'boom' } as never }).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['failed']);
    expect(settled).toBe(false);
    release();
    await failed;
    expect(calls).toEqual(['failed', 'failed announced']);
  });
});
