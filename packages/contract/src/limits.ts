/** Limits of the API a client may check before sending. Zod-free (see zod-free.ts). */

/** The most jobs one `POST /api/v1/jobs/batch` may carry (a seed sweep, a dataset); more is 413 BATCH_TOO_LARGE. */
export const BATCH_MAX_JOBS = 1000;

/** The most events one `GET /api/v1/jobs/{id}/events` answers with: a shorter page is the last one. */
export const JOB_EVENTS_PAGE_MAX = 1000;

/**
 * The fixed lengths of a workflow's strings (in code points, as zod's `.max()` counts them), set by
 * `workflowSchema` (workflow.ts) and mirrored by its hot-path checker `isWorkflowAsParsed`
 * (workflow-check.ts), which accepts a string within them in UTF-16 units and leaves a longer one
 * to zod: both read them from here. How many nodes and bytes a workflow may have is
 * configured instead (GANTRY_WORKFLOW_MAX_*).
 */
export const WORKFLOW_NODE_ID_MAX = 64;
/** The longest node `class_type`. */
export const WORKFLOW_CLASS_TYPE_MAX = 200;
/** The longest node `_meta.title`. */
export const WORKFLOW_TITLE_MAX = 500;
