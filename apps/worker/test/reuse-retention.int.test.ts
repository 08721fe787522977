import pg from 'pg';
import { createPrisma, type Db } from '@gantry/db';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { LocalArtifactStore } from '@gantry/storage';
import { apiClient, startStack, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';
import { runRetention } from '../src/retention/run-retention';

const DAY = 86_400_000;

/**
 * A reused job points to the blobs of the job that rendered them: retention of that job must keep
 * them while the reused job exists, and free them once no job references them; a source retention
 * holds is skipped by reuse (the job runs instead) rather than waited for.
 */
describe('reuse and retention', () => {
  let stack: TestStack;
  let client: pg.Client;
  let db: Db;
  let store: LocalArtifactStore;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, workerEnv: { GANTRY_RETENTION_INTERVAL_MS: '0' } });
    client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    db = createPrisma(stack.databaseUrl);
    store = new LocalArtifactStore(stack.artifactDir);
    admin = apiClient(stack.url, stack.adminKey);
  }, 60_000);
  afterAll(async () => {
    await db?.$disconnect();
    await client?.end();
    await stack?.close();
  });

  const finished = (id: string) =>
    jobEnd(admin, id);
  const age = (id: string, days: number) => client.query(`UPDATE jobs SET finished_at = $2 WHERE id = $1`, [id, new Date(Date.now() - days * DAY)]);
  const keysOf = async (id: string) => (await client.query(`SELECT storage_key FROM artifacts WHERE job_id = $1 ORDER BY id`, [id])).rows.map((r) => r.storage_key as string);
  const retain = () =>
    runRetention({ db, store, logger: silentLogger(), metrics: createMetricsRegistry('worker', { processMetrics: false }) }, { defaultDays: 30, dryRun: false, batchSize: 10, blobGraceMs: 0 });

  it("keeps the source's blobs while a reused job references them, and frees them after", async () => {
    const body = { workflow: defaultWorkflow({ steps: 1, width: 32, height: 32, seed: 5150 }), reuse: true };
    const source = await finished((await admin('POST', '/api/v1/jobs', body)).body.id);
    expect(source).toMatchObject({ status: 'succeeded', reusedFrom: null });
    const reused = (await admin('POST', '/api/v1/jobs', body)).body;
    expect(reused).toMatchObject({ status: 'succeeded', reusedFrom: source.id });
    const keys = await keysOf(source.id);
    expect(keys.length).toBeGreaterThan(0);
    expect(await keysOf(reused.id)).toEqual(keys);

    await age(source.id, 40);
    expect((await retain()).jobs).toBe(1);
    expect((await admin('GET', `/api/v1/jobs/${source.id}`)).status).toBe(404);
    for (const key of keys) expect(await store.exists(key)).toBe(true);
    const download = await admin('GET', reused.artifacts[0].url);
    expect(download.status).toBe(200);

    await age(reused.id, 40);
    const report = await retain();
    expect(report).toMatchObject({ jobs: 1, blobs: keys.length });
    for (const key of keys) expect(await store.exists(key)).toBe(false);
  });

  it('runs the job when the only source is held by retention, without waiting for it', async () => {
    const body = { workflow: defaultWorkflow({ steps: 1, width: 32, height: 32, seed: 6160 }), reuse: true };
    const source = await finished((await admin('POST', '/api/v1/jobs', body)).body.id);
    const holder = new pg.Client({ connectionString: stack.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM jobs WHERE id = $1 FOR UPDATE`, [source.id]); // as a retention batch does
      const ran = (await admin('POST', '/api/v1/jobs', body)).body;
      expect(ran).toMatchObject({ status: 'queued', reusedFrom: null });
      await holder.query('ROLLBACK');
      expect(await finished(ran.id)).toMatchObject({ status: 'succeeded', reusedFrom: null, attempts: 1 });
    } finally {
      await holder.end();
    }
    // Released, the source answers again.
    expect((await admin('POST', '/api/v1/jobs', body)).body).toMatchObject({ status: 'succeeded', reusedFrom: expect.any(String) });
  });
});
