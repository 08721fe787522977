import { AppError, isTerminal, submitJobSchema, type SubmitJobInput } from '@gantry/domain';
import { findTenantJob, listJobInputs, type JobInputRow, type JobRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { submitJob, type SubmitResult } from './submit-job.js';

/**
 * The submit body a stored job came from (its input, without ids, hashes or state). Its inputs
 * name their uploads again, and the bound workflow fields carry the input's name again, so the
 * retry binds them as the first submit did (an upload deleted since is UPLOAD_NOT_FOUND).
 */
function resubmitInput(job: JobRow, inputs: JobInputRow[] = []): SubmitJobInput {
  let workflow: unknown = job.workflow;
  const specs: Record<string, { upload: string; node?: string; field?: string }> = {};
  if (inputs.length > 0) {
    const nodes = structuredClone(job.workflow) as Record<string, { inputs: Record<string, unknown> }>;
    for (const i of inputs) {
      if (!i.uploadId) throw new AppError('UPLOAD_NOT_FOUND', `The upload of the job's input ${JSON.stringify(i.name)} was deleted; the job cannot be retried`);
      const targets = i.targets as { node: string; field: string }[];
      specs[i.name] = job.kind === 'workflow' && targets.length === 1 ? { upload: i.uploadId, node: targets[0]!.node, field: targets[0]!.field } : { upload: i.uploadId };
      if (job.kind === 'workflow') for (const t of targets) if (nodes[t.node]) nodes[t.node]!.inputs[t.field] = i.name;
    }
    if (job.kind === 'workflow') workflow = nodes;
  }
  const body = {
    ...(job.kind === 'workflow' ? { workflow } : { [job.kind]: job.workflow }),
    ...(inputs.length > 0 ? { inputs: specs } : {}),
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
  return submitJob(deps, tenantId, resubmitInput(job, await listJobInputs(deps.db, job.id)), idempotencyKey, job.id);
}
