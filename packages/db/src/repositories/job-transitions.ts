import { sourcesOf, uuidv7, webhookEventFor, type JobErrorInfo, type JobStatus } from '@gantry/domain';
import { Prisma } from '../generated/client.js';
import type { Db } from './db-client.js';

export interface TransitionPatch {
  backendId?: string | null;
  promptId?: string | null;
  incrementAttempts?: boolean;
  error?: JobErrorInfo;
  progress?: number;
}

export interface TransitionResult {
  id: string;
  tenantId: string;
  status: JobStatus;
  attempts: number;
  backendId: string | null;
  cancelRequested: boolean;
  /** Sequence number and time of the `state` event written with the transition. */
  seq: number;
  at: Date;
  event: Record<string, unknown>;
  /**
   * Id of the webhook delivery recorded with a terminal transition (the job has a webhook that
   * wants this event), else null. The caller enqueues it; the workers' sweep catches any it misses.
   */
  webhookDeliveryId: string | null;
}

/**
 * Moves a job to `to` only when its current status may lead there (the state machine in
 * @gantry/domain is the guard), and writes the matching `state` event, in one statement.
 * Returns null when the job was not in a source status (a lost race, e.g. canceled meanwhile).
 *
 * A terminal transition of a job with a webhook also records its delivery (`webhook_deliveries`,
 * status pending) in the same statement: the transactional outbox, so no crash can lose it.
 */
export async function transitionJob(
  db: Db,
  jobId: string,
  to: JobStatus,
  patch: TransitionPatch = {},
): Promise<TransitionResult | null> {
  const sets = [Prisma.sql`status = ${to}::"JobStatus"`, Prisma.sql`last_seq = last_seq + 1`, Prisma.sql`updated_at = now()`];
  if (patch.backendId !== undefined) sets.push(Prisma.sql`backend_id = ${patch.backendId}`);
  if (patch.promptId !== undefined) sets.push(Prisma.sql`prompt_id = ${patch.promptId}`);
  if (patch.incrementAttempts) sets.push(Prisma.sql`attempts = attempts + 1`);
  if (patch.progress !== undefined) sets.push(Prisma.sql`progress = GREATEST(progress, ${patch.progress})`);
  if (to === 'running') sets.push(Prisma.sql`started_at = COALESCE(started_at, now())`);
  if (to === 'queued') sets.push(Prisma.sql`progress = 0`);
  if (to === 'succeeded' || to === 'failed' || to === 'canceled') sets.push(Prisma.sql`finished_at = now()`);
  if (patch.error) {
    sets.push(Prisma.sql`error_code = ${patch.error.code}`, Prisma.sql`error_message = ${patch.error.message}`);
    sets.push(Prisma.sql`error_details = ${JSON.stringify(patch.error.details ?? null)}::jsonb`);
  }
  const extra = patch.error ? { error: patch.error } : {};
  const webhookEvent = webhookEventFor(to);
  const deliveryId = uuidv7();
  const rows = await db.$queryRaw<
    { id: string; tenant_id: string; status: JobStatus; attempts: number; backend_id: string | null; cancel_requested: boolean; seq: number; at: Date; payload: Record<string, unknown>; webhook_delivery_id: string | null }[]
  >`
    WITH u AS (
      UPDATE jobs SET ${Prisma.join(sets)}
      WHERE id = ${jobId}::uuid AND status = ANY(${sourcesOf(to)}::"JobStatus"[])
      RETURNING id, tenant_id, status, attempts, backend_id, cancel_requested, last_seq, webhook_url, webhook_events
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
    SELECT u.id::text AS id, u.tenant_id::text AS tenant_id, u.status::text AS status, u.attempts, u.backend_id,
           u.cancel_requested, e.seq, e.created_at AS at, e.payload, (SELECT w.id::text FROM w) AS webhook_delivery_id
    FROM u, e`;
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    status: row.status,
    attempts: row.attempts,
    backendId: row.backend_id,
    cancelRequested: row.cancel_requested,
    seq: row.seq,
    at: row.at,
    event: row.payload,
    webhookDeliveryId: row.webhook_delivery_id,
  };
}
