/**
 * `npm run bench:downloads`: how fast a big artifact comes out of Gantry, from the local store and
 * from S3 (through the API, and by the API's 302 to a presigned URL), each against a raw baseline
 * measured in the same run: reading the file straight from disk, and a GET of the object straight
 * from the S3 server (s3rver, started on 127.0.0.1). Prints figures; asserts nothing.
 *
 *   npm run bench:downloads                     # 100 MB, 5 rounds
 *   npm run bench:downloads -- --mb 20 --rounds 3
 *
 * Needs PostgreSQL and Redis like `npm test` (TEST_DATABASE_URL, TEST_REDIS_URL). The API runs in
 * this process (startStack from @gantry/testing, no worker): the artifact row is written directly,
 * its bytes put through the store like a worker's output.
 */
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import pg from 'pg';
import { uuidv7 } from '@gantry/domain';
import { startS3Server, startStack, type TestStack } from '@gantry/testing';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' } } });
const MB = Number(values.mb);
const ROUNDS = Number(values.rounds);
if (!(MB >= 1 && MB <= 2000) || !(ROUNDS >= 1 && ROUNDS <= 50)) throw new Error('--mb 1..2000, --rounds 1..50');
const SIZE = MB * 1_000_000;

/** Reads a stream to its end, counting bytes (nothing kept). */
async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Uint8Array).byteLength;
  return n;
}

async function timed(fn: () => Promise<number>): Promise<number> {
  const start = process.hrtime.bigint();
  const bytes = await fn();
  if (bytes !== SIZE) throw new Error(`read ${bytes} bytes, expected ${SIZE}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** 100 MB of incompressible bytes, produced in 1 MB chunks (never whole in memory). */
function payload(): Readable {
  let left = SIZE;
  return new Readable({
    read() {
      const n = Math.min(left, 1_000_000);
      left -= n;
      this.push(n > 0 ? randomBytes(n) : null);
    },
  });
}

/** Stores the payload through the stack's store and records it as an artifact of a finished job. */
async function seedArtifact(stack: TestStack): Promise<{ url: string; key: string }> {
  const stored = await stack.apiResources.deps.store.put(payload(), { contentType: 'application/octet-stream' });
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const tenantId = (await db.query(`SELECT id FROM tenants WHERE name = 'default'`)).rows[0].id;
    const jobId = uuidv7();
    const artifactId = uuidv7();
    await db.query(
      `INSERT INTO jobs (id, tenant_id, status, workflow, last_seq, created_at, updated_at, finished_at)
       VALUES ($1, $2, 'succeeded'::"JobStatus", '{}'::jsonb, 0, now(), now(), now())`,
      [jobId, tenantId],
    );
    await db.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, filename, content_type, bytes, sha256, storage_key)
       VALUES ($1, $2, $3, 'big.bin', 'application/octet-stream', $4, $5, $6)`,
      [artifactId, jobId, tenantId, stored.bytes, stored.sha256, stored.key],
    );
    return { url: `${stack.url}/api/v1/jobs/${jobId}/artifacts/${artifactId}`, key: stored.key };
  } finally {
    await db.end();
  }
}

const viaApi = (stack: TestStack, url: string) => async () => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${stack.adminKey}` } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return drain(res.body as unknown as AsyncIterable<Uint8Array>);
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const s3 = await startS3Server();
  const local = await startStack({ worker: false });
  const remote = await startStack({ worker: false, apiEnv: s3.env('bench') });
  const presigning = await remote.startApi({ GANTRY_STORAGE_PRESIGN: 'redirect', GANTRY_STORAGE_PRESIGN_TTL_SEC: '3600' });
  try {
    const localArtifact = await seedArtifact(local);
    const s3Artifact = await seedArtifact(remote);
    const presignedUrl = s3Artifact.url.replace(remote.url, presigning.api.url);
    // The raw S3 GET: a presigned URL of the same object fetched straight from the server.
    const direct = await remote.apiResources.deps.store.presign!(s3Artifact.key, { expiresInSec: 3600 });
    const cases: Array<[string, () => Promise<number>]> = [
      ['local: read the file (raw)', () => drain(createReadStream(path.join(local.artifactDir, localArtifact.key)))],
      ['local: GET through the API', viaApi(local, localArtifact.url)],
      ['s3: GET on s3rver (raw)', async () => drain((await fetch(direct)).body as unknown as AsyncIterable<Uint8Array>)],
      ['s3: GET through the API (proxied)', viaApi(remote, s3Artifact.url)],
      ['s3: API 302 + presigned GET', viaApi(remote, presignedUrl)],
    ];
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (const [, run] of cases) await timed(run); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of cases) times.get(name)!.push(await timed(run));
    }
    const ms = (name: string) => median(times.get(name)!);
    console.log(`\n${MB} MB artifact, median of ${ROUNDS} rounds (interleaved), node ${process.version}\n`);
    console.log('| path | median ms | MB/s | vs raw |');
    console.log('|---|---:|---:|---:|');
    for (const [name] of cases) {
      const raw = name.startsWith('local') ? ms('local: read the file (raw)') : ms('s3: GET on s3rver (raw)');
      console.log(`| ${name} | ${ms(name).toFixed(0)} | ${(MB / (ms(name) / 1000)).toFixed(0)} | ${(ms(name) / raw).toFixed(2)}x |`);
    }
  } finally {
    await local.close();
    await remote.close();
    await s3.close();
  }
}

runMain(main);
