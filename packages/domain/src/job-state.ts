import { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus } from '@gantry/contract';
import { AppError } from './errors.js';

/**
 * Allowed transitions. `dispatched|running → queued` is a retry (backend lost, worker died);
 * `queued → queued` is not a transition. `queued → succeeded` is a job answered from an earlier
 * job's result (`reuse: true`) without running; a worker's success comes only from
 * `dispatched`/`running` (the job door narrows it so).
 */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['dispatched', 'canceled', 'failed', 'succeeded'],
  dispatched: ['running', 'queued', 'succeeded', 'failed', 'canceled'],
  running: ['succeeded', 'failed', 'canceled', 'queued'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in for `to` to be reachable; used to guard conditional updates. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('INVALID_STATE', `A job cannot go from ${from} to ${to}`, { details: { from, to } });
  }
}
