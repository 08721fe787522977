import { uuidv7 } from '@gantry/domain';
import { pgPoolOf } from '../client.js';
import type { Prisma } from '../generated/client.js';
import type { DbOrTx } from './audit-events.js';
import type { Db } from './db-client.js';
import { transitionJob, type TransitionResult } from './job-transitions.js';
import type { JobRow, NewJob } from './jobs.js';

/** A job of a batch; `reuse`: answer it from an earlier identical success of its tenant when there is one (needs `reuseKey`). */
export interface NewBatchJob extends NewJob {
  reuse?: boolean;
  /**
   * `workflow` as JSON text, when the caller already has it (a batch keeps each workflow's
   * text: its size check wrote it): the insert sends it instead of serializing
   * the workflow again. Any key order (`jsonb` keeps none); it must be the JSON of `workflow`.
   */
  workflowJson?: string | undefined;
}

/** What a batch insert wrote: every row in input order, and the `succeeded` transition of each job answered by reuse. */
export interface InsertedBatch {
  rows: JobRow[];
  /** By job id: the reused jobs (recorded `queued → succeeded` with their source's artifacts). */
  reused: Map<string, TransitionResult>;
}

/**
 * Records a batch of jobs all-or-nothing. Without reuse: one statement (below) for every job row,
 * its `queued` event (seq 1) and its input rows. With `reuse` items: one transaction that first
 * locks, in one query, the newest succeeded job of the tenant for each reuse key (`FOR SHARE SKIP
 * LOCKED`, the rule of insertReusedJob, so retention cannot delete a blob a new row points to),
 * inserts the whole batch in the same one statement, then moves each job that found a source to
 * `succeeded` through transitionJob (its artifact rows, output and state events, webhook outbox row).
 */
export async function insertJobBatch(db: Db, jobs: readonly NewBatchJob[]): Promise<InsertedBatch> {
  const wantsReuse = jobs.some((j) => j.reuse && j.reuseKey);
  if (!wantsReuse) return { rows: await insertJobs(db, jobs), reused: new Map() };
  return db.$transaction(async (tx) => {
    const sources = await lockReuseSources(tx, jobs[0]!.tenantId, [...new Set(jobs.flatMap((j) => (j.reuse && j.reuseKey ? [j.reuseKey] : [])))]);
    const rows = await insertJobs(tx, jobs);
    const reused = new Map<string, TransitionResult>();
    for (const job of jobs) {
      const source = job.reuse && job.reuseKey ? sources.get(job.reuseKey) : undefined;
      if (!source) continue;
      const transition = await transitionJob(
        tx,
        job.id,
        'succeeded',
        {
          progress: 1,
          reusedFrom: source.origin,
          outputs: source.artifacts.map((a) => ({ ...a, id: uuidv7(), jobId: job.id, tenantId: job.tenantId })),
        },
        ['queued'],
      );
      if (!transition) throw new Error(`reused job ${job.id} did not reach succeeded`);
      reused.set(job.id, transition);
    }
    if (reused.size === 0) return { rows, reused };
    const after = new Map((await tx.job.findMany({ where: { id: { in: [...reused.keys()] } } })).map((r) => [r.id, r]));
    return { rows: rows.map((r) => after.get(r.id) ?? r), reused };
  });
}

interface ReuseSource {
  /** The job that rendered it (a reuse of a reuse names the original run). */
  origin: string;
  artifacts: { nodeId: string | null; filename: string; contentType: string; bytes: number; sha256: string; storageKey: string }[];
}

/** For each reuse key, the newest succeeded job of the tenant with it, locked FOR SHARE until commit, and its artifacts. */
async function lockReuseSources(tx: Prisma.TransactionClient, tenantId: string, keys: string[]): Promise<Map<string, ReuseSource>> {
  if (keys.length === 0) return new Map();
  const found = await tx.$queryRaw<{ key: string; id: string; reused_from: string | null }[]>`
    SELECT k.key, s.id::text AS id, s.reused_from::text AS reused_from
    FROM unnest(${keys}::text[]) AS k(key)
    CROSS JOIN LATERAL (
      SELECT id, reused_from FROM jobs
      WHERE tenant_id = ${tenantId}::uuid AND reuse_key = k.key AND status = 'succeeded'
      ORDER BY id DESC
      LIMIT 1
      FOR SHARE SKIP LOCKED
    ) s`;
  if (found.length === 0) return new Map();
  const artifacts = await tx.artifact.findMany({ where: { jobId: { in: found.map((f) => f.id) } }, orderBy: { id: 'asc' } });
  return new Map(
    found.map((f) => [
      f.key,
      {
        origin: f.reused_from ?? f.id,
        artifacts: artifacts
          .filter((a) => a.jobId === f.id)
          .map((a) => ({ nodeId: a.nodeId, filename: a.filename, contentType: a.contentType, bytes: a.bytes, sha256: a.sha256, storageKey: a.storageKey })),
      },
    ]),
  );
}

/** The jobs ($1: JSON records), their first events and their input rows ($2: JSON records), one statement. */
const INSERT_JOBS_SQL = `
  WITH x AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
      id uuid, tenant_id uuid, kind text, workflow jsonb, priority int, requirements jsonb, metadata jsonb,
      timeout_seconds int, webhook_url text, webhook_events text[], idempotency_key text, request_hash text,
      retry_of uuid, reuse_key text)
  ), j AS (
    INSERT INTO jobs (id, tenant_id, kind, workflow, priority, requirements, metadata, timeout_seconds, webhook_url,
                      webhook_events, idempotency_key, request_hash, retry_of, reuse_key, last_seq, created_at, updated_at)
    SELECT id, tenant_id, kind::"JobKind", workflow, priority, NULLIF(requirements, 'null'::jsonb), NULLIF(metadata, 'null'::jsonb),
           timeout_seconds, webhook_url, webhook_events, idempotency_key, request_hash, retry_of, reuse_key, 1, now(), now()
    FROM x
    RETURNING id
  ), e AS (
    INSERT INTO job_events (job_id, seq, type, payload, created_at)
    SELECT id, 1, 'state', '{"type": "state", "status": "queued", "attempt": 0}'::jsonb, now() FROM j
  ), i AS (
    INSERT INTO job_inputs (job_id, name, upload_id, sha256, content_type, bytes, width, height, storage_key, filename, targets, source, created_at)
    SELECT job_id, name, upload_id, sha256, content_type, bytes, width, height, storage_key, filename, targets, source, now()
    FROM jsonb_to_recordset($2::jsonb) AS y(
      job_id uuid, name text, upload_id uuid, sha256 text, content_type text, bytes int, width int, height int,
      storage_key text, filename text, targets jsonb, source text)
  )
  SELECT now()::timestamptz(3) AS created_at`;

/**
 * Inserts queued jobs with their first event (seq 1, `state: queued`) and their input rows: one
 * statement for the whole batch (a multi-row INSERT per table from one JSON parameter, so the
 * round trips and the planning do not grow with the batch). Returns the rows in input order, as
 * they were stored (PostgreSQL's `now()` as created and updated time), without reading them back.
 * A single submit (JobDoor.submit) sends the same statement with one job: one round trip, no
 * transaction, no read-back (bench/README.md, "Single submit").
 */
export async function insertJobs(db: DbOrTx, jobs: readonly NewBatchJob[]): Promise<JobRow[]> {
  if (jobs.length === 0) return [];
  const inputs = jobs.flatMap((j) =>
    (j.inputs ?? []).map((i) => ({
      job_id: j.id,
      name: i.name,
      upload_id: i.uploadId,
      sha256: i.sha256,
      content_type: i.contentType,
      bytes: i.bytes,
      width: i.width,
      height: i.height,
      storage_key: i.storageKey,
      filename: i.filename,
      targets: i.targets,
      source: i.source,
    })),
  );
  const params = [jobRecordsJson(jobs), JSON.stringify(inputs)];
  // Straight to the pool when there is one: Prisma's handling of a megabyte parameter costs a
  // quarter of the statement (bench/README.md, batch submit). In a transaction, through it.
  const pool = pgPoolOf(db);
  // Named: each connection parses and plans it once.
  const rows = pool
    ? (await pool.query<{ created_at: Date }>({ name: 'gantry-insert-jobs', text: INSERT_JOBS_SQL, values: params })).rows
    : await db.$queryRawUnsafe<{ created_at: Date }[]>(INSERT_JOBS_SQL, ...params);
  const at = rows[0]!.created_at;
  return jobs.map((j) => ({
    id: j.id,
    tenantId: j.tenantId,
    status: 'queued',
    priority: j.priority,
    kind: j.kind ?? 'workflow',
    workflow: j.workflow as Prisma.JsonValue,
    requirements: (j.requirements ?? null) as Prisma.JsonValue,
    metadata: (j.metadata ?? null) as Prisma.JsonValue,
    timeoutSeconds: j.timeoutSeconds ?? null,
    webhookUrl: j.webhook?.url ?? null,
    webhookEvents: j.webhook?.events ?? [],
    idempotencyKey: j.idempotencyKey ?? null,
    requestHash: j.requestHash ?? null,
    retryOf: j.retryOf ?? null,
    reuseKey: j.reuseKey ?? null,
    reusedFrom: null,
    attempts: 0,
    progress: 0,
    backendId: null,
    promptId: null,
    errorCode: null,
    errorMessage: null,
    errorDetails: null,
    errorInternal: null,
    cancelRequested: false,
    workerId: null,
    heartbeatAt: null,
    queueSeq: 0,
    lastError: null,
    lastSeq: 1,
    queuedAt: at,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    finishedAt: null,
  }));
}

/**
 * The statement's `$1`: a JSON array of one record per job (the columns `jsonb_to_recordset` reads
 * by name). Each record is written around its workflow's text: `workflowJson` when the caller has
 * it (not serialized again), else `JSON.stringify(workflow)`; a workflow with no JSON (undefined)
 * is left out, as JSON.stringify of the record would.
 */
export function jobRecordsJson(jobs: readonly NewBatchJob[]): string {
  let out = '[';
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!;
    const rest = JSON.stringify({
      id: j.id,
      tenant_id: j.tenantId,
      kind: j.kind ?? 'workflow',
      priority: j.priority,
      requirements: j.requirements ?? null,
      metadata: j.metadata ?? null,
      timeout_seconds: j.timeoutSeconds ?? null,
      webhook_url: j.webhook?.url ?? null,
      webhook_events: j.webhook?.events ?? [],
      idempotency_key: j.idempotencyKey ?? null,
      request_hash: j.requestHash ?? null,
      retry_of: j.retryOf ?? null,
      reuse_key: j.reuseKey ?? null,
    });
    const workflow = j.workflowJson ?? (JSON.stringify(j.workflow) as string | undefined);
    out += `${i === 0 ? '' : ','}${workflow === undefined ? rest : `{"workflow":${workflow},${rest.slice(1)}`}`;
  }
  return `${out}]`;
}

/** The jobs of a tenant with these idempotency keys, in the order of `keys` (missing ones left out). */
export async function findJobsByIdempotencyKeys(db: Db, tenantId: string, keys: readonly string[]): Promise<JobRow[]> {
  if (keys.length === 0) return [];
  const rows = await db.job.findMany({ where: { tenantId, idempotencyKey: { in: [...keys] } } });
  const byKey = new Map(rows.map((r) => [r.idempotencyKey, r]));
  return keys.flatMap((k) => byKey.get(k) ?? []);
}
