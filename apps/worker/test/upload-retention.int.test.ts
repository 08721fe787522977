import { stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createPrisma, type Db } from '@gantry/db';
import { uuidv7 } from '@gantry/domain';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { LocalArtifactStore } from '@gantry/storage';
import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { png } from '../../api/test/images';
import { runRetention } from '../src/retention/run-retention';

const DAY = 86_400_000;

/**
 * Retention of input images: uploads unused for the tenant's retention go with their blobs; one a
 * queued job names stays; a blob another upload or an artifact holds stays; and artifact retention
 * keeps a blob an upload holds (uploads and artifacts share the content-addressed store).
 */
describe('upload retention', () => {
  let stack: TestStack;
  let client: pg.Client;
  let db: Db;
  let store: LocalArtifactStore;
  let otherKey: string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 0, worker: false });
    client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    db = createPrisma(stack.databaseUrl);
    store = new LocalArtifactStore(stack.artifactDir);
    otherKey = (await apiClient(stack.url, stack.adminKey)('POST', '/api/v1/api-keys', { tenant: 'other', scopes: ['submit', 'read'] })).body.key;
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect();
    await client?.end();
    await stack?.close();
  });

  const upload = async (bytes: Buffer, key = stack.adminKey) =>
    (await (await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: bytes })).json()) as any;
  const blobOf = (sha: string) => path.join(stack.artifactDir, 'sha256', sha.slice(0, 2), sha);
  const age = async (id: string, sha: string, days: number) => {
    await client.query(`UPDATE uploads SET last_used_at = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);
    const old = new Date(Date.now() - days * DAY);
    await utimes(blobOf(sha), old, old);
  };
  const exists = async (id: string) => (await client.query('SELECT 1 FROM uploads WHERE id = $1', [id])).rowCount === 1;
  const blobExists = (sha: string) => stat(blobOf(sha)).then(() => true, () => false);

  it('deletes unused uploads and unshared blobs; keeps uploads queued jobs use, shared blobs and young uploads', async () => {
    const unused = await upload(png(5, 5, [1, 0, 0]));
    const queued = await upload(png(5, 5, [2, 0, 0]));
    const young = await upload(png(5, 5, [3, 0, 0]));
    const sharedBytes = png(5, 5, [4, 0, 0]);
    const shared = await upload(sharedBytes);
    await upload(sharedBytes, otherKey); // another tenant holds the same bytes, used today
    const heldByArtifact = await upload(png(5, 5, [5, 0, 0]));
    const wf = { '1': { class_type: 'LoadImage', inputs: { image: 'photo' } } };
    const submit = await apiClient(stack.url, stack.adminKey)('POST', '/api/v1/jobs', { workflow: wf, inputs: { photo: { upload: queued.id } } });
    expect(submit.status).toBe(202);
    // An artifact of a recent job holds the same bytes as `heldByArtifact`.
    const jobId = uuidv7();
    const tenantId = (await client.query(`SELECT tenant_id FROM uploads WHERE id = $1`, [heldByArtifact.id])).rows[0].tenant_id;
    await client.query(`INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, finished_at, updated_at) VALUES ($1, $2, 'succeeded', '{}'::jsonb, 0, now(), now())`, [jobId, tenantId]);
    await client.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key) VALUES ($1, $2, $3, 'x.png', 'image/png', $4, $5, $6)`,
      [uuidv7(), jobId, tenantId, heldByArtifact.bytes, heldByArtifact.sha256, `sha256/${heldByArtifact.sha256.slice(0, 2)}/${heldByArtifact.sha256}`],
    );
    for (const u of [unused, queued, shared, heldByArtifact]) await age(u.id, u.sha256, 40);

    const options = { defaultDays: 30, batchSize: 2 };
    const dry = await runRetention({ db, store, logger: silentLogger(), metrics: createMetricsRegistry('worker') }, { ...options, dryRun: true });
    expect(dry.uploads).toBe(3);
    expect(await exists(unused.id)).toBe(true);

    const report = await runRetention({ db, store, logger: silentLogger(), metrics: createMetricsRegistry('worker') }, { ...options, dryRun: false });
    expect(report.uploads).toBe(3);
    expect([await exists(unused.id), await blobExists(unused.sha256)]).toEqual([false, false]);
    expect([await exists(queued.id), await blobExists(queued.sha256)]).toEqual([true, true]);
    expect([await exists(young.id), await blobExists(young.sha256)]).toEqual([true, true]);
    expect([await exists(shared.id), await blobExists(shared.sha256)]).toEqual([false, true]);
    expect([await exists(heldByArtifact.id), await blobExists(heldByArtifact.sha256)]).toEqual([false, true]);
  });

  it('artifact retention keeps a blob that an upload holds', async () => {
    const up = await upload(png(6, 6, [9, 9, 0]));
    const jobId = uuidv7();
    const tenantId = (await client.query(`SELECT tenant_id FROM uploads WHERE id = $1`, [up.id])).rows[0].tenant_id;
    await client.query(
      `INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, finished_at, updated_at) VALUES ($1, $2, 'succeeded', '{}'::jsonb, 0, now() - interval '40 days', now())`,
      [jobId, tenantId],
    );
    await client.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key) VALUES ($1, $2, $3, 'x.png', 'image/png', $4, $5, $6)`,
      [uuidv7(), jobId, tenantId, up.bytes, up.sha256, `sha256/${up.sha256.slice(0, 2)}/${up.sha256}`],
    );
    const old = new Date(Date.now() - 40 * DAY);
    await utimes(blobOf(up.sha256), old, old);
    const report = await runRetention({ db, store, logger: silentLogger(), metrics: createMetricsRegistry('worker') }, { defaultDays: 30, batchSize: 10, dryRun: false });
    expect(report.jobs).toBeGreaterThanOrEqual(1);
    expect((await client.query('SELECT 1 FROM jobs WHERE id = $1', [jobId])).rowCount).toBe(0);
    expect(await blobExists(up.sha256)).toBe(true);
  });
});
