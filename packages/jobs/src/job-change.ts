import { splitJobError, stripHostPaths, type JobErrorInfo, type JobStatus } from '@gantry/domain';
import type { AttemptError, NewArtifact, TransitionPatch } from '@gantry/db';

/**
 * Every state change a job can go through, typed by its target. The door (job-door.ts) turns one
 * into a single guarded statement (transition + event + outbox rows), then publishes and counts it.
 */
export type JobChange =
  /** A worker leased a backend and is about to submit the prompt; it now holds the job. */
  | { to: 'dispatched'; backendId: string; promptId: string; workerId: string }
  /** The backend started executing the prompt. */
  | { to: 'running' }
  /** The prompt finished; its outputs are recorded in the same statement. */
  | { to: 'succeeded'; progress: number; outputs: NewArtifact[] }
  | { to: 'failed'; error: JobErrorInfo }
  /** `onlyFrom: ['queued']`: the API cancels only a job no worker holds yet. */
  | { to: 'canceled'; error: JobErrorInfo; onlyFrom?: readonly JobStatus[] }
  /**
   * Back to the queue: `retry` after a retryable failure, `shutdown` when its worker stops,
   * `lost` when recovery found the prompt gone from its backend. `lastError` says why.
   */
  | { to: 'queued'; why: 'retry' | 'shutdown' | 'lost'; lastError?: AttemptError };

/** The repository patch and source-status guard a change means. */
export function patchOf(change: JobChange): { patch: TransitionPatch; from?: readonly JobStatus[] } {
  switch (change.to) {
    case 'dispatched':
      return { patch: { backendId: change.backendId, promptId: change.promptId, workerId: change.workerId, incrementAttempts: true } };
    case 'running':
      return { patch: {} };
    case 'succeeded':
      // A worker's success needs a run: `queued → succeeded` is only for reuse (JobDoor.submitReused).
      return { patch: { progress: change.progress, outputs: change.outputs }, from: ['dispatched', 'running'] };
    case 'failed':
      return { patch: errorPatch(change.error) };
    case 'canceled':
      return change.onlyFrom ? { patch: errorPatch(change.error), from: change.onlyFrom } : { patch: errorPatch(change.error) };
    case 'queued':
      return {
        patch: { backendId: null, ...(change.lastError ? { lastError: { ...change.lastError, message: stripHostPaths(change.lastError.message) } } : {}) },
      };
  }
}

/** What a tenant may see of an error goes to the job and its events; the rest to operators only. */
function errorPatch(error: JobErrorInfo): TransitionPatch {
  const { tenant, internal } = splitJobError(error);
  return { error: tenant, errorInternal: internal };
}
