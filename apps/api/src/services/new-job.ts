import { AppError, uuidv7, type SubmitJobInput } from '@gantry/domain';
import type { NewJob } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import type { ResolvedInputs } from './resolve-inputs.js';

/** The row a validated submit becomes (a single submit, a retry, an item of a batch): one mapping for all. */
export function newJobOf(
  tenantId: string,
  input: SubmitJobInput,
  resolved: ResolvedInputs,
  extra: { webhook?: { url: string; events: string[] } | undefined; idempotencyKey?: string | undefined; requestHash?: string | undefined; retryOf?: string | undefined },
): NewJob {
  return {
    id: uuidv7(),
    tenantId,
    kind: input.txt2img ? 'txt2img' : input.img2img ? 'img2img' : 'workflow',
    workflow: resolved.body,
    inputs: resolved.inputs,
    priority: input.priority,
    requirements: input.requirements,
    metadata: input.metadata,
    timeoutSeconds: input.timeoutSeconds,
    webhook: extra.webhook,
    idempotencyKey: extra.idempotencyKey,
    requestHash: extra.requestHash,
    retryOf: extra.retryOf,
  };
}

/** Refuses `adding` more jobs when the tenant's queued ones would pass GANTRY_TENANT_MAX_QUEUED (429 TENANT_QUEUE_FULL). */
export function assertQueueRoom(deps: ApiDeps, queued: number, adding: number): void {
  const limit = deps.config.tenantMaxQueued;
  if (queued + adding <= limit) return;
  const message =
    adding === 1
      ? `This tenant already has ${queued} queued jobs (limit ${limit})`
      : `This tenant has ${queued} queued jobs; ${adding} more would pass the limit of ${limit}`;
  throw new AppError('TENANT_QUEUE_FULL', message, { details: adding === 1 ? { queued, limit } : { queued, limit, adding } });
}
