import type { BackendDriver, OutputFile } from '@gantry/backends';
import { isTransientDbError, type JobRow, type TransitionResult } from '@gantry/db';
import type { JobEventSink } from '../events/job-event-sink.js';
import { fetchOutputs } from '../outputs/store-outputs.js';
import type { WorkerDeps } from './context.js';

/**
 * The backend finished the prompt but its success could not be recorded (PostgreSQL unreachable
 * past the retry deadline). The job must not fall into the failure path, which would run the
 * prompt again: it stays dispatched/running, owned by this worker, and the next pickup of its
 * queue entry (or the reconciler, once its heartbeat is stale) collects the outputs from the
 * backend's history instead.
 */
export class OutcomeNotRecorded extends Error {
  constructor(cause: unknown) {
    super('the job finished on its backend but its success could not be recorded yet', { cause });
    this.name = 'OutcomeNotRecorded';
  }
}

/**
 * Stores a finished prompt's outputs and records the job's success with them, in one statement
 * (the door retries transient database errors). Null when the job had moved on (e.g. another
 * worker recorded the same success first). Resolves at the commit: the success's count and
 * message are under way (the sink's `drain` waits for them), so the caller's release of its slot
 * leaves in the same write to Redis as the count (and as the message, unless a webhook delivery is
 * handed to its queue first).
 */
export async function recordSuccess(
  deps: WorkerDeps,
  job: Pick<JobRow, 'id' | 'tenantId'>,
  driver: BackendDriver,
  files: OutputFile[],
  progress: number,
  sink: JobEventSink,
): Promise<TransitionResult | null> {
  const outputs = await fetchOutputs(deps.store, driver, job, files, deps.config.outputMaxBytes);
  try {
    // The change waits for every event emitted before it (and supersedes pending progress).
    return await sink.commit({ to: 'succeeded', progress, outputs });
  } catch (err) {
    if (isTransientDbError(err)) throw new OutcomeNotRecorded(err);
    throw err;
  }
}
