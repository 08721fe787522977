import { randomUUID } from 'node:crypto';
import { jobView, uuidv7 } from '@gantry/domain';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';

import { createPrisma, poolOf } from '../client.js';
import { migrateDatabase } from '../migrate/index.js';
import type { PrismaClient } from '../generated/client.js';
import { listJobArtifacts } from '../repositories/artifacts.js';
import { findJobById, findTenantJob, insertJob } from '../repositories/jobs.js';
import { transitionJob } from '../repositories/job-transitions.js';
import { ensureTenant } from '../repositories/tenants.js';
import { listJobInputs, upsertUpload } from '../repositories/uploads.js';
import { listBackends } from './backend-list-read.js';
import { readJobRow } from './job-row-read.js';
import { readTenantActiveJobViews, readTenantJobList } from './job-list-read.js';
import type { JobViewRow } from './job-view-columns.js';
import { readTenantJobSnapshot, readTenantJobView } from './job-view-read.js';
import { countSucceededSince } from './succeeded-count.js';
import { tenantHasJob } from './tenant-job-exists.js';

let db: TestDatabase;
let prisma: PrismaClient;
let tenantA: string;
let tenantB: string;
/** Tenant A's jobs, oldest first (ids are UUIDv7: creation order). */
const jobsOfA: string[] = [];

const WORKFLOW = { '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20 } } };

/** The view the Prisma reads gave before the raw ones: what every response must stay equal to. */
async function prismaView(tenantId: string, id: string, operator: boolean) {
  const job = await findTenantJob(prisma, tenantId, id);
  if (!job) return null;
  return jobView(job, await listJobArtifacts(prisma, id), { operator, inputs: await listJobInputs(prisma, id) });
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { poolSize: 4, applicationName: 'gantry-db-reads-test' });
  tenantA = (await ensureTenant(prisma, 'reads-a')).id;
  tenantB = (await ensureTenant(prisma, 'reads-b')).id;
  // Job 4's inputs come from two uploads of tenant A.
  const uploads = [];
  for (const name of ['mask', 'image']) {
    const upload = { tenantId: tenantA, sha256: name.padEnd(64, '0'), contentType: 'image/png', bytes: 10, width: 4, height: 4, storageKey: `sha256/${name}` };
    uploads.push({ name, ...upload, ...(await upsertUpload(prisma, uuidv7(), upload)).row });
  }
  for (let i = 0; i < 7; i++) {
    const id = uuidv7();
    await insertJob(prisma, {
      id,
      tenantId: tenantA,
      workflow: WORKFLOW,
      priority: i,
      requirements: i === 1 ? { tags: ['sdxl'], minVramGb: 12 } : undefined,
      metadata: i === 2 ? { project: 'x', nested: { n: [1, 2] } } : undefined,
      webhook: i === 3 ? { url: 'https://hooks.example/x', events: ['job.succeeded'] } : undefined,
      timeoutSeconds: i === 3 ? 90 : undefined,
      inputs:
        i === 4
          ? uploads.map((u) => ({
              name: u.name, uploadId: u.id, sha256: u.sha256, contentType: u.contentType, bytes: u.bytes, width: u.width, height: u.height,
              storageKey: u.storageKey, filename: `${u.name}.png`, targets: [{ node: '10', field: 'image' }], source: 'upload' as const,
            }))
          : undefined,
    });
    jobsOfA.push(id);
  }
  // Job 5 succeeded with two artifacts; job 6 failed with a backend detail only operators see.
  const [succeeded, failed] = [jobsOfA[5]!, jobsOfA[6]!];
  await prisma.job.update({ where: { id: succeeded }, data: { status: 'succeeded', attempts: 1, progress: 1, backendId: 'gpu-1', startedAt: new Date(), finishedAt: new Date() } });
  for (const name of ['b.png', 'a.png']) {
    await prisma.artifact.create({
      data: { id: uuidv7(), jobId: succeeded, tenantId: tenantA, nodeId: '9', filename: name, contentType: 'image/png', bytes: 123, sha256: 'a'.repeat(64), storageKey: `k/${name}` },
    });
  }
  await prisma.job.update({
    where: { id: failed },
    data: { status: 'failed', finishedAt: new Date(), errorCode: 'EXECUTION_ERROR', errorMessage: 'boom', errorDetails: { node: '3' }, errorInternal: { traceback: '/srv/x.py' } },
  });
  await insertJob(prisma, { id: uuidv7(), tenantId: tenantB, workflow: WORKFLOW, priority: 0 });
  // Job 7 runs, with what JSON might spell differently: integer-like keys, floats, escapes, a whole second.
  const edge = uuidv7();
  await insertJob(prisma, {
    id: edge,
    tenantId: tenantA,
    workflow: WORKFLOW,
    priority: -3,
    metadata: { b: 1, '10': 2, '2': [1.5, 1e-7, 0.1, 1e21, -0], x: 'é "q" \\ \n \u0001 😀', nested: { z: null, a: true } },
    requirements: { minVramGb: 7.5 },
  });
  await poolOf(prisma).query(
    `UPDATE jobs SET status = 'running', progress = 1.0 / 3, attempts = 2, backend_id = 'gpu-é',
       started_at = '2026-12-05 16:35:28+00', created_at = '2026-12-05 16:35:27.000001+00',
       last_error = '{"code": "BACKEND_LOST", "attempt": 1, "at": 1.50}' WHERE id = $1`,
    [edge],
  );
  jobsOfA.push(edge);
});

/** The statement the job list sent before its JSON records (one column per field): what its views must stay byte-equal to. */
const COLUMN_READ = `SELECT j.id, j.kind, j.status, j.priority, j.progress, j.attempts, j.backend_id AS "backendId",
    j.requirements, j.metadata, j.timeout_seconds AS "timeoutSeconds",
    j.webhook_url AS "webhookUrl", j.webhook_events AS "webhookEvents",
    j.created_at AS "createdAt", j.started_at AS "startedAt", j.finished_at AS "finishedAt",
    j.error_code AS "errorCode", j.error_message AS "errorMessage", j.error_details AS "errorDetails",
    CASE WHEN $2 THEN j.error_internal END AS "errorInternal",
    j.retry_of AS "retryOf", j.reused_from AS "reusedFrom", j.last_error AS "lastError",
    coalesce((SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'contentType', a.content_type,
                                                'bytes', a.bytes, 'nodeId', a.node_id, 'storageKey', a.storage_key) ORDER BY a.id)
              FROM artifacts a WHERE a.job_id = j.id), '[]') AS artifacts,
    coalesce((SELECT json_agg(json_build_object('name', i.name, 'source', i.source, 'uploadId', i.upload_id, 'sha256', i.sha256,
                                                'contentType', i.content_type, 'bytes', i.bytes, 'width', i.width,
                                                'height', i.height, 'filename', i.filename, 'targets', i.targets) ORDER BY i.name)
              FROM job_inputs i WHERE i.job_id = j.id), '[]') AS inputs
  FROM jobs j WHERE j.tenant_id = $1 ORDER BY j.id DESC`;

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('readJobRow', () => {
  it("gives every job's row exactly as Prisma's findJobById does (every column, same types)", async () => {
    await prisma.job.update({
      where: { id: jobsOfA[3]! },
      data: { status: 'running', workerId: 'w-1', heartbeatAt: new Date(), promptId: 'p-1', lastError: { code: 'X', attempt: 1 }, reuseKey: 'r', idempotencyKey: 'k', requestHash: 'h' },
    });
    for (const id of jobsOfA) {
      const row = await readJobRow(prisma, id);
      expect(row).toEqual(await findJobById(prisma, id));
      expect(Object.keys(row!).sort()).toEqual(Object.keys((await findJobById(prisma, id))!).sort());
    }
    expect(await readJobRow(prisma, randomUUID())).toBeNull();
  });

  it("comes with a transition that reads the row (readRow): the row as it was before the change, as readJobRow read it", async () => {
    // A job of its own, of a tenant of its own (the other tests read tenants A's and B's as they are).
    const id = uuidv7();
    await insertJob(prisma, {
      id, tenantId: (await ensureTenant(prisma, 'reads-c')).id, workflow: WORKFLOW, priority: 3, requirements: { tags: ['sdxl'] }, metadata: { m: [1] },
      webhook: { url: 'https://hooks.example/y', events: ['job.succeeded'] }, timeoutSeconds: 60,
    });
    const queued = await readJobRow(prisma, id);
    expect(queued?.status).toBe('queued');
    const result = await transitionJob(prisma, queued!.id, 'dispatched', { backendId: 'b-1', promptId: 'p-2', workerId: 'w-2', incrementAttempts: true, readRow: true });
    expect(result?.row).toEqual(queued);
    expect(Object.keys(result!.row!).sort()).toEqual(Object.keys(queued!).sort());
    expect(result).toMatchObject({ status: 'dispatched', from: 'queued', attempts: queued!.attempts + 1 });
    expect(await readJobRow(prisma, queued!.id)).toMatchObject({ status: 'dispatched', backendId: 'b-1', workerId: 'w-2' });
    // Refused (not queued any more): nothing, as without readRow.
    expect(await transitionJob(prisma, queued!.id, 'dispatched', { backendId: 'b-1', promptId: 'p-3', workerId: 'w-3', readRow: true })).toBeNull();
    // Without readRow the result carries no row.
    expect(await transitionJob(prisma, queued!.id, 'running')).not.toHaveProperty('row');
  });
});

describe('readTenantJobView', () => {
  it('gives every job the view the Prisma reads gave, for tenants and operators', async () => {
    for (const id of jobsOfA) {
      for (const operator of [false, true]) {
        const read = await readTenantJobView(prisma, tenantA, id, { operator });
        expect(read).not.toBeNull();
        expect(jobView(read!, read!.artifacts, { operator, inputs: read!.inputs })).toEqual(await prismaView(tenantA, id, operator));
      }
    }
  });

  it('reads the backend detail of an error for operators only', async () => {
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[6]!))?.errorInternal).toBeNull();
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[6]!, { operator: true }))?.errorInternal).toEqual({ traceback: '/srv/x.py' });
  });

  it('reads the workflow of a queued job only (the wait estimate needs it)', async () => {
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[0]!))?.workflow).toEqual(WORKFLOW);
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[0]!, { workflow: false }))?.workflow).toBeNull();
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[5]!))?.workflow).toBeNull();
  });

  it("reads the artifacts' storage keys only when asked (views with presigned URLs)", async () => {
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[5]!))?.artifacts.map((a) => a.storageKey)).toEqual([null, null]);
    const keys = (await readTenantJobView(prisma, tenantA, jobsOfA[5]!, { storageKeys: true }))?.artifacts.map((a) => a.storageKey);
    expect(keys?.sort()).toEqual(['k/a.png', 'k/b.png']);
    const listed = await readTenantJobList(prisma, { tenantId: tenantA, status: 'succeeded', limit: 10, storageKeys: true });
    expect(listed[0]!.artifacts.map((a) => a.storageKey).sort()).toEqual(['k/a.png', 'k/b.png']);
    expect((await readTenantJobList(prisma, { tenantId: tenantA, status: 'succeeded', limit: 10 }))[0]!.artifacts.map((a) => a.storageKey)).toEqual([null, null]);
  });

  it('orders artifacts by id and inputs by name', async () => {
    const ids = (await prisma.artifact.findMany({ where: { jobId: jobsOfA[5]! }, select: { id: true } })).map((a) => a.id).sort();
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[5]!))?.artifacts.map((a) => a.id)).toEqual(ids);
    expect((await readTenantJobView(prisma, tenantA, jobsOfA[4]!))?.inputs.map((i) => i.name)).toEqual(['image', 'mask']);
  });

  it("does not find another tenant's job, nor a missing one", async () => {
    expect(await readTenantJobView(prisma, tenantB, jobsOfA[0]!)).toBeNull();
    expect(await readTenantJobView(prisma, tenantA, randomUUID())).toBeNull();
  });
});

describe('readTenantJobSnapshot', () => {
  it("gives a stream's snapshot of each job: the tenant's view (no workflow), with the lastSeq stored in the same row", async () => {
    await poolOf(prisma).query('UPDATE jobs SET last_seq = 7 WHERE id = $1', [jobsOfA[5]]);
    const stored = new Map((await poolOf(prisma).query<{ id: string; last_seq: number }>('SELECT id, last_seq FROM jobs WHERE tenant_id = $1', [tenantA])).rows.map((r) => [r.id, r.last_seq]));
    for (const id of jobsOfA) {
      const snapshot = await readTenantJobSnapshot(prisma, tenantA, id, { storageKeys: true });
      const { workflow: _workflow, ...view } = (await readTenantJobView(prisma, tenantA, id, { storageKeys: true, workflow: false }))!;
      const { lastSeq, ...rest } = snapshot!;
      expect(rest).toEqual(view);
      expect(lastSeq).toBe(stored.get(id));
    }
    expect((await readTenantJobSnapshot(prisma, tenantA, jobsOfA[5]!))!.lastSeq).toBe(7);
    expect((await readTenantJobSnapshot(prisma, tenantA, jobsOfA[5]!))!.artifacts.map((a) => a.storageKey)).toEqual([null, null]);
    expect((await readTenantJobSnapshot(prisma, tenantA, jobsOfA[6]!))!.errorInternal).toBeNull();
  });

  it("does not find another tenant's job, nor a missing one", async () => {
    expect(await readTenantJobSnapshot(prisma, tenantB, jobsOfA[0]!)).toBeNull();
    expect(await readTenantJobSnapshot(prisma, tenantA, randomUUID())).toBeNull();
  });
});

describe('readTenantJobList', () => {
  const viewsOf = (rows: Awaited<ReturnType<typeof readTenantJobList>>) => rows.map((r) => jobView(r, r.artifacts, { inputs: r.inputs }));

  it('lists one tenant newest first, with the views the Prisma reads gave', async () => {
    const rows = await readTenantJobList(prisma, { tenantId: tenantA, limit: 100 });
    expect(rows.map((r) => r.id)).toEqual([...jobsOfA].reverse());
    const expected = await Promise.all([...jobsOfA].reverse().map((id) => prismaView(tenantA, id, false)));
    expect(viewsOf(rows)).toEqual(expected);
  });

  it('pages by cursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let afterId: string | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await readTenantJobList(prisma, { tenantId: tenantA, limit: 3, afterId });
      seen.push(...rows.map((r) => r.id));
      if (rows.length < 3) break;
      afterId = rows[rows.length - 1]!.id;
    }
    expect(seen).toEqual([...jobsOfA].reverse());
  });

  it('filters by status, also past a cursor', async () => {
    expect((await readTenantJobList(prisma, { tenantId: tenantA, status: 'succeeded', limit: 10 })).map((r) => r.id)).toEqual([jobsOfA[5]]);
    const queued = [...jobsOfA.slice(0, 5)].reverse();
    expect((await readTenantJobList(prisma, { tenantId: tenantA, status: 'queued', limit: 10, afterId: queued[1] })).map((r) => r.id)).toEqual(queued.slice(2));
  });

  it("never shows another tenant's jobs", async () => {
    const rows = await readTenantJobList(prisma, { tenantId: tenantB, limit: 100 });
    expect(rows).toHaveLength(1);
    expect(jobsOfA).not.toContain(rows[0]!.id);
    expect(await readTenantJobList(prisma, { tenantId: randomUUID(), limit: 100 })).toEqual([]);
  });

  it('reads the backend detail of an error for operators only', async () => {
    const internal = async (operator: boolean) =>
      (await readTenantJobList(prisma, { tenantId: tenantA, status: 'failed', limit: 10, operator }))[0]?.errorInternal;
    expect(await internal(false)).toBeNull();
    expect(await internal(true)).toEqual({ traceback: '/srv/x.py' });
  });
});

describe('readTenantActiveJobViews', () => {
  it("gives the tenant's jobs not yet ended among its newest, newest first, as the list shows them, each with its lastSeq", async () => {
    await poolOf(prisma).query('UPDATE jobs SET last_seq = 4 WHERE id = $1', [jobsOfA[7]]);
    const rows = await readTenantActiveJobViews(prisma, tenantA, { window: 100 });
    const active = [...jobsOfA].reverse().filter((id) => id !== jobsOfA[5] && id !== jobsOfA[6]);
    expect(rows.map((r) => r.id)).toEqual(active);
    const listed = new Map((await readTenantJobList(prisma, { tenantId: tenantA, limit: 100 })).map((r) => [r.id, r]));
    const stored = new Map((await poolOf(prisma).query<{ id: string; last_seq: number }>('SELECT id, last_seq FROM jobs WHERE tenant_id = $1', [tenantA])).rows.map((r) => [r.id, r.last_seq]));
    for (const row of rows) {
      const { lastSeq, ...view } = row;
      expect(view).toEqual(listed.get(row.id));
      expect(lastSeq).toBe(stored.get(row.id));
    }
    expect(rows[0]!.lastSeq).toBe(4);
    // The window is of the newest jobs, ended ones included.
    expect((await readTenantActiveJobViews(prisma, tenantA, { window: 4 })).map((r) => r.id)).toEqual([jobsOfA[7], jobsOfA[4]]);
    expect(await readTenantActiveJobViews(prisma, randomUUID(), { window: 100 })).toEqual([]);
  });

  it('fails, rather than waits on, a read that does not end in time (a lock held on the jobs)', async () => {
    const locker = await poolOf(prisma).connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
      await expect(readTenantActiveJobViews(prisma, tenantA, { window: 100, timeoutMs: 200 })).rejects.toThrow(/timeout/i);
      // Ended on the server too: no statement is left waiting for the lock.
      const { rows } = await poolOf(prisma).query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      expect(rows[0]!.n).toBe(0);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect(await readTenantActiveJobViews(prisma, tenantA, { window: 100, timeoutMs: 200 })).not.toEqual([]);
  });
});

describe('JSON records', () => {
  /** The page's JSON as the API writes it, from the column read and from readTenantJobList. */
  const pages = async (operator: boolean) => {
    const columns = (await poolOf(prisma).query<JobViewRow>(COLUMN_READ, [tenantA, operator])).rows;
    const records = await readTenantJobList(prisma, { tenantId: tenantA, limit: 100, operator });
    const json = (rows: JobViewRow[]) => JSON.stringify(rows.map((r) => jobView(r, r.artifacts, { operator, inputs: r.inputs })));
    return { before: json(columns), after: json(records), records };
  };

  it("give the views, byte for byte, that the column read gave (every job's kind of value, tenants and operators)", async () => {
    for (const operator of [false, true]) {
      const { before, after, records } = await pages(operator);
      expect(records).toHaveLength(jobsOfA.length);
      expect(after).toBe(before);
    }
  });

  it('read a progress that is not a finite number as node-postgres did (JSON has no NaN)', async () => {
    const edge = jobsOfA[7]!;
    try {
      for (const progress of ['NaN', 'Infinity', '-Infinity']) {
        await poolOf(prisma).query(`UPDATE jobs SET progress = $2::float8 WHERE id = $1`, [edge, progress]);
        const { before, after, records } = await pages(false);
        expect(records.find((r) => r.id === edge)?.progress).toBe(Number(progress));
        expect(after).toBe(before);
      }
    } finally {
      await poolOf(prisma).query(`UPDATE jobs SET progress = 1.0 / 3 WHERE id = $1`, [edge]);
    }
  });

  it('read timestamps in a session that is not in UTC as the same instants', async () => {
    // New connections to this database get the zone (the reads' pool has its connections open already).
    await poolOf(prisma).query(`ALTER ROLE CURRENT_USER IN DATABASE ${db.name} SET timezone = 'Asia/Kolkata'`);
    const other = createPrisma(db.url, { poolSize: 1, applicationName: 'gantry-db-reads-test-tz' });
    try {
      expect((await poolOf(other).query<{ tz: string }>("SELECT current_setting('timezone') AS tz")).rows[0]!.tz).toBe('Asia/Kolkata');
      const there = await readTenantJobList(other, { tenantId: tenantA, limit: 100 });
      expect(there).toEqual(await readTenantJobList(prisma, { tenantId: tenantA, limit: 100 }));
    } finally {
      await other.$disconnect();
      await poolOf(prisma).query(`ALTER ROLE CURRENT_USER IN DATABASE ${db.name} RESET timezone`);
    }
  });
});

describe('countSucceededSince', () => {
  it("counts every tenant's jobs that succeeded since the moment", async () => {
    const now = Date.now();
    expect(await countSucceededSince(prisma, new Date(now - 60_000))).toBe(1);
    expect(await countSucceededSince(prisma, new Date(now + 60_000))).toBe(0);
  });
});

describe('tenantHasJob', () => {
  it("finds a tenant's own job only", async () => {
    expect(await tenantHasJob(prisma, tenantA, jobsOfA[0]!)).toBe(true);
    expect(await tenantHasJob(prisma, tenantB, jobsOfA[0]!)).toBe(false);
    expect(await tenantHasJob(prisma, tenantA, randomUUID())).toBe(false);
  });
});

describe('listBackends', () => {
  it('gives the rows Prisma gives, by id', async () => {
    for (const id of ['gpu-b', 'gpu-a']) {
      await prisma.backend.create({ data: { id, kind: 'comfyui', url: `http://127.0.0.1/${id}`, capacity: 2, tags: ['sdxl'], info: { vramTotalMb: 24_000 } } });
    }
    await prisma.backend.create({ data: { id: 'gpu-c', kind: 'a1111', url: 'http://127.0.0.1/c', draining: true, tags: [] } });
    const rows = await listBackends(prisma);
    expect(rows.map((r) => r.id)).toEqual(['gpu-a', 'gpu-b', 'gpu-c']);
    expect(rows).toEqual(await prisma.backend.findMany({ orderBy: { id: 'asc' } }));
  });
});

describe('poolOf', () => {
  it("reads the URL's ?schema= like Prisma does", async () => {
    const other = await createTestDatabase({ migrate: false });
    const url = `${other.url}?schema=gantry_reads`;
    const client = createPrisma(url, { poolSize: 2 });
    try {
      await migrateDatabase(url);
      const tenantId = (await ensureTenant(client, 'in-a-schema')).id;
      const id = uuidv7();
      await insertJob(client, { id, tenantId, workflow: WORKFLOW, priority: 0 });
      expect((await readTenantJobView(client, tenantId, id))?.id).toBe(id);
    } finally {
      await client.$disconnect();
      await other.drop();
    }
  });

  it('is the pool Prisma runs on, and refuses a client it did not make', async () => {
    const { rows } = await poolOf(prisma).query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    expect(rows[0]!.n).toBe(await prisma.job.count());
    expect(() => poolOf({})).toThrow('not a client made by createPrisma');
  });
});
