/**
 * A job's whole row by id, as Prisma's `Job` model types it, in one prepared statement through the
 * pool: the worker reads every job it takes this way (Prisma's findUnique cost showed in the
 * dispatch profile, bench/README.md "Dispatch"). `reads.int.test.ts` proves it returns exactly
 * what `findJobById` does, so a column added to the model without being added here fails there.
 */
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import type { JobRow } from '../repositories/jobs.js';

const COLUMNS = [
  ['id', 'id::text'],
  ['tenantId', 'tenant_id::text'],
  ['status', 'status::text'],
  ['priority', 'priority'],
  ['kind', 'kind::text'],
  ['workflow', 'workflow'],
  ['requirements', 'requirements'],
  ['metadata', 'metadata'],
  ['timeoutSeconds', 'timeout_seconds'],
  ['webhookUrl', 'webhook_url'],
  ['webhookEvents', 'webhook_events'],
  ['idempotencyKey', 'idempotency_key'],
  ['requestHash', 'request_hash'],
  ['retryOf', 'retry_of::text'],
  ['reuseKey', 'reuse_key'],
  ['reusedFrom', 'reused_from::text'],
  ['attempts', 'attempts'],
  ['progress', 'progress'],
  ['backendId', 'backend_id'],
  ['promptId', 'prompt_id'],
  ['errorCode', 'error_code'],
  ['errorMessage', 'error_message'],
  ['errorDetails', 'error_details'],
  ['errorInternal', 'error_internal'],
  ['cancelRequested', 'cancel_requested'],
  ['workerId', 'worker_id'],
  ['heartbeatAt', 'heartbeat_at'],
  ['queueSeq', 'queue_seq'],
  ['lastError', 'last_error'],
  ['lastSeq', 'last_seq'],
  ['queuedAt', 'queued_at'],
  ['createdAt', 'created_at'],
  ['updatedAt', 'updated_at'],
  ['startedAt', 'started_at'],
  ['finishedAt', 'finished_at'],
] as const satisfies readonly (readonly [keyof JobRow, string])[];

const TEXT = `SELECT ${COLUMNS.map(([field, column]) => `${column} AS "${field}"`).join(', ')} FROM jobs WHERE id = $1::uuid`;

/** The job, or null when there is none. */
export async function readJobRow(db: Db, id: string): Promise<JobRow | null> {
  const { rows } = await poolOf(db).query<JobRow>({ name: 'gantry-read-job-row', text: TEXT, values: [id] });
  return rows[0] ?? null;
}
