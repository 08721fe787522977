import { AppError, isTerminal, submitJobSchema, type SubmitJobInput } from '@gantry/domain';
import { findTenantJob, type JobRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { submitJob, type SubmitResult } from './submit-job.js';

/** The submit body a stored job came from (its input, without ids, hashes or state). */
export function resubmitInput(job: JobRow): SubmitJobInput {
  const body = {
    ...(job.kind === 'txt2img' ? { txt2img: job.workflow } : { workflow: job.workflow }),
    priority: job.priority,
    ...(job.requirements === null ? {} : { requirements: job.requirements }),
    ...(job.metadata === null ? {} : { metadata: job.metadata }),
    ...(job.timeoutSeconds === null ? {} : { timeoutSeconds: job.timeoutSeconds }),
    ...(job.webhookUrl ? { webhook: { url: job.webhookUrl, events: job.webhookEvents } } : {}),
  };
  const parsed = submitJobSchema.safeParse(body);
  if (!parsed.success) {
    throw new AppError('INVALID_STATE', 'The job\'s input is no longer accepted by this API and cannot be retried');
  }
  return parsed.data;
}

/**
 * Submits a new job with the input of a finished one (failed, canceled or succeeded) and
 * `retryOf` set to it, through the same checks as `POST /jobs` (eligibility, tenant queue cap,
 * idempotency, metrics). Another tenant's job is not found; an unfinished one is INVALID_STATE.
 */
export async function retryJob(deps: ApiDeps, tenantId: string, jobId: string, idempotencyKey: string | undefined): Promise<SubmitResult> {
  const job = await findTenantJob(deps.db, tenantId, jobId);
  if (!job) throw new AppError('NOT_FOUND', 'No such job');
  if (!isTerminal(job.status)) {
    throw new AppError('INVALID_STATE', `The job is ${job.status}; only a failed, canceled or succeeded job can be retried`, {
      details: { status: job.status },
    });
  }
  return submitJob(deps, tenantId, resubmitInput(job), idempotencyKey, job.id);
}
