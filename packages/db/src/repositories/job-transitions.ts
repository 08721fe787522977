import { isTerminal, sourcesOf, uuidv7, webhookEventFor, type JobErrorInfo, type JobStatus } from '@gantry/domain';
import { Prisma } from '../generated/client.js';
import { rawRows } from '../pool-query.js';
import { jobRowColumns, jobRowFields, jobRowOf } from '../reads/job-row-read.js';
import type { NewArtifact } from './artifacts.js';
import type { DbOrTx } from './audit-events.js';
import type { JobRow } from './jobs.js';

/** Why a failed attempt sent its job back to the queue: the queued event and the job view carry it. */
export interface AttemptError {
  code: string;
  message: string;
  /** The backend the attempt ran on, when it got that far. */
  backend: string | null;
  /** The attempt (1-based) that failed. */
  attempt: number;
}

export interface TransitionPatch {
  backendId?: string | null;
  promptId?: string | null;
  incrementAttempts?: boolean;
  /** The error a `failed` or `canceled` job ends with (what its tenant may see). */
  error?: JobErrorInfo;
  /** Backend detail held back from the tenant (operators only), or null. */
  errorInternal?: unknown;
  /** On `queued`: why the attempt failed (kept as the job's `lastError` until it ends). */
  lastError?: AttemptError;
  progress?: number;
  /** On `dispatched`: the worker that now holds the job; its heartbeat starts now. */
  workerId?: string;
  /**
   * On `succeeded`: the outputs, recorded in the same statement (earlier attempts' rows removed) with
   * one `output` event each before the state event. Success and its outputs land together or not at all.
   */
  outputs?: NewArtifact[];
  /** On `succeeded` without a run: the job whose result this one answers with (its state event says so too). */
  reusedFrom?: string;
  /**
   * Return the job's whole row as it was when the statement locked it, before the change
   * (`TransitionResult.row`, what readJobRow would have read): the worker that took a job from its
   * queue entry's need dispatches it and reads it in one statement.
   */
  readRow?: boolean;
}

/** An event a transition wrote, in sequence order. */
export interface WrittenEvent {
  seq: number;
  at: Date;
  payload: Record<string, unknown>;
}

export interface TransitionResult {
  id: string;
  tenantId: string;
  kind: 'workflow' | 'txt2img' | 'img2img';
  status: JobStatus;
  /** The status the job left (the door keeps the tenant's queued/held counts by it). */
  from: JobStatus;
  attempts: number;
  backendId: string | null;
  cancelRequested: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Sequence number and time of the `state` event written with the transition. */
  seq: number;
  at: Date;
  event: Record<string, unknown>;
  /** Every event the statement wrote (outputs, then the state event), in order. */
  events: WrittenEvent[];
  /**
   * Id of the webhook delivery recorded with a terminal transition (the job has a webhook that
   * wants this event), else null. The caller enqueues it; the workers' sweep catches any it misses.
   */
  webhookDeliveryId: string | null;
  /** With `readRow`: the job's row as it was before the change. */
  row?: JobRow;
}

/** Prefix of the row's columns (readRow) beside the transition's own. */
const ROW = 'row_';

interface TransitionRow {
  id: string;
  tenant_id: string;
  kind: 'workflow' | 'txt2img' | 'img2img';
  status: JobStatus;
  from_status: JobStatus;
  attempts: number;
  backend_id: string | null;
  cancel_requested: boolean;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  events: { seq: number; at: string; payload: Record<string, unknown> }[];
  webhook_delivery_id: string | null;
}

/**
 * Moves a job to `to` only when its current status may lead there (the state machine in
 * @gantry/domain is the guard), and writes the matching `state` event, in one statement.
 * Returns null when the job was not in a source status (a lost race, e.g. canceled meanwhile).
 * `fromStatuses` narrows the guard further (e.g. only a `queued` job may be canceled by the API
 * without asking its worker).
 *
 * A terminal transition of a job with a webhook also records its delivery (`webhook_deliveries`,
 * status pending) in the same statement: the transactional outbox, so no crash can lose it.
 * Leaving `dispatched`/`running` clears the job's owner and heartbeat; ending clears `lastError`.
 *
 * Callers outside @gantry/jobs should not call this: the job door (packages/jobs) publishes,
 * counts and enqueues what a transition implies.
 */
export async function transitionJob(
  db: DbOrTx,
  jobId: string,
  to: JobStatus,
  patch: TransitionPatch = {},
  fromStatuses?: readonly JobStatus[],
): Promise<TransitionResult | null> {
  const outputs = to === 'succeeded' ? (patch.outputs ?? null) : null;
  const outputCount = outputs?.length ?? 0;
  const sets = [
    Prisma.sql`status = ${to}::"JobStatus"`,
    Prisma.sql`last_seq = last_seq + ${1 + outputCount}::int`,
    Prisma.sql`updated_at = now()`,
  ];
  if (patch.backendId !== undefined) sets.push(Prisma.sql`backend_id = ${patch.backendId}`);
  if (patch.promptId !== undefined) sets.push(Prisma.sql`prompt_id = ${patch.promptId}`);
  if (patch.incrementAttempts) sets.push(Prisma.sql`attempts = attempts + 1`);
  if (patch.progress !== undefined) sets.push(Prisma.sql`progress = GREATEST(progress, ${patch.progress})`);
  if (to === 'dispatched' && patch.workerId !== undefined) {
    sets.push(Prisma.sql`worker_id = ${patch.workerId}`, Prisma.sql`heartbeat_at = now()`);
  }
  if (to === 'running') sets.push(Prisma.sql`started_at = COALESCE(started_at, now())`, Prisma.sql`heartbeat_at = now()`);
  if (to === 'queued' || isTerminal(to)) sets.push(Prisma.sql`worker_id = NULL`, Prisma.sql`heartbeat_at = NULL`);
  if (to === 'queued') sets.push(Prisma.sql`progress = 0`, Prisma.sql`queued_at = now()`);
  if (to === 'queued' && patch.lastError) sets.push(Prisma.sql`last_error = ${JSON.stringify(patch.lastError)}::jsonb`);
  if (isTerminal(to)) sets.push(Prisma.sql`finished_at = now()`, Prisma.sql`last_error = NULL`);
  if (patch.reusedFrom !== undefined) sets.push(Prisma.sql`reused_from = ${patch.reusedFrom}::uuid`);
  if (patch.error) {
    sets.push(Prisma.sql`error_code = ${patch.error.code}`, Prisma.sql`error_message = ${patch.error.message}`);
    sets.push(Prisma.sql`error_details = ${JSON.stringify(patch.error.details ?? null)}::jsonb`);
    sets.push(Prisma.sql`error_internal = ${JSON.stringify(patch.errorInternal ?? null)}::jsonb`);
  }
  const extra = {
    ...(patch.error ? { error: patch.error } : to === 'queued' && patch.lastError ? { error: patch.lastError } : {}),
    ...(patch.reusedFrom !== undefined ? { reusedFrom: patch.reusedFrom } : {}),
  };
  const sources = fromStatuses ? sourcesOf(to).filter((s) => fromStatuses.includes(s)) : sourcesOf(to);
  const webhookEvent = webhookEventFor(to);
  const deliveryId = uuidv7();
  const outputsJson = JSON.stringify(
    (outputs ?? []).map((o, i) => ({
      ord: i + 1,
      id: o.id,
      node_id: o.nodeId,
      filename: o.filename,
      content_type: o.contentType,
      bytes: o.bytes,
      sha256: o.sha256,
      storage_key: o.storageKey,
    })),
  );
  // Through the pg pool (rawRows): the worker runs three of these per job.
  const rows = await rawRows<TransitionRow>(db, Prisma.sql`
    WITH p AS ( -- the status it leaves: locked first, so it is the one the update sees
      SELECT status${patch.readRow ? Prisma.raw(`, ${jobRowColumns('jobs', ROW)}`) : Prisma.empty} FROM jobs WHERE id = ${jobId}::uuid FOR UPDATE
    ), u AS (
      UPDATE jobs SET ${Prisma.join(sets)}
      WHERE id = ${jobId}::uuid AND status = ANY(${sources}::"JobStatus"[]) AND EXISTS (SELECT 1 FROM p)
      RETURNING id, tenant_id, kind, status, attempts, backend_id, cancel_requested, last_seq, webhook_url, webhook_events,
                created_at, started_at, finished_at
    ), o AS (
      SELECT * FROM jsonb_to_recordset(${outputsJson}::jsonb)
        AS x(ord int, id uuid, node_id text, filename text, content_type text, bytes int, sha256 text, storage_key text)
      WHERE EXISTS (SELECT 1 FROM u)
    ), cleared AS ( -- an earlier attempt's rows (data-modifying CTEs run whether or not they are read)
      DELETE FROM artifacts WHERE ${outputs !== null} AND job_id IN (SELECT id FROM u) RETURNING id
    ), a AS (
      INSERT INTO artifacts (id, job_id, tenant_id, node_id, filename, content_type, bytes, sha256, storage_key, created_at)
      SELECT o.id, u.id, u.tenant_id, o.node_id, o.filename, o.content_type, o.bytes, o.sha256, o.storage_key, now()
      FROM o, u
      RETURNING id
    ), oe AS (
      INSERT INTO job_events (job_id, seq, type, payload)
      SELECT u.id, u.last_seq - ${outputCount}::int - 1 + o.ord, 'output',
             jsonb_build_object('type', 'output', 'artifactId', o.id::text, 'nodeId', o.node_id, 'filename', o.filename,
                                'contentType', o.content_type, 'bytes', o.bytes)
      FROM o, u
      RETURNING seq, created_at, payload
    ), e AS (
      INSERT INTO job_events (job_id, seq, type, payload)
      SELECT id, last_seq, 'state',
             jsonb_build_object('type', 'state', 'status', status, 'attempt', attempts, 'backend', backend_id)
               || ${JSON.stringify(extra)}::jsonb
      FROM u
      RETURNING seq, created_at, payload
    ), w AS (
      INSERT INTO webhook_deliveries (id, job_id, tenant_id, url, event, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT ${deliveryId}::uuid, id, tenant_id, webhook_url, ${webhookEvent}::text, 'pending', 0, now(), now(), now()
      FROM u
      WHERE ${webhookEvent}::text IS NOT NULL AND u.webhook_url IS NOT NULL AND ${webhookEvent}::text = ANY(u.webhook_events)
      RETURNING id
    )
    SELECT u.id::text AS id, u.tenant_id::text AS tenant_id, u.kind::text AS kind, u.status::text AS status,
           (SELECT p.status::text FROM p) AS from_status, u.attempts,
           u.backend_id, u.cancel_requested, u.created_at, u.started_at, u.finished_at,
           (SELECT jsonb_agg(jsonb_build_object('seq', x.seq, 'at', x.created_at, 'payload', x.payload) ORDER BY x.seq)
              FROM (SELECT * FROM oe UNION ALL SELECT * FROM e) x) AS events,
           (SELECT w.id::text FROM w) AS webhook_delivery_id${patch.readRow ? Prisma.raw(`, ${jobRowFields('p', ROW)}`) : Prisma.empty}
    FROM u${patch.readRow ? Prisma.sql`, p` : Prisma.empty}`);
  const row = rows[0];
  if (!row) return null;
  const events = row.events.map((e) => ({ seq: e.seq, at: new Date(e.at), payload: e.payload }));
  const state = events[events.length - 1];
  if (!state) throw new Error(`transition of job ${jobId} wrote no state event`);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status,
    from: row.from_status,
    attempts: row.attempts,
    backendId: row.backend_id,
    cancelRequested: row.cancel_requested,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    seq: state.seq,
    at: state.at,
    event: state.payload,
    events,
    webhookDeliveryId: row.webhook_delivery_id,
    ...(patch.readRow ? { row: jobRowOf(row as unknown as Record<string, unknown>, ROW) } : {}),
  };
}
