/** Limits of the API a client may check before sending. Zod-free (see zod-free.ts). */

/** The most jobs one `POST /api/v1/jobs/batch` may carry (a seed sweep, a dataset); more is 413 BATCH_TOO_LARGE. */
export const BATCH_MAX_JOBS = 1000;

/** The most events one `GET /api/v1/jobs/{id}/events` answers with: a shorter page is the last one. */
export const JOB_EVENTS_PAGE_MAX = 1000;
