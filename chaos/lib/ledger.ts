/**
 * What PostgreSQL (the record of every job) says about a scenario's jobs: status, state events,
 * output events and artifact rows, read straight from the tables on a fresh connection each time
 * (so a database restart between two reads does not matter). The scenario's database holds only
 * its own jobs, so every row is read: rows the client never got a 202 for show up too.
 */
import pg from 'pg';

const TERMINAL = ['succeeded', 'failed', 'canceled'] as const;
const IN_FLIGHT = ['dispatched', 'running'] as const;

export const isTerminal = (status: string): boolean => (TERMINAL as readonly string[]).includes(status);
export const isInFlight = (status: string): boolean => (IN_FLIGHT as readonly string[]).includes(status);

export interface StateEvent {
  seq: number;
  status: string;
  /** created_at in ms (the server clock: same machine as the suite). */
  at: number;
  backend: string | null;
}

export interface LedgerJob {
  id: string;
  status: string;
  attempts: number;
  errorCode: string | null;
  /** The Idempotency-Key it was submitted with: the suite uses the job's marker. */
  key: string | null;
  /** `state` events in sequence order. */
  states: StateEvent[];
  /** `output` events: the artifact each announced. */
  outputEvents: Array<{ artifactId: string; filename: string }>;
  artifacts: Array<{ id: string; filename: string }>;
}

export type Ledger = Map<string, LedgerJob>;

/** Reads every job of the database at `databaseUrl`. Rejects when the database cannot be reached. */
export async function readLedger(databaseUrl: string): Promise<Ledger> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000, query_timeout: 15_000 });
  client.on('error', () => undefined); // a connection cut mid-read rejects the query instead
  await client.connect();
  try {
    const jobs = await client.query(`SELECT id, status::text AS status, attempts, error_code, idempotency_key FROM jobs`);
    const events = await client.query(
      `SELECT job_id, seq, type, payload, (extract(epoch FROM created_at) * 1000)::float8 AS at
         FROM job_events WHERE type IN ('state', 'output') ORDER BY job_id, seq`,
    );
    const artifacts = await client.query(`SELECT job_id, id, filename FROM artifacts`);
    const ledger: Ledger = new Map();
    for (const r of jobs.rows) {
      ledger.set(r.id, { id: r.id, status: r.status, attempts: r.attempts, errorCode: r.error_code, key: r.idempotency_key, states: [], outputEvents: [], artifacts: [] });
    }
    for (const e of events.rows) {
      const job = ledger.get(e.job_id);
      if (!job) continue;
      const p = e.payload ?? {};
      if (e.type === 'state') job.states.push({ seq: e.seq, status: p.status, at: Number(e.at), backend: p.backend ?? null });
      else job.outputEvents.push({ artifactId: p.artifactId, filename: p.filename });
    }
    for (const a of artifacts.rows) ledger.get(a.job_id)?.artifacts.push({ id: a.id, filename: a.filename });
    return ledger;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The job's status as of time `t`: its last state event at or before `t` (undefined before its first). */
export function statusAt(job: LedgerJob, t: number): StateEvent | undefined {
  let last: StateEvent | undefined;
  for (const s of job.states) {
    if (s.at > t) break;
    last = s;
  }
  return last;
}

/** The first state event after time `t`, if any. */
export function nextStateAfter(job: LedgerJob, t: number): StateEvent | undefined {
  return job.states.find((s) => s.at > t);
}
