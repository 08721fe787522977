import { z } from 'zod';
import { jobStatusSchema, submitJobSchema } from './job.js';
import { BATCH_MAX_JOBS } from './limits.js';

/**
 * Body of `POST /api/v1/jobs/batch`, as documented (OpenAPI, SDK types): 1 to BATCH_MAX_JOBS job
 * bodies, each exactly what `POST /api/v1/jobs` takes. The API checks the envelope with
 * `submitBatchEnvelopeSchema`, then each item with `submitJobSchema`, so every refused item is
 * named by its index.
 */
export const submitBatchSchema = z
  .object({
    jobs: z.array(submitJobSchema).min(1).max(BATCH_MAX_JOBS).meta({ description: `1 to ${BATCH_MAX_JOBS} jobs, each a \`POST /api/v1/jobs\` body` }),
  })
  .strict()
  .meta({ description: 'Many jobs in one request: validated all-or-nothing, stored in one transaction, answered in order.' });

/** The envelope only: the items are validated one by one (errors by index), their count against BATCH_MAX_JOBS. */
export const submitBatchEnvelopeSchema = z.object({ jobs: z.array(z.unknown()).min(1) }).strict();

/** What each accepted job of a batch answers with, in the order of `jobs`. */
export const batchJobResultSchema = z
  .object({
    id: z.string().meta({ description: 'The job id (UUIDv7)' }),
    status: jobStatusSchema.meta({ description: '`queued`; `succeeded` for a job answered from an earlier result (`reuse: true`)' }),
    reusedFrom: z.string().nullable().meta({ description: 'The job whose result this one answered with, or null' }),
  })
  .meta({ description: 'One accepted job of a batch.' });

export const batchResultSchema = z
  .object({
    items: z.array(batchJobResultSchema).meta({ description: 'One per submitted job, in the order of `jobs`' }),
  })
  .meta({ description: 'The accepted batch: every job, in order.' });

export type SubmitBatchInput = z.input<typeof submitBatchSchema>;
export type BatchJobResult = z.infer<typeof batchJobResultSchema>;
export type BatchResult = z.infer<typeof batchResultSchema>;
