import { Queue, type JobsOptions } from 'bullmq';
import { MAX_PRIORITY, QUEUE_NAMES, renderJobPayloadSchema, type RenderJobPayload } from '@gantry/domain';
import { addPrioritizedBulk } from './bulk-add.js';
import type { RedisClient } from './connection.js';

/**
 * Default options for render jobs. The worker decides whether a failure is retried (it counts
 * attempts in PostgreSQL and ends a job with UnrecoverableError), so BullMQ's own limit is only a
 * ceiling. The "gantry" backoff type selects the worker's strategy (exponential with jitter).
 */
export const MAX_QUEUE_ATTEMPTS = 20;
export const RENDER_JOB_OPTIONS: JobsOptions = {
  attempts: MAX_QUEUE_ATTEMPTS,
  backoff: { type: 'gantry', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

export interface RenderQueueOptions {
  connection: RedisClient;
  /** Key prefix; tests use a random one so parallel runs never meet. */
  prefix?: string;
  /** The queue's connection errors (see RedisConnectionOptions.onError); silent when omitted. */
  onError?: (err: Error) => void;
}

export function createRenderQueue(options: RenderQueueOptions): Queue<RenderJobPayload> {
  const queue = new Queue<RenderJobPayload>(QUEUE_NAMES.render, {
    connection: options.connection,
    prefix: options.prefix ?? 'gantry',
    defaultJobOptions: RENDER_JOB_OPTIONS,
  });
  queue.on('error', options.onError ?? (() => undefined));
  return queue;
}

/** Ranks a tenant can hold within one priority band; beyond it, a tenant's jobs share the last rank. */
export const FAIR_SHARE_RANKS = 10_000;

/**
 * The BullMQ priority of a render job (1 is served first), built for fair sharing between tenants
 * on top of BullMQ's single ordered set (the open-source edition has no groups):
 *
 *   priority band (Gantry priority -100..100, higher first)  ×  FAIR_SHARE_RANKS
 *   + the job's rank within its tenant (how many of the tenant's jobs were ahead of it, never
 *     below its newest queued job's: TenantJobCounts)
 *
 * Inside a band, jobs are served round-robin across tenants: every tenant's 1st job, then every
 * tenant's 2nd, and so on (FIFO among equals). A tenant that queues 10,000 jobs therefore holds
 * back another tenant's single job by at most one job per busy slot. The largest value
 * (201 × 10,000) stays below BullMQ's limit of 2^21.
 */
export function toBullPriority(priority: number, tenantRank = 0): number {
  const clamped = Math.max(-MAX_PRIORITY, Math.min(MAX_PRIORITY, Math.trunc(priority)));
  const band = MAX_PRIORITY - clamped; // 0 for the highest priority
  const rank = Math.max(0, Math.min(FAIR_SHARE_RANKS - 1, Math.trunc(tenantRank)));
  return band * FAIR_SHARE_RANKS + rank + 1;
}

/**
 * The BullMQ id of a job's queue entry. Generation 0 is the Gantry job id itself: adding the same id
 * again is a no-op in BullMQ, so a retried half-done submit can never queue a job twice. When the
 * reconciler finds the entry lost (Redis flushed, a failover, a dead worker's entry) it bumps the
 * generation in PostgreSQL and queues `<id>.r<n>`; PostgreSQL decides which pickup may run it.
 */
export function renderEntryId(jobId: string, generation = 0): string {
  return generation === 0 ? jobId : `${jobId}.r${generation}`;
}

/** The Gantry job id of a queue entry id (the inverse of renderEntryId, whatever the generation). */
export function jobIdOfEntry(entryId: string): string {
  return entryId.replace(/\.r\d+$/, '');
}

/** Enqueues a render job under its entry id (see renderEntryId). */
export async function enqueueRender(
  queue: Queue<RenderJobPayload>,
  payload: RenderJobPayload,
  priority: number,
  tenantRank = 0,
  generation = 0,
): Promise<void> {
  const data = checkedEntry(payload);
  await queue.add('render', data, { jobId: renderEntryId(data.jobId, generation), priority: toBullPriority(priority, tenantRank) });
}

/**
 * Enqueues many render jobs in one round trip (the reconciler's batches, a submitted batch): BullMQ's
 * own add of each, run in one script call per chunk (addPrioritizedBulk; every render job is
 * prioritized, toBullPriority ≥ 1).
 */
export async function enqueueRenders(
  queue: Queue<RenderJobPayload>,
  entries: readonly { payload: RenderJobPayload; priority: number; generation: number; tenantRank?: number }[],
): Promise<void> {
  if (entries.length === 0) return;
  await addPrioritizedBulk(
    queue,
    entries.map((e) => {
      const data = checkedEntry(e.payload);
      return { name: 'render', data, opts: { jobId: renderEntryId(data.jobId, e.generation), priority: toBullPriority(e.priority, e.tenantRank) } };
    }),
  );
}

/**
 * An entry as it is added: its ids and retry hints checked by the schema; its `take` as the job
 * door derived it (typed, from an input submit validated; the worker parses it when it takes the
 * entry), not parsed again here, where a batch adds a thousand.
 */
function checkedEntry(payload: RenderJobPayload): RenderJobPayload {
  const { take, ...rest } = payload;
  const data = renderJobPayloadSchema.parse(rest);
  return take ? { ...data, take } : data;
}

/** Removes a job that is still waiting; returns false when a worker already holds it. */
export async function removeQueuedRender(queue: Queue<RenderJobPayload>, jobId: string, generation = 0): Promise<boolean> {
  const job = await queue.getJob(renderEntryId(jobId, generation));
  if (!job) return true;
  try {
    await job.remove();
    return true;
  } catch {
    return false;
  }
}
