import { randomBytes } from 'node:crypto';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { createPrisma, type Db } from '@gantry/db';
import { uuidv7 } from '@gantry/domain';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import type { ArtifactStore } from '@gantry/storage';
import { startS3Server, startStack, type TestS3Server, type TestStack } from '@gantry/testing';
import { runRetention } from '../src/retention/run-retention';

const DAY = 86_400_000;
const PREFIX = 'retention/';

/**
 * Retention with the S3 store (the worker's own store, built from GANTRY_STORAGE=s3): an expired
 * job's unshared blob leaves the bucket; a blob another job still references, or one written
 * lately (its `gantry-written-at`), stays.
 */
describe('retention with the S3 store', () => {
  let s3: TestS3Server;
  let stack: TestStack;
  let client: pg.Client;
  let db: Db;
  let store: ArtifactStore;
  let s3client: S3Client;
  let tenantId: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    const env = { ...s3.env(PREFIX), GANTRY_RETENTION_INTERVAL_MS: '0' };
    stack = await startStack({ gpus: 1, apiEnv: s3.env(PREFIX), workerEnv: env });
    store = stack.worker!.deps.store;
    client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    db = createPrisma(stack.databaseUrl);
    s3client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
    tenantId = (await client.query(`SELECT id FROM tenants WHERE name = 'default'`)).rows[0].id;
  }, 120_000);

  afterAll(async () => {
    s3client?.destroy();
    await db?.$disconnect();
    await client?.end();
    await stack?.close();
    await s3?.close();
  });

  /** A finished job with one artifact whose blob holds `content`, written `writtenDaysAgo` days ago. */
  async function seedJob(finishedDaysAgo: number, content: string, writtenDaysAgo = finishedDaysAgo) {
    const id = uuidv7();
    const finishedAt = new Date(Date.now() - finishedDaysAgo * DAY);
    await client.query(
      `INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, created_at, updated_at, finished_at)
       VALUES ($1, $2, 'succeeded'::"JobStatus", '{}'::jsonb, 0, $3, $3, $3)`,
      [id, tenantId, finishedAt],
    );
    const stored = await store.put(Buffer.from(content), { contentType: 'image/png' });
    if (writtenDaysAgo > 0) {
      await s3client.send(new CopyObjectCommand({
        Bucket: s3.bucket, Key: PREFIX + stored.key, CopySource: `${s3.bucket}/${PREFIX}${stored.key}`,
        MetadataDirective: 'REPLACE', Metadata: { 'gantry-written-at': new Date(Date.now() - writtenDaysAgo * DAY).toISOString() },
      }));
    }
    await client.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key)
       VALUES ($1, $2, $3, 'out.png', 'image/png', $4, $5, $6)`,
      [uuidv7(), id, tenantId, stored.bytes, stored.sha256, stored.key],
    );
    return stored.key;
  }

  it('deletes expired unshared blobs from the bucket and keeps shared and recently written ones', async () => {
    const unique = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;
    const shared = unique('shared');
    const old = await seedJob(40, unique('old'));
    const oldShared = await seedJob(60, shared);
    await seedJob(1, shared);
    const recent = await seedJob(50, unique('recent'), 0);
    const report = await runRetention(
      { db, store, logger: silentLogger(), metrics: createMetricsRegistry('worker', { processMetrics: false }) },
      { defaultDays: 30, dryRun: false, batchSize: 10 },
    );
    expect(report).toMatchObject({ jobs: 3, blobs: 1, complete: true });
    expect(await store.exists(old)).toBe(false);
    expect(await store.exists(oldShared)).toBe(true);
    expect(await store.exists(recent)).toBe(true);
  });
});
