/**
 * `npm run bench:presign`: what GANTRY_STORAGE_PRESIGN=urls costs. Two measurements, each against
 * a baseline in the same run:
 *
 * 1. One presigned URL: the store's signer (S3UrlSigner) against the AWS SDK's getSignedUrl (raw
 *    baseline), same client, same keys.
 * 2. `GET /api/v1/jobs?limit=200` of 200 finished jobs with 4 outputs each (800 URLs to sign) from
 *    an API with `urls` against one with `off`, same database, same bucket (s3rver on 127.0.0.1).
 *
 *   npm run bench:presign
 *   npm run bench:presign -- --rounds 9 --urls 4000
 *
 * Prints figures and the load average; asserts nothing. Needs PostgreSQL and Redis like `npm test`.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pg from 'pg';
import { commonEnvSchema, parseEnv, uuidv7 } from '@gantry/domain';
import { contentDisposition, contentKey, createArtifactStore } from '@gantry/storage';
import { startS3Server, startStack, type TestStack } from '@gantry/testing';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, urls: { type: 'string', default: '2000' } } });
const ROUNDS = Number(values.rounds);
const URLS = Number(values.urls);
if (!(ROUNDS >= 1 && ROUNDS <= 50) || !(URLS >= 10 && URLS <= 100_000)) throw new Error('--rounds 1..50, --urls 10..100000');
const JOBS = 200;
const OUTPUTS = 4;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function ms(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** 200 succeeded jobs of the default tenant with 4 artifacts each (rows only: signing never reads the bytes). */
async function seedJobs(stack: TestStack): Promise<void> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const tenantId = (await db.query(`SELECT id FROM tenants WHERE name = 'default'`)).rows[0].id;
    for (let j = 0; j < JOBS; j++) {
      const jobId = uuidv7();
      await db.query(
        `INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, created_at, updated_at, finished_at)
         VALUES ($1, $2, 'succeeded'::"JobStatus", '{}'::jsonb, 0, now(), now(), now())`,
        [jobId, tenantId],
      );
      for (let a = 0; a < OUTPUTS; a++) {
        const sha = randomBytes(32).toString('hex');
        await db.query(
          `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key)
           VALUES ($1, $2, $3, $4, 'image/png', 1000, $5, $6)`,
          [uuidv7(), jobId, tenantId, `ComfyUI_${String(a).padStart(5, '0')}_.png`, sha, contentKey(sha)],
        );
      }
    }
  } finally {
    await db.end();
  }
}

async function signing(endpoint: string, env: Record<string, string>): Promise<void> {
  const store = createArtifactStore(parseEnv(commonEnvSchema, env));
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: env.GANTRY_S3_ACCESS_KEY_ID!, secretAccessKey: env.GANTRY_S3_SECRET_ACCESS_KEY! } });
  const keys = Array.from({ length: URLS }, () => contentKey(randomBytes(32).toString('hex')));
  const disposition = contentDisposition('ComfyUI_00001_.png');
  const sdk = () => Promise.all(keys.map((k) => getSignedUrl(client, new GetObjectCommand({ Bucket: env.GANTRY_S3_BUCKET, Key: k, ResponseContentDisposition: disposition, ResponseContentType: 'image/png' }), { expiresIn: 300 })));
  const ours = () => Promise.all(keys.map((k) => store.presign!(k, { expiresInSec: 300, filename: 'ComfyUI_00001_.png', contentType: 'image/png' })));
  await sdk();
  await ours(); // warm-up (and the signer learns its template)
  const times = { sdk: [] as number[], ours: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    times.sdk.push(await ms(sdk));
    times.ours.push(await ms(ours));
  }
  const per = (t: number[]) => (median(t) * 1000) / URLS;
  console.log(`\n${URLS} presigned URLs, median of ${ROUNDS} rounds (interleaved); load average ${load()}\n`);
  console.log('| signer | µs per URL | vs getSignedUrl |');
  console.log('|---|---:|---:|');
  console.log(`| AWS SDK getSignedUrl (raw) | ${per(times.sdk).toFixed(0)} | 1.00x |`);
  console.log(`| S3UrlSigner (store.presign) | ${per(times.ours).toFixed(0)} | ${(median(times.ours) / median(times.sdk)).toFixed(2)}x |`);
  client.destroy();
  await store.close?.();
}

async function listing(stack: TestStack, urlsApi: string): Promise<void> {
  const get = (base: string) => async () => {
    const res = await fetch(`${base}/api/v1/jobs?limit=${JOBS}`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    const body = (await res.json()) as { items: Array<{ artifacts: Array<{ presignedUrl?: string }> }> };
    if (res.status !== 200 || body.items.length !== JOBS) throw new Error(`GET /jobs: ${res.status}`);
    return body.items[0]!.artifacts[0]!.presignedUrl !== undefined;
  };
  if ((await get(stack.url)()) || !(await get(urlsApi)())) throw new Error('the two APIs do not differ in presigned URLs');
  const times = { off: [] as number[], urls: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    times.off.push(await ms(get(stack.url)));
    times.urls.push(await ms(get(urlsApi)));
  }
  console.log(`\nGET /jobs?limit=${JOBS}, ${JOBS * OUTPUTS} outputs, median of ${ROUNDS} rounds (interleaved); load average ${load()}\n`);
  console.log('| API | median ms | vs off |');
  console.log('|---|---:|---:|');
  console.log(`| GANTRY_STORAGE_PRESIGN=off (baseline) | ${median(times.off).toFixed(1)} | 1.00x |`);
  console.log(`| GANTRY_STORAGE_PRESIGN=urls | ${median(times.urls).toFixed(1)} | ${(median(times.urls) / median(times.off)).toFixed(2)}x |`);
}

async function main(): Promise<void> {
  const s3 = await startS3Server();
  const stack = await startStack({ worker: false, apiEnv: s3.env('bench') });
  try {
    const urls = await stack.startApi({ GANTRY_STORAGE_PRESIGN: 'urls' });
    await seedJobs(stack);
    console.log(`node ${process.version}, ${process.platform}`);
    await signing(s3.endpoint, s3.env('bench'));
    await listing(stack, urls.api.url);
  } finally {
    await stack.close();
    await s3.close();
  }
}

runMain(main);
