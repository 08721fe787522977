/**
 * The snapshots of a WebSocket `all` subscription: a tenant's jobs still running among its newest
 * ones, as the view shows them, each with the sequence number of its last event, in one statement
 * (one consistent snapshot of the database: a job's view and its `lastSeq` agree). Before, each
 * subscribing socket read every active job in five statements (the job, its artifacts, its inputs,
 * its events after the snapshot...): a reconnect storm of thousands of sockets held the pool and the
 * API's event loop for seconds (bench/README.md, "WebSocket fan-out").
 */
import { TERMINAL_STATUSES } from '@gantry/domain';
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';
import { JOB_VIEW_RECORD_EXTRA, jobViewRecord, jobViewRowOf, type JobViewRow } from './job-view-columns.js';

export interface ActiveJobViewRow extends JobViewRow {
  /** Sequence number of the job's last stored event, as of the same read. */
  lastSeq: number;
}

const TERMINAL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * How long the read may take before it fails (milliseconds): every `all` socket of the tenant on
 * the instance waits for it, so a hung read (a lock, a stalled server) must end in an error they
 * can retry on, not in a wait without end. node-postgres' query_timeout: the caller gets the error,
 * and the pool drops the connection (the statement, if still running, ends with it).
 */
export const ACTIVE_JOB_VIEWS_TIMEOUT_MS = 5000;

/**
 * The jobs among a tenant's `window` newest that are not terminal, newest first (a tenant's own
 * jobs only; an error's backend detail never: the stream shows tenants' views). The window is read
 * from the `(tenant_id, id desc)` index alone, so a tenant with a million queued jobs costs what one
 * with ten does. `storageKeys`: the artifacts' storage keys (views with presigned URLs).
 */
export async function readTenantActiveJobViews(
  db: Db,
  tenantId: string,
  options: { window: number; storageKeys?: boolean; timeoutMs?: number },
): Promise<ActiveJobViewRow[]> {
  const query = {
    name: 'gantry-read-active-job-views',
    text: `SELECT ${jobViewRecord({ operator: 'false', storageKeys: '$3::boolean' }, ['j.last_seq'])}
           FROM (SELECT id FROM jobs WHERE tenant_id = $1::uuid ORDER BY id DESC LIMIT $2) page JOIN jobs j ON j.id = page.id
           WHERE j.status NOT IN (${TERMINAL})
           ORDER BY j.id DESC`,
    values: [tenantId, options.window, options.storageKeys ?? false],
    rowMode: 'array' as const,
    query_timeout: options.timeoutMs ?? ACTIVE_JOB_VIEWS_TIMEOUT_MS,
  };
  const { rows } = await poolOf(db).query<[unknown[]]>(query);
  return rows.map((r) => {
    const row = jobViewRowOf(r[0]) as ActiveJobViewRow;
    row.lastSeq = r[0][JOB_VIEW_RECORD_EXTRA] as number;
    return row;
  });
}
