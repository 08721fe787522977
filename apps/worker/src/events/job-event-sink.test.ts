import { ManualClock, type JobEventBody } from '@gantry/domain';
import type { JobChange, JobDoor, JobRef } from '@gantry/jobs';
import { createLogger } from '@gantry/logger';
import { JobEventSink } from './job-event-sink';

type Progress = Extract<JobEventBody, { type: 'progress' }>;

/** What the sink asked the door for, in order: progress rows by their overall, changes by their target. */
function fakeDoor() {
  const calls: string[] = [];
  const door = {
    change: (_job: JobRef, change: JobChange) => {
      calls.push(change.to);
      return Promise.resolve({} as never);
    },
    record: (_job: JobRef, event: Exclude<JobEventBody, { type: 'state' }>) => {
      calls.push(event.type === 'progress' ? `progress ${event.overall}` : event.type);
      return Promise.resolve({} as never);
    },
  };
  return { calls, door: door as unknown as JobDoor };
}

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
    expect(calls).toEqual(['running', 'succeeded']);
  });

  it('writes the latest progress once per interval, the first one interval after the attempt began', async () => {
    const clock = new ManualClock();
    const { calls, door } = fakeDoor();
    const sink = new JobEventSink(door, logger, job, 250, clock);
    void sink.emit(progress(0.1));
    void sink.emit(progress(0.2));
    await sink.drain(); // waiting for everything written flushes what is pending
    expect(calls).toEqual(['progress 0.2']);

    const later = fakeDoor();
    const quiet = new JobEventSink(later.door, logger, job, 250, clock);
    void quiet.emit(progress(0.1));
    clock.advance(249);
    expect(later.calls).toEqual([]);
    void quiet.emit(progress(0.3));
    clock.advance(1);
    void quiet.emit(progress(0.4));
    clock.advance(250);
    await quiet.drain();
    expect(later.calls).toEqual(['progress 0.3', 'progress 0.4']);
  });

  it('flushes pending progress before a failure, in order', async () => {
    const clock = new ManualClock();
    const { calls, door } = fakeDoor();
    const sink = new JobEventSink(door, logger, job, 250, clock);
    void sink.emit(progress(0.7));
    await sink.change({ to: 'failed', error: { code: 'EXECUTION_ERROR', message: 'boom' } as never });
    expect(calls).toEqual(['progress 0.7', 'failed']);
  });
});
