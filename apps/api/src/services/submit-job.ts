import { AppError, checkWorkflowSize, type SubmitJobInput } from '@gantry/domain';
import { findJobByIdempotencyKey, isForeignKeyViolation, isUniqueViolation, type JobRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { assertRunnable } from './check-runnable.js';
import { checkWebhook } from './check-webhook.js';
import { assertQueueRoom, newJobOf } from './new-job.js';
import { requestHash } from './request-hash.js';
import { resolveInputs } from './resolve-inputs.js';
import { submitOrReuse } from './submit-or-reuse.js';
import { readSubmitState } from './submit-state.js';

export interface SubmitResult {
  job: JobRow;
  /** True when an Idempotency-Key matched an earlier submit and that job is returned. */
  replayed: boolean;
  /** The job's input rows when known without a read (a new job without inputs: none); else undefined, read them. */
  inputs?: [];
}

/**
 * Persists a job and enqueues it (through the job door). The committed row is the acceptance:
 * if Redis cannot take the entry now, the job is still accepted and the reconciler queues it.
 * With an idempotency key, a repeat of the same request returns the first job (and makes sure a
 * still-queued one has its queue entry); the same key with a different body is refused. `retryOf`: the job this one
 * retries (`POST /jobs/{id}/retry`); it is part of the request an idempotency key stands for.
 */
export async function submitJob(
  deps: ApiDeps,
  tenantId: string,
  input: SubmitJobInput,
  idempotencyKey: string | undefined,
  retryOf?: string,
): Promise<SubmitResult> {
  // Before anything is read or written: a workflow a backend could not take (or that would stall it) is refused outright.
  if (input.workflow) checkWorkflowSize(input.workflow, deps.config.workflowLimits);
  const hash = idempotencyKey ? requestHash(retryOf ? { retryOf, input } : input) : undefined;
  if (idempotencyKey) {
    const existing = await findJobByIdempotencyKey(deps.db, tenantId, idempotencyKey);
    if (existing) return replay(deps, existing, hash);
  }
  const webhook = input.webhook ? await checkWebhook(deps.webhooks.policy, input.webhook) : undefined;
  // One Redis call: the fleet's version and the tenant's counts, this job reserved in them.
  const state = await readSubmitState(deps, tenantId, true, 1);
  let reserved = state.reserved;
  try {
    await assertRunnable(deps, input, state.fleetVersion);
    // Fair share: the job's rank among its tenant's waiting and running jobs orders it in the queue
    // (from Redis, where it never falls below the tenant's newest job's: FIFO within the tenant).
    const active = await deps.jobs.activeCounts(tenantId, state.counts);
    const rank = state.firstRank ?? active.queued + active.running;
    assertQueueRoom(deps, active.queued, 1);
    // Inputs last among the checks: they fetch and store bytes.
    const resolved = await resolveInputs(deps, tenantId, input);
    let job: JobRow;
    try {
      job = await submitOrReuse(deps, newJobOf(tenantId, input, resolved, { webhook, idempotencyKey, requestHash: hash, retryOf }), rank, input.reuse, reserved);
    } catch (err) {
      // Two concurrent submits with one key: the loser returns the winner's job.
      if (idempotencyKey && isUniqueViolation(err)) {
        const winner = await findJobByIdempotencyKey(deps.db, tenantId, idempotencyKey);
        if (winner) return await replay(deps, winner, hash);
      }
      // An upload deleted between its lookup and the job's insert.
      if (isForeignKeyViolation(err)) throw new AppError('UPLOAD_NOT_FOUND', 'An upload the job names was deleted meanwhile');
      throw err;
    }
    // The queued job took the reservation; a reused one (recorded as succeeded) gives it back below.
    if (job.status === 'queued') reserved = false;
    return resolved.inputs.length === 0 ? { job, replayed: false, inputs: [] } : { job, replayed: false };
  } finally {
    // Refused, replayed, reused or failed: no queued job was committed for the reservation.
    if (reserved) await deps.jobs.releaseReserved(tenantId);
  }
}

/** A replay never returns a job that nothing will run: a queued one gets its queue entry (a no-op if it has it). */
async function replay(deps: ApiDeps, existing: JobRow, hash: string | undefined): Promise<SubmitResult> {
  if (existing.requestHash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
  }
  await deps.jobs.ensureQueued(existing);
  return { job: existing, replayed: true };
}
