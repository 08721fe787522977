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

/**
 * The same columns as a select list for another statement's row of `jobs` (named `table`), each
 * aliased `<prefix><field>`: a statement that reads the row on its way (the worker's `dispatched`
 * transition, job-transitions.ts) returns exactly what readJobRow would. jobRowOf takes them back.
 */
export function jobRowColumns(table: string, prefix: string): string {
  return COLUMNS.map(([field, column]) => `${column.replace(/^[a-z_]+/, (name) => `${table}.${name}`)} AS "${prefix}${field}"`).join(', ');
}

/** The columns of a jobRowColumns select list, as `<table>."<prefix><field>"`: to pass them on from a CTE. */
export function jobRowFields(table: string, prefix: string): string {
  return COLUMNS.map(([field]) => `${table}."${prefix}${field}"`).join(', ');
}

/** The row a jobRowColumns select list returned, from its `<prefix><field>` columns. */
export function jobRowOf(record: Record<string, unknown>, prefix: string): JobRow {
  return Object.fromEntries(COLUMNS.map(([field]) => [field, record[`${prefix}${field}`]])) as unknown as JobRow;
}

/** The job, or null when there is none. */
export async function readJobRow(db: Db, id: string): Promise<JobRow | null> {
  const { rows } = await poolOf(db).query<JobRow>({ name: 'gantry-read-job-row', text: TEXT, values: [id] });
  return rows[0] ?? null;
}
