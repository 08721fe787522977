/** The life of a job. The database is the source of truth; BullMQ is only transport. */
export const JOB_STATUSES = ['queued', 'dispatched', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
