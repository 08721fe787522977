/**
 * `GET /api/v1/jobs`: a page of one tenant's jobs, newest first, as the view shows them, in one
 * statement through the pool under Prisma. Keyset pagination on the id (UUIDv7: time order): the
 * `(tenant_id, id desc)` index serves the plain list, `(tenant_id, status, id desc)` the status
 * filter, so a deep cursor costs what the first page does.
 */
import { TERMINAL_STATUSES, type JobStatus } from '@gantry/domain';
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { JOB_VIEW_RECORD_EXTRA, jobViewRecord, jobViewRowOf, type JobViewRow } from './job-view-columns.js';

export interface JobListRead {
  tenantId: string;
  status?: JobStatus | undefined;
  limit: number;
  /** Id of the last job of the previous page. */
  afterId?: string | undefined;
  /** Operators see an error's backend detail. */
  operator?: boolean | undefined;
  /** Read the artifacts' storage keys (views with presigned URLs); null otherwise. */
  storageKeys?: boolean | undefined;
}

export async function readTenantJobList(db: Db, options: JobListRead): Promise<JobViewRow[]> {
  return (await queryJobList(db, options)).map((r) => jobViewRowOf(r));
}

/** A row of readTenantActiveJobViews: a job's view and the sequence number of its last event. */
export interface ActiveJobViewRow extends JobViewRow {
  /** Sequence number of the job's last stored event, as of the same read. */
  lastSeq: number;
}

/**
 * How long the active read may take before it fails (milliseconds): every `all` socket of the
 * tenant on the instance waits for it, so a hung read (a lock, a stalled server) must end in an
 * error they can retry on, not in a wait without end. PostgreSQL's statement_timeout (SET LOCAL in
 * the read's transaction) ends the statement on the server, lock waits included, so no orphaned
 * statement is left waiting; node-postgres' query_timeout, a second later, ends a wait on a server
 * that stopped answering (the pool then drops that connection).
 */
export const ACTIVE_JOB_VIEWS_TIMEOUT_MS = 5000;

/**
 * The snapshots of a WebSocket `all` subscription: the list's read of a tenant's `window` newest
 * jobs (tenant views: no backend detail), less those that ended, newest first, each with the
 * sequence number of its last event, in one statement (a job's view and its `lastSeq` agree).
 * Before, each subscribing socket read every active job in five statements: a reconnect storm of
 * thousands of sockets held the pool and the API's event loop for seconds (bench/README.md,
 * "WebSocket fan-out"). `storageKeys`: views with presigned URLs.
 */
export async function readTenantActiveJobViews(
  db: Db,
  tenantId: string,
  options: { window: number; storageKeys?: boolean; timeoutMs?: number },
): Promise<ActiveJobViewRow[]> {
  const read = { tenantId, limit: options.window, storageKeys: options.storageKeys, activeOnly: true, timeoutMs: options.timeoutMs ?? ACTIVE_JOB_VIEWS_TIMEOUT_MS };
  return (await queryJobList(db, read)).map((r) => {
    const row = jobViewRowOf(r) as ActiveJobViewRow;
    row.lastSeq = r[JOB_VIEW_RECORD_EXTRA] as number;
    return row;
  });
}

const TERMINAL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

/** The one statement of the list reads: the records (jobViewRecord), with `lastSeq` after them for `activeOnly`. */
async function queryJobList(db: Db, options: JobListRead & { activeOnly?: boolean; timeoutMs?: number }): Promise<unknown[][]> {
  // Fixed statements (with or without status, with or without cursor, active only or not), each
  // prepared once per connection, rather than one with `$n IS NULL OR ...` that the planner cannot
  // index well.
  const values: unknown[] = [options.tenantId, options.limit, options.operator ?? false, options.storageKeys ?? false];
  let where = 'tenant_id = $1::uuid';
  if (options.status) {
    values.push(options.status);
    where += ` AND status = $${values.length}::"JobStatus"`;
  }
  if (options.afterId) {
    values.push(options.afterId);
    where += ` AND id < $${values.length}::uuid`;
  }
  // The page's ids first, from the index alone, then its rows by primary key. Asked for the wide
  // rows directly, the planner walked the primary key backwards filtering on tenant and status,
  // betting that matching rows are spread evenly; the newest jobs are rarely succeeded yet, so the
  // first page of `status=succeeded` at 1M jobs skipped thousands of rows (9 ms instead of 2;
  // bench/README.md, "Reads"). The narrow subquery is an index-only scan of the right index.
  // Active only: the window is of the newest jobs, ended ones included (filtered after it), so it is
  // read from the index alone whatever the tenant's backlog.
  const query = {
    name: `gantry-read-job-list${options.status ? '-status' : ''}${options.afterId ? '-after' : ''}${options.activeOnly ? '-active' : ''}`,
    text: `SELECT ${jobViewRecord({ operator: '$3::boolean', storageKeys: '$4::boolean' }, options.activeOnly ? ['j.last_seq'] : [])}
           FROM (SELECT id FROM jobs WHERE ${where} ORDER BY id DESC LIMIT $2) page JOIN jobs j ON j.id = page.id
           ${options.activeOnly ? `WHERE j.status NOT IN (${TERMINAL})` : ''}
           ORDER BY j.id DESC`,
    values,
    rowMode: 'array' as const,
  };
  if (!options.timeoutMs) {
    const { rows } = await poolOf(db).query<[unknown[]]>(query);
    return rows.map((r) => r[0]);
  }
  const ms = Math.max(1, Math.floor(options.timeoutMs));
  const client = await poolOf(db).connect();
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${ms}`);
    const timed = { ...query, query_timeout: ms + 1000 };
    const { rows } = await client.query<[unknown[]]>(timed);
    await client.query('COMMIT');
    return rows.map((r) => r[0]);
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      failed = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    client.release(failed); // a connection that could not even roll back is dropped, not reused
  }
}
