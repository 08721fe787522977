import { AppError, BATCH_MAX_JOBS, checkWorkflowSize, isAppError, type BatchItemError, type SubmitJobInput } from '@gantry/domain';
import { findJobsByIdempotencyKeys, isForeignKeyViolation, isUniqueViolation, type JobRow, type NewBatchJob } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { tryParseInput } from '../http/validate.js';
import { runnableCheck } from './check-runnable.js';
import { checkWebhook } from './check-webhook.js';
import { assertQueueRoom, newJobOf } from './new-job.js';
import { batchRequestHash } from './request-hash.js';
import { resolveInputs, type ResolvedInputs } from './resolve-inputs.js';
import { submitJobParser } from './submit-job-parse.js';
import { reuseKeyOf } from './submit-or-reuse.js';
import { readSubmitState } from './submit-state.js';

export interface BatchSubmitResult {
  /** Every job of the batch, in the order of its items. */
  jobs: JobRow[];
  /** True when an Idempotency-Key matched an earlier batch and its jobs are returned. */
  replayed: boolean;
}

/** More than BATCH_MAX_JOBS items: 413 BATCH_TOO_LARGE, before anything else is looked at. */
export function assertBatchSize(count: number): void {
  if (count <= BATCH_MAX_JOBS) return;
  throw new AppError('BATCH_TOO_LARGE', `The batch has ${count} jobs; at most ${BATCH_MAX_JOBS} are accepted in one request`, {
    details: { jobs: count, max: BATCH_MAX_JOBS, limit: 'items' },
  });
}

/**
 * The idempotency keys a batch's jobs are stored under: `<key> <index>`. A client's key is visible
 * ASCII only (no space), so these never meet the key of a single submit, and the unique index
 * (tenant, key) makes a concurrent second insert of the same batch fail as a whole.
 */
function batchItemKeys(key: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${key} ${i}`);
}

/**
 * `POST /jobs/batch`: what submitJob does for one job, for up to BATCH_MAX_JOBS, all-or-nothing.
 * Every item goes through the same checks in the same order (schema, workflow limits; the
 * idempotency lookup; webhook rules, eligibility; the tenant's queued cap, counting every item;
 * inputs), each refused item is named by its index (422 BATCH_INVALID, `errors: [{index, code,
 * detail, errors}]`) and then nothing is stored. Accepted: one statement stores every job (one
 * transaction with reuse), one bulk add queues them (JobDoor.submitBatch).
 */
export async function submitBatch(deps: ApiDeps, tenantId: string, items: readonly unknown[], idempotencyKey: string | undefined): Promise<BatchSubmitResult> {
  assertBatchSize(items.length);
  const problems = new ItemProblems(items.length);
  const inputs: SubmitJobInput[] = [];
  // Each workflow's JSON is written once, by its size check, and sent as it is by the insert.
  const texts: (string | undefined)[] = [];
  items.forEach((item, index) => {
    const parsed = tryParseInput(submitJobParser, item, 'job');
    if (!parsed.ok) return problems.add(index, parsed.error);
    try {
      if (parsed.data.workflow) checkWorkflowSize(parsed.data.workflow, deps.config.workflowLimits, (w) => (texts[index] = JSON.stringify(w)));
      inputs[index] = parsed.data;
    } catch (err) {
      problems.add(index, err);
    }
  });
  problems.throwIfAny();

  const hash = idempotencyKey ? batchRequestHash(inputs) : undefined;
  const keys = idempotencyKey ? batchItemKeys(idempotencyKey, inputs.length) : undefined;
  // The reads the checks need, at once: the idempotency lookup alongside the Redis read (and what it leads to).
  const [existing, [runnable, active, firstRank]] = await Promise.all([
    keys ? findJobsByIdempotencyKeys(deps.db, tenantId, keys) : [],
    readSubmitState(deps, tenantId, false, inputs.length).then((state) =>
      Promise.all([runnableCheck(deps, state.fleetVersion), deps.jobs.activeCounts(tenantId, state.counts), state.firstRank]),
    ),
  ]);
  if (existing.length > 0) return replay(deps, existing, hash, inputs.length);

  const vetted = new Map<string, Promise<{ url: string; events: string[] }>>();
  const webhooks: ({ url: string; events: string[] } | undefined)[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      if (input.webhook) {
        // A sweep usually names one callback: its DNS and SSRF check runs once.
        const id = JSON.stringify(input.webhook);
        if (!vetted.has(id)) vetted.set(id, checkWebhook(deps.webhooks.policy, input.webhook));
        webhooks[index] = await vetted.get(id)!;
      }
      runnable(input);
    } catch (err) {
      problems.add(index, err);
    }
  }
  problems.throwIfAny();

  assertQueueRoom(deps, active.queued, inputs.length);

  // Inputs last among the checks: they fetch and store bytes.
  const resolved: ResolvedInputs[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      resolved[index] = await resolveInputs(deps, tenantId, input);
    } catch (err) {
      problems.add(index, err);
    }
  }
  problems.throwIfAny();

  const jobs: NewBatchJob[] = inputs.map((input, index) => {
    const job: NewBatchJob = newJobOf(tenantId, input, resolved[index]!, { webhook: webhooks[index], idempotencyKey: keys?.[index], requestHash: hash });
    // The text is the stored workflow's only when no input was bound into it (binding makes a new one).
    job.workflowJson = job.workflow === input.workflow ? texts[index] : undefined;
    job.reuseKey = reuseKeyOf(job);
    job.reuse = input.reuse === true;
    return job;
  });
  try {
    return { jobs: await deps.jobs.submitBatch(jobs, firstRank ?? active.queued + active.running), replayed: false };
  } catch (err) {
    // Two concurrent submits of one batch with one key: the loser returns the winner's jobs.
    if (keys && isUniqueViolation(err)) {
      const winner = await findJobsByIdempotencyKeys(deps.db, tenantId, keys);
      if (winner.length > 0) return replay(deps, winner, hash, inputs.length);
    }
    // An upload deleted between its lookup and the jobs' insert.
    if (isForeignKeyViolation(err)) throw new AppError('UPLOAD_NOT_FOUND', 'An upload a job of the batch names was deleted meanwhile');
    throw err;
  }
}

/** A replay returns the whole earlier batch, with every still-queued job's queue entry made sure of (one bulk add). */
async function replay(deps: ApiDeps, existing: JobRow[], hash: string | undefined, count: number): Promise<BatchSubmitResult> {
  if (existing.length !== count || existing.some((j) => j.requestHash !== hash)) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
  }
  await deps.jobs.ensureQueuedMany(existing);
  return { jobs: existing, replayed: true };
}

/** The refused items of a batch, by index. A server-side failure (5xx) is not an item's fault: it ends the request as it is. */
class ItemProblems {
  private readonly items: BatchItemError[] = [];

  constructor(private readonly total: number) {}

  add(index: number, err: unknown): void {
    if (!isAppError(err) || err.status >= 500) throw err;
    const item: BatchItemError = { index, code: err.code, detail: err.message };
    if (err.details !== undefined) item.errors = err.details as BatchItemError['errors'];
    this.items.push(item);
  }

  throwIfAny(): void {
    if (this.items.length === 0) return;
    const n = this.items.length;
    throw new AppError('BATCH_INVALID', `${n} of the ${this.total} jobs ${n === 1 ? 'is' : 'are'} invalid; none was accepted`, {
      details: [...this.items].sort((a, b) => a.index - b.index),
    });
  }
}
