import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createPrisma, type Db } from '@gantry/db';
import { uuidv7 } from '@gantry/domain';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry, type Registry } from '@gantry/metrics';
import { LocalArtifactStore } from '@gantry/storage';
import { apiClient, REPO_ROOT, stackEnv, startStack, TEST_REDIS_URL, waitUntil, type TestStack } from '@gantry/testing';
import { Redis } from 'ioredis';
import { defaultWorkflow } from '../../api/test/fixtures';
import { RetentionLock } from '../src/retention/retention-lock';
import { runRetention, type RetentionOptions } from '../src/retention/run-retention';

const DAY = 86_400_000;

/**
 * Retention against a real database and artifact directory: expired finished jobs go with their
 * events, artifact rows and (when nothing else references them) blobs; young jobs, unfinished
 * jobs and shared blobs stay; dry run deletes nothing; a tenant's override wins; and the
 * worker's schedule runs it by itself.
 */
describe('retention', () => {
  let stack: TestStack;
  let client: pg.Client;
  let db: Db;
  let store: LocalArtifactStore;
  let admin: ReturnType<typeof apiClient>;
  let defaultTenantId: string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, workerEnv: { GANTRY_RETENTION_INTERVAL_MS: '0' } });
    client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    db = createPrisma(stack.databaseUrl);
    store = new LocalArtifactStore(stack.artifactDir);
    admin = apiClient(stack.url, stack.adminKey);
    defaultTenantId = (await client.query(`SELECT id FROM tenants WHERE name = 'default'`)).rows[0].id;
  }, 120_000);

  afterAll(async () => {
    await db?.$disconnect();
    await client?.end();
    await stack?.close();
  });

  async function createTenant(name: string): Promise<{ id: string; key: string }> {
    const res = await admin('POST', '/api/v1/api-keys', { tenant: name, scopes: ['admin'] });
    expect(res.status).toBe(201);
    const id = (await client.query(`SELECT id FROM tenants WHERE name = $1`, [name])).rows[0].id;
    return { id, key: res.body.key };
  }

  /**
   * A job row as the worker leaves it: `status`, finished `finishedDaysAgo` days ago (null: not
   * finished), two events, and one artifact whose blob holds `content` (written when the job finished
   * unless `blobWrittenNow`).
   */
  async function seedJob(
    tenantId: string,
    options: { finishedDaysAgo: number | null; content: string; status?: string; blobWrittenNow?: boolean },
  ): Promise<{ id: string; key: string; bytes: number }> {
    const id = uuidv7();
    const finishedAt = options.finishedDaysAgo === null ? null : new Date(Date.now() - options.finishedDaysAgo * DAY);
    const status = options.status ?? (finishedAt ? 'succeeded' : 'running');
    await client.query(
      `INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, created_at, updated_at, finished_at)
       VALUES ($1, $2, $3::"JobStatus", '{}'::jsonb, 2, COALESCE($4, now()), COALESCE($4, now()), $4)`,
      [id, tenantId, status, finishedAt],
    );
    await client.query(
      `INSERT INTO job_events (job_id, seq, type, payload) VALUES ($1, 1, 'state', '{"status":"queued"}'), ($1, 2, 'state', $2::jsonb)`,
      [id, JSON.stringify({ status })],
    );
    const stored = await store.put(Buffer.from(options.content));
    if (!options.blobWrittenNow) {
      const at = finishedAt ?? new Date();
      await utimes(path.join(stack.artifactDir, stored.key), at, at);
    }
    await client.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key)
       VALUES ($1, $2, $3, 'out.png', 'image/png', $4, $5, $6)`,
      [uuidv7(), id, tenantId, stored.bytes, stored.sha256, stored.key],
    );
    return { id, key: stored.key, bytes: stored.bytes };
  }

  async function rowsOf(jobId: string): Promise<{ jobs: number; events: number; artifacts: number }> {
    const { rows } = await client.query(
      `SELECT (SELECT count(*)::int FROM jobs WHERE id = $1) AS jobs,
              (SELECT count(*)::int FROM job_events WHERE job_id = $1) AS events,
              (SELECT count(*)::int FROM artifacts WHERE job_id = $1) AS artifacts`,
      [jobId],
    );
    return rows[0];
  }

  const gone = { jobs: 0, events: 0, artifacts: 0 };
  const kept = { jobs: 1, events: 2, artifacts: 1 };
  const unique = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;
  const run = (metrics: Registry, options: Partial<RetentionOptions> = {}) =>
    runRetention({ db, store, logger: silentLogger(), metrics }, { defaultDays: 30, dryRun: false, batchSize: 2, ...options });
  const metricValue = async (metrics: Registry, name: string, labels: Record<string, string> = {}) => {
    const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return value?.value;
  };

  describe('with a 30-day default', () => {
    let seeded: Record<string, { id: string; key: string; bytes: number }>;
    beforeAll(async () => {
      const sharedContent = unique('shared');
      seeded = {
        old: await seedJob(defaultTenantId, { finishedDaysAgo: 40, content: unique('old') }),
        oldFailed: await seedJob(defaultTenantId, { finishedDaysAgo: 31, content: unique('old-failed'), status: 'failed' }),
        oldOther: await seedJob(defaultTenantId, { finishedDaysAgo: 35, content: unique('old-other') }),
        young: await seedJob(defaultTenantId, { finishedDaysAgo: 29, content: unique('young') }),
        oldShared: await seedJob(defaultTenantId, { finishedDaysAgo: 60, content: sharedContent }),
        youngShared: await seedJob(defaultTenantId, { finishedDaysAgo: 1, content: sharedContent }),
        unfinished: await seedJob(defaultTenantId, { finishedDaysAgo: null, content: unique('running') }),
        oldRecentBlob: await seedJob(defaultTenantId, { finishedDaysAgo: 50, content: unique('re-stored'), blobWrittenNow: true }),
      };
    });

    it('dry run reports what would go and deletes nothing', async () => {
      const metrics = createMetricsRegistry('worker', { processMetrics: false });
      const report = await run(metrics, { dryRun: true });
      const expiredUnshared = [seeded.old!, seeded.oldFailed!, seeded.oldOther!, seeded.oldRecentBlob!];
      expect(report).toMatchObject({
        dryRun: true,
        jobs: 5,
        artifacts: 5,
        blobs: 4,
        bytes: expiredUnshared.reduce((sum, s) => sum + s.bytes, 0),
      });
      for (const job of Object.values(seeded)) {
        expect(await rowsOf(job.id)).toEqual(kept);
        expect(await store.exists(job.key)).toBe(true);
      }
      expect(await metricValue(metrics, 'gantry_retention_would_delete', { kind: 'jobs' })).toBe(5);
      expect(await metricValue(metrics, 'gantry_retention_would_delete', { kind: 'blobs' })).toBe(4);
      expect(await metricValue(metrics, 'gantry_retention_deleted_jobs_total')).toBe(0);
      expect(await metricValue(metrics, 'gantry_retention_last_run_timestamp_seconds', { result: 'ok' })).toBeGreaterThan(0);
    });

    it('deletes expired jobs, their events, artifacts and unshared blobs in batches; keeps the rest', async () => {
      const metrics = createMetricsRegistry('worker', { processMetrics: false });
      const report = await run(metrics);
      expect(report).toMatchObject({ dryRun: false, jobs: 5, artifacts: 5, blobs: 3, sharedBlobsKept: 1, recentBlobsKept: 1, complete: true });
      expect(report.batches).toBeGreaterThanOrEqual(3); // batch size 2
      expect(report.bytes).toBe(seeded.old!.bytes + seeded.oldFailed!.bytes + seeded.oldOther!.bytes);

      for (const name of ['old', 'oldFailed', 'oldOther', 'oldShared', 'oldRecentBlob']) expect({ name, ...(await rowsOf(seeded[name]!.id)) }).toEqual({ name, ...gone });
      for (const name of ['young', 'youngShared', 'unfinished']) expect({ name, ...(await rowsOf(seeded[name]!.id)) }).toEqual({ name, ...kept });
      for (const name of ['old', 'oldFailed', 'oldOther']) expect({ name, stored: await store.exists(seeded[name]!.key) }).toEqual({ name, stored: false });
      // Still referenced by the young job with equal bytes; and a blob stored again lately.
      for (const name of ['oldShared', 'young', 'youngShared', 'unfinished', 'oldRecentBlob']) {
        expect({ name, stored: await store.exists(seeded[name]!.key) }).toEqual({ name, stored: true });
      }
      expect(await metricValue(metrics, 'gantry_retention_deleted_jobs_total')).toBe(5);
      expect(await metricValue(metrics, 'gantry_retention_deleted_artifacts_total')).toBe(5);
      expect(await metricValue(metrics, 'gantry_retention_deleted_blobs_total')).toBe(3);
      expect(await metricValue(metrics, 'gantry_retention_deleted_bytes_total')).toBe(report.bytes);

      // A second run finds nothing more.
      expect(await run(metrics)).toMatchObject({ jobs: 0, artifacts: 0, blobs: 0 });
    });
  });

  it('a run that fails while deleting blobs keeps the rows, so the next run deletes rows and blobs (no orphan)', async () => {
    const tenant = await createTenant(unique('fail').slice(0, 40));
    expect((await apiClient(stack.url, tenant.key)('PATCH', '/api/v1/tenants/current', { retentionDays: 1 })).status).toBe(200);
    const job = await seedJob(tenant.id, { finishedDaysAgo: 3, content: unique('fail') });
    const failing = Object.assign(Object.create(store) as LocalArtifactStore, {
      delete: async () => {
        throw new Error('disk went away');
      },
    });
    const metrics = createMetricsRegistry('worker', { processMetrics: false });
    await expect(runRetention({ db, store: failing, logger: silentLogger(), metrics }, { defaultDays: 0, dryRun: false, batchSize: 10 })).rejects.toThrow('disk went away');
    expect(await rowsOf(job.id)).toEqual(kept);
    expect(await store.exists(job.key)).toBe(true);
    expect(await metricValue(metrics, 'gantry_retention_last_run_timestamp_seconds', { result: 'error' })).toBeGreaterThan(0);

    expect(await run(metrics, { defaultDays: 0 })).toMatchObject({ jobs: 1, blobs: 1 });
    expect(await rowsOf(job.id)).toEqual(gone);
    expect(await store.exists(job.key)).toBe(false);
  });

  it("honours a tenant's override set through PATCH /api/v1/tenants, and 0 keeps forever", async () => {
    const short = await createTenant(unique('short').slice(0, 40));
    const forever = await createTenant(unique('forever').slice(0, 40));
    const shortKey = apiClient(stack.url, short.key);
    expect(await shortKey('PATCH', '/api/v1/tenants/current', { retentionDays: 5 })).toMatchObject({ status: 200, body: { id: short.id, retentionDays: 5 } });
    const foreverName = (await client.query(`SELECT name FROM tenants WHERE id = $1`, [forever.id])).rows[0].name;
    expect(await admin('PATCH', `/api/v1/tenants/${foreverName}`, { retentionDays: 0 })).toMatchObject({ status: 200, body: { retentionDays: 0 } });
    expect(await admin('GET', `/api/v1/tenants/${foreverName}`)).toMatchObject({ status: 200, body: { name: foreverName, retentionDays: 0 } });

    const shortOld = await seedJob(short.id, { finishedDaysAgo: 10, content: unique('s-old') });
    const shortYoung = await seedJob(short.id, { finishedDaysAgo: 2, content: unique('s-young') });
    const foreverOld = await seedJob(forever.id, { finishedDaysAgo: 3650, content: unique('f-old') });
    const defaultMid = await seedJob(defaultTenantId, { finishedDaysAgo: 10, content: unique('d-mid') });

    const report = await run(createMetricsRegistry('worker', { processMetrics: false }));
    expect(report).toMatchObject({ jobs: 1, blobs: 1 });
    expect(await rowsOf(shortOld.id)).toEqual(gone);
    expect(await store.exists(shortOld.key)).toBe(false);
    expect(await rowsOf(shortYoung.id)).toEqual(kept);
    expect(await rowsOf(foreverOld.id)).toEqual(kept);
    expect(await rowsOf(defaultMid.id)).toEqual(kept);

    // null goes back to the default (30 days): the 3650-day-old job now expires.
    expect(await admin('PATCH', `/api/v1/tenants/${foreverName}`, { retentionDays: null })).toMatchObject({ status: 200, body: { retentionDays: null } });
    expect(await run(createMetricsRegistry('worker', { processMetrics: false }))).toMatchObject({ jobs: 1 });
    expect(await rowsOf(foreverOld.id)).toEqual(gone);
  });

  it('refuses bad tenant settings and callers without the admin scope', async () => {
    for (const body of [{ retentionDays: -1 }, { retentionDays: 1.5 }, { retentionDays: '7' }, {}, { retentionDays: 7, extra: 1 }, { retentionDays: 100_000 }]) {
      const res = await admin('PATCH', '/api/v1/tenants/current', body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 422, code: 'VALIDATION_FAILED' });
    }
    expect((await admin('PATCH', '/api/v1/tenants/current', 'retentionDays=7', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await admin('PATCH', '/api/v1/tenants/no-such-tenant', { retentionDays: 7 })).status).toBe(404);
    expect((await admin('GET', '/api/v1/tenants/Bad%20Name')).status).toBe(404);
    const reader = await admin('POST', '/api/v1/api-keys', { tenant: 'default', scopes: ['read', 'submit'] });
    const res = await apiClient(stack.url, reader.body.key)('PATCH', '/api/v1/tenants/current', { retentionDays: 1 });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect((await apiClient(stack.url)('GET', '/api/v1/tenants/current')).status).toBe(401);
  });

  it("runs on the worker's schedule: a rendered job that expired goes, with its output", async () => {
    const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 4242, width: 64, height: 64 }) });
    expect(res.status).toBe(202);
    const jobId = res.body.id as string;
    await waitUntil(async () => ((await rowsOf(jobId)).artifacts === 1 && (await admin('GET', `/api/v1/jobs/${jobId}`)).body.status === 'succeeded' ? true : undefined), 40_000);
    const { rows } = await client.query(`SELECT storage_key FROM artifacts WHERE job_id = $1`, [jobId]);
    const key = rows[0].storage_key as string;
    const longAgo = new Date(Date.now() - 400 * DAY);
    await client.query(`UPDATE jobs SET finished_at = $2 WHERE id = $1`, [jobId, longAgo]);
    await utimes(path.join(stack.artifactDir, key), longAgo, longAgo);

    const worker = await stack.startWorker({ GANTRY_RETENTION_INTERVAL_MS: '500', GANTRY_RETENTION_DAYS: '365' });
    await waitUntil(async () => ((await rowsOf(jobId)).jobs === 0 ? true : undefined), 40_000, 100);
    expect(await rowsOf(jobId)).toEqual(gone);
    await waitUntil(async () => ((await store.exists(key)) ? undefined : true), 10_000, 100);
    expect(await metricValue(worker.deps.metrics, 'gantry_retention_deleted_jobs_total')).toBeGreaterThanOrEqual(1);
    await worker.close();
  }, 90_000);

  it('npm run retention: prints a summary, honours --dry-run, refuses while another run holds the lock', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--conditions=@gantry/source', '--import', 'tsx', path.join(REPO_ROOT, 'apps/worker/src/retention/cli.ts'), ...args],
          { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...stackEnv(stack), LOG_LEVEL: 'warn' }, timeout: 120_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
    // --days 0 keeps tenants without an override forever (the other tests' jobs); this tenant keeps 15 days.
    const tenant = await createTenant(unique('cli').slice(0, 40));
    expect((await apiClient(stack.url, tenant.key)('PATCH', '/api/v1/tenants/current', { retentionDays: 15 })).status).toBe(200);
    const expired = await seedJob(tenant.id, { finishedDaysAgo: 20, content: unique('cli') });

    const dry = await cli(['--dry-run', '--days', '0']);
    expect({ code: dry.code, stdout: dry.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('jobs would delete: 1') });
    expect(dry.stdout).toContain('dry run: nothing deleted');
    expect(await rowsOf(expired.id)).toEqual(kept);

    const redis = new Redis(TEST_REDIS_URL);
    const lock = new RetentionLock(redis, stack.prefix);
    try {
      expect(await lock.acquire()).toBe(true);
      const refused = await cli(['--days', '0']);
      expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('running elsewhere') });
      expect(await rowsOf(expired.id)).toEqual(kept);
    } finally {
      await lock.release();
      redis.disconnect();
    }

    const real = await cli(['--days', '0']);
    expect({ code: real.code, stdout: real.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('jobs deleted: 1') });
    expect(await rowsOf(expired.id)).toEqual(gone);
    expect((await cli(['--days', 'ten'])).code).toBe(1);
  }, 300_000);
});
