import type { Queue } from 'bullmq';
import { isTerminal, type JobEventBody, type JobEventRecord, type JobRequirements, type RenderJobPayload } from '@gantry/domain';
import {
  appendJobEvent,
  bumpQueueGenerations,
  countActiveJobs,
  insertJobBatch,
  insertJobs,
  insertReusedJob,
  transitionJob,
  type Db,
  type JobRow,
  type NewBatchJob,
  type NewJob,
  type ReconcileCandidate,
  type TransitionResult,
} from '@gantry/db';
import { jobTake, storedJobInput } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';
import { jobFinishMetrics, jobRecoveryMetrics, jobRunMetrics, jobSubmitMetrics, type Registry } from '@gantry/metrics';
import { coalesceWrites, enqueueRender, enqueueRenders, type ActiveCounts, type BusEvent, type CountChange, type EventPublisher, type TenantJobCounts } from '@gantry/queue';
import { patchOf, type JobChange } from './job-change.js';

/** A batch's `queued` events go out this many per bus message (one parse and one round of the fan-out each). */
const EVENTS_PER_MESSAGE = 100;

/** A change committed by JobDoor.commit: its result, and its announcement under way. */
export interface CommittedChange {
  /** The committed transition; null when the job was not in a state that allows it. */
  result: TransitionResult | null;
  /** Settles once the change was handed to webhooks, published and counted; never rejects. */
  announced: Promise<void>;
}

/** What the door needs to know of a job to change it and count the change. */
export interface JobRef {
  id: string;
  tenantId: string;
  kind: 'workflow' | 'txt2img' | 'img2img';
  createdAt: Date;
  /** Null until its first start: the queue wait is observed once. */
  startedAt: Date | null;
}

export interface JobDoorDeps {
  db: Db;
  publisher: EventPublisher;
  metrics: Registry;
  logger: Logger;
  /** The render queue: submit and reconcile enqueue into it. */
  queue: Queue<RenderJobPayload>;
  /**
   * The tenants' queued/held counts in Redis, kept by every change through this door (submit's
   * fair-share rank and queued cap read them instead of counting in PostgreSQL). Without it the
   * counts come from PostgreSQL.
   */
  counts?: TenantJobCounts;
  /** A terminal transition recorded a webhook delivery (outbox row): hand it to the delivery queue. */
  onWebhookDelivery(deliveryId: string): Promise<void> | void;
  /**
   * Wraps every database write: the worker retries transient database errors here (a finished
   * prompt must not turn into a failure because PostgreSQL blinked); the API answers 503 instead.
   */
  persist?: <T>(write: () => Promise<T>) => Promise<T>;
}

/**
 * The one door for every state change of a job, for the API and the workers alike: submit,
 * dispatch, running, progress, output, success, failure, retry, cancel, recovery, reconcile and reuse.
 * Each change is one guarded statement (transition + its events + outbox rows, in
 * @gantry/db's transitionJob), then published to live subscribers and counted. Enqueueing follows
 * from the committed row: a failed enqueue is not a failed submit, the reconciler queues the job.
 */
export class JobDoor {
  private readonly persist: <T>(write: () => Promise<T>) => Promise<T>;

  constructor(private readonly deps: JobDoorDeps) {
    this.persist = deps.persist ?? ((write) => write());
    jobRecoveryMetrics(deps.metrics); // scraped from the start, at 0, rather than after the first incident
  }

  /**
   * Records a new job (row, its `queued` event and its input rows in one statement through the
   * pool, insertJobs of @gantry/db: from here on the job is accepted; nothing is read back), then
   * enqueues it. `tenantRank` orders it fairly among its tenant's jobs. `reserved`: the tenant's
   * kept counts already include this job (TenantJobCounts.submitState with `reserve`).
   */
  async submit(job: NewJob, tenantRank: number, reserved = false): Promise<JobRow> {
    const [row] = await this.persist(() => insertJobs(this.deps.db, [job]));
    if (!row) throw new Error(`job ${job.id} was not inserted`);
    jobSubmitMetrics(this.deps.metrics).submitted.inc({ kind: row.kind });
    // Issued together, in one write when the queue's connection is the publisher's (as in the API).
    // The `queued` event may go out before the entry exists: it is true from the commit on, and no
    // worker can publish a later state of the job before its entry is added.
    coalesceWrites(this.deps.queue.opts.connection);
    await Promise.all([
      this.publish(row.tenantId, { jobId: row.id, seq: 1, at: row.createdAt.toISOString(), event: { type: 'state', status: 'queued', attempt: 0 } }),
      this.countChanges(reserved ? [] : [{ tenantId: row.tenantId, queued: 1, running: 0 }]),
      this.enqueue(row, tenantRank),
    ]);
    return row;
  }

  /**
   * Records a batch of new jobs all-or-nothing (one statement, or one transaction when some ask for
   * reuse: @gantry/db insertJobBatch), then does for each what submit or submitReused does: one
   * bulk enqueue of the queued ones (`firstRank` + position orders them fairly among the tenant's
   * jobs; a refused enqueue leaves them to the reconciler), their events published, the reused
   * ones announced, everything counted. Returns the rows in input order.
   */
  async submitBatch(jobs: readonly NewBatchJob[], firstRank: number): Promise<JobRow[]> {
    const { rows, reused } = await this.persist(() => insertJobBatch(this.deps.db, jobs));
    const metrics = jobSubmitMetrics(this.deps.metrics);
    const queued = rows.filter((r) => !reused.has(r.id));
    await Promise.all([this.enqueueMany(queued, firstRank), this.countChanges(queued.length ? [{ tenantId: queued[0]!.tenantId, queued: queued.length, running: 0 }] : [])]);
    // A few messages of many events each (the event hub takes lists) instead of a PUBLISH per job.
    const events = rows.map((r): BusEvent => ({ tenantId: r.tenantId, jobId: r.id, seq: 1, at: r.createdAt.toISOString(), event: { type: 'state', status: 'queued', attempt: 0 } }));
    const sends = [];
    for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) sends.push(this.publishAll(events.slice(i, i + EVENTS_PER_MESSAGE)));
    await Promise.all(sends);
    const byKind = new Map<string, number>();
    for (const r of rows) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    for (const [kind, n] of byKind) metrics.submitted.inc({ kind }, n);
    for (const r of rows) {
      const transition = reused.get(r.id);
      if (!transition) continue;
      metrics.reused.inc({ kind: r.kind });
      await this.announce(r, { to: 'succeeded', progress: 1, outputs: [] }, transition);
    }
    return rows;
  }

  /**
   * Answers a new job from an earlier success of its tenant with the same reuse key, without
   * running it: the job is recorded already `succeeded`, with artifact rows pointing to that
   * success's blobs and `reusedFrom` naming it (one transaction, @gantry/db insertReusedJob), then
   * its events are published, its webhook handed over and it is counted (`gantry_jobs_reused_total`).
   * Nothing is enqueued. Null when there is no such success: submit the job instead.
   */
  async submitReused(job: NewJob & { reuseKey: string }): Promise<JobRow | null> {
    const reused = await this.persist(() => insertReusedJob(this.deps.db, job));
    if (!reused) return null;
    const { row, transition } = reused;
    const metrics = jobSubmitMetrics(this.deps.metrics);
    metrics.submitted.inc({ kind: row.kind });
    metrics.reused.inc({ kind: row.kind });
    await this.publish(row.tenantId, { jobId: row.id, seq: 1, at: row.createdAt.toISOString(), event: { type: 'state', status: 'queued', attempt: 0 } });
    await this.announce(row, { to: 'succeeded', progress: 1, outputs: [] }, transition);
    return row;
  }

  /**
   * Makes sure a queued job has its queue entry (an idempotent replay of its submit may be the
   * client's retry after the first enqueue never happened). Adding an existing entry is a no-op.
   */
  async ensureQueued(job: JobRow): Promise<void> {
    if (job.status !== 'queued') return;
    await this.enqueue(job, 0);
  }

  /** ensureQueued for many jobs (the replay of a batch): one bulk add of the queued ones' entries. */
  async ensureQueuedMany(jobs: readonly JobRow[]): Promise<void> {
    await this.enqueueMany(jobs.filter((j) => j.status === 'queued'), 0);
  }

  /**
   * Applies one state change; null when the job was not in a state that allows it (a lost race).
   * Resolves once the change is published and counted too.
   */
  async change(job: JobRef, change: JobChange): Promise<TransitionResult | null> {
    const { result, announced } = await this.commit(job, change);
    await announced;
    return result;
  }

  /**
   * Applies one state change and resolves as soon as it is committed (`result`, null when the job
   * was not in a state that allows it), with `announced`: its webhook hand-over, publish and count,
   * under way, settled once they are done (they never fail the change: each logs its own error).
   * For a caller whose next step needs only the durable change, not its message: a worker submits
   * the prompt once `dispatched` is committed (recovery reads the row, not the message).
   */
  async commit(job: JobRef, change: JobChange): Promise<CommittedChange> {
    const { patch, from } = patchOf(change);
    const result = await this.persist(() => transitionJob(this.deps.db, job.id, change.to, patch, from));
    if (!result) return { result: null, announced: Promise.resolve() };
    return { result, announced: this.announceCommitted(job, change, result) };
  }

  /**
   * `dispatched` for a job a worker leased a GPU for from its queue entry alone (its `take`), read
   * in the same statement: the row as it was before the change (what the worker would have read
   * first) comes with the committed change. Null `row` and `result` when the job was not queued
   * (the worker lets the slot go and reads the row to see why).
   */
  async commitTaken(job: Pick<JobRef, 'id' | 'tenantId'>, change: Extract<JobChange, { to: 'dispatched' }>): Promise<CommittedChange & { row: JobRow | null }> {
    const { patch, from } = patchOf(change);
    const result = await this.persist(() => transitionJob(this.deps.db, job.id, change.to, { ...patch, readRow: true }, from));
    if (!result?.row) return { result: null, row: null, announced: Promise.resolve() };
    return { result, row: result.row, announced: this.announceCommitted(result.row, change, result) };
  }

  /** Its count and announcement, under way, for a committed change: settles once they are done (never rejects). */
  private announceCommitted(job: JobRef, change: JobChange, result: TransitionResult): Promise<void> {
    // The count's update and the change's message leave in one write (when the queue's
    // connection is the publisher's, as in the worker and the API).
    coalesceWrites(this.deps.queue.opts.connection);
    return Promise.all([this.countChanges([countChangeOf(result)]), this.announce(job, change, result)]).then(
      () => undefined,
      (err: unknown) => this.deps.logger.warn({ err, jobId: job.id, to: change.to }, 'job change committed but not fully announced'),
    );
  }

  /**
   * A tenant's queued and held (dispatched, running) jobs, for a submit's fair-share rank and
   * queued cap: the counts kept in Redis as the caller just read them (`kept`); when Redis keeps
   * none for the tenant (null), counted in PostgreSQL and seeded into Redis (best effort); when
   * Redis did not answer (undefined), counted in PostgreSQL only.
   */
  async activeCounts(tenantId: string, kept: ActiveCounts | null | undefined): Promise<ActiveCounts> {
    if (kept) return kept;
    const counted = await countActiveJobs(this.deps.db, tenantId);
    if (kept === null) {
      await this.deps.counts?.seed(tenantId, counted).catch((err: unknown) => this.deps.logger.warn({ err, tenantId }, 'tenant job counts not seeded in Redis'));
    }
    return counted;
  }

  /** Gives back a queued job reserved in the kept counts by a submit that committed none (refused, replayed, reused, failed). */
  async releaseReserved(tenantId: string): Promise<void> {
    await this.countChanges([{ tenantId, queued: -1, running: 0 }]);
  }

  /** Applies committed changes to the kept counts; a lost update is a drift the reconciler corrects. */
  private async countChanges(changes: CountChange[]): Promise<void> {
    if (!this.deps.counts || changes.length === 0) return;
    try {
      await this.deps.counts.apply(changes);
    } catch (err) {
      this.deps.logger.warn({ err, changes: changes.length }, 'tenant job counts not updated in Redis; the reconciler corrects them');
    }
  }

  /** What follows a committed change: its webhook delivery handed to the queue, its events published, the change counted. */
  private async announce(job: JobRef, change: JobChange, result: TransitionResult): Promise<void> {
    if (result.webhookDeliveryId) {
      try {
        await this.deps.onWebhookDelivery(result.webhookDeliveryId);
      } catch (err) {
        // The delivery row is committed: the workers' sweep enqueues what this missed.
        this.deps.logger.warn({ err, jobId: job.id, deliveryId: result.webhookDeliveryId }, 'webhook delivery not enqueued; the sweep will');
      }
    }
    // One message for the change's events, in order (outputs, then its state).
    await this.publishAll(result.events.map((e) => ({ tenantId: job.tenantId, jobId: job.id, seq: e.seq, at: e.at.toISOString(), event: e.payload as JobEventBody })));
    this.count(job, change, result);
  }

  /** Appends a progress or output event (state events only come with a change). */
  async record(job: Pick<JobRef, 'id' | 'tenantId'>, event: Exclude<JobEventBody, { type: 'state' }>, progress?: number): Promise<JobEventRecord> {
    const record = await this.persist(() => appendJobEvent(this.deps.db, job.id, event, progress));
    await this.publish(job.tenantId, record);
    return record;
  }

  /**
   * The reconciler found that Redis holds no live entry for these jobs, which PostgreSQL says must
   * run: move each to a new queue entry generation and enqueue them, one statement and one bulk add
   * per batch. Reported, never silent: a log line per job and `gantry_jobs_reconciled_total`.
   * Returns how many were queued again (a job that moved on meanwhile is left alone).
   */
  async requeueLost(candidates: readonly ReconcileCandidate[]): Promise<number> {
    const generations = await this.persist(() => bumpQueueGenerations(this.deps.db, candidates.map((c) => ({ id: c.id, fromSeq: c.queueSeq }))));
    const moved = candidates.filter((c) => generations.has(c.id));
    await enqueueRenders(
      this.deps.queue,
      moved.map((c) => ({ payload: { jobId: c.id, tenantId: c.tenantId }, priority: c.priority, generation: generations.get(c.id)! })),
    );
    const reconciled = jobRecoveryMetrics(this.deps.metrics).reconciled;
    for (const c of moved) {
      reconciled.inc({ status: c.status });
      this.deps.logger.warn(
        { jobId: c.id, status: c.status, generation: generations.get(c.id) },
        c.status === 'queued' ? 'queue entry lost; job queued again from PostgreSQL' : "job's worker lost and its queue entry gone; job queued again for recovery",
      );
    }
    return moved.length;
  }

  private async enqueue(job: JobRow, tenantRank: number): Promise<void> {
    try {
      await enqueueRender(this.deps.queue, entryOf(job), job.priority, tenantRank, job.queueSeq);
    } catch (err) {
      // The row is committed, so the job is accepted: the reconciler queues it from PostgreSQL.
      jobRecoveryMetrics(this.deps.metrics).enqueueDeferred.inc();
      this.deps.logger.warn({ err, jobId: job.id }, 'job accepted but not enqueued (Redis unavailable); the reconciler will queue it');
    }
  }

  /** One bulk add for many jobs (ranks `firstRank`, +1, ...); a refusal leaves them to the reconciler, as for one. */
  private async enqueueMany(jobs: readonly JobRow[], firstRank: number): Promise<void> {
    const entries = jobs.map((j, i) => ({ payload: entryOf(j), priority: j.priority, generation: j.queueSeq, tenantRank: firstRank + i }));
    try {
      // The bulk add goes in chunks: when a later one fails, a second go adds the rest with their
      // ranks (the entries already added are left as they are), so the reconciler, which knows no
      // ranks, does not put the end of a batch before its start.
      await enqueueRenders(this.deps.queue, entries).catch(() => enqueueRenders(this.deps.queue, entries));
    } catch (err) {
      // The rows are committed, so the jobs are accepted: the reconciler queues them from PostgreSQL.
      jobRecoveryMetrics(this.deps.metrics).enqueueDeferred.inc(jobs.length);
      this.deps.logger.warn({ err, jobs: jobs.length }, 'jobs accepted but not enqueued (Redis unavailable); the reconciler will queue them');
    }
  }

  private count(job: JobRef, change: JobChange, result: TransitionResult): void {
    if (change.to === 'running' && job.startedAt === null) {
      const seconds = (result.at.getTime() - job.createdAt.getTime()) / 1000;
      jobRunMetrics(this.deps.metrics).queueWait.observe({ kind: job.kind }, Math.max(0, seconds));
    }
    if (change.to === 'queued' && change.why === 'retry') {
      jobRunMetrics(this.deps.metrics).retried.inc({ code: change.lastError?.code ?? 'UNKNOWN' });
    }
    if (isTerminal(result.status)) {
      jobFinishMetrics(this.deps.metrics).finished.inc({ kind: job.kind, status: result.status });
      if (result.startedAt && result.finishedAt) {
        const seconds = (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000;
        jobRunMetrics(this.deps.metrics).runDuration.observe({ kind: job.kind, status: result.status }, Math.max(0, seconds));
      }
    }
  }

  private async publishAll(events: BusEvent[]): Promise<void> {
    await this.deps.publisher
      .publishEvents(events)
      .catch((err: unknown) => this.deps.logger.warn({ err, jobId: events[0]?.jobId, events: events.length }, 'job events not published'));
  }

  private async publish(tenantId: string, record: JobEventRecord): Promise<void> {
    await this.deps.publisher
      .publishEvent({ ...record, tenantId })
      .catch((err: unknown) => this.deps.logger.warn({ err, jobId: record.jobId }, 'job event not published'));
  }
}

/**
 * A job's queue entry: its ids and what a worker needs to lease a GPU for it before reading its row
 * (`take`: its need and model, from its input as stored). The reconciler's entries carry no `take`
 * (it reads no inputs): their workers read the row first.
 */
function entryOf(job: Pick<JobRow, 'id' | 'tenantId' | 'kind' | 'workflow' | 'requirements'>): RenderJobPayload {
  return { jobId: job.id, tenantId: job.tenantId, take: jobTake(storedJobInput(job.kind, job.workflow), job.requirements as JobRequirements | null) };
}

/** How a transition moves its tenant's counts: queued and held (dispatched, running) are counted; the rest are not. */
function countChangeOf(result: Pick<TransitionResult, 'tenantId' | 'from' | 'status'>): CountChange {
  const weight = (s: string): [number, number] => (s === 'queued' ? [1, 0] : s === 'dispatched' || s === 'running' ? [0, 1] : [0, 0]);
  const [q0, r0] = weight(result.from);
  const [q1, r1] = weight(result.status);
  return { tenantId: result.tenantId, queued: q1 - q0, running: r1 - r0 };
}
