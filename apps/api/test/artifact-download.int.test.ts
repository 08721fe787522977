import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { apiClient, startS3Server, startStack, type TestS3Server, type TestStack, jobEnd } from '@gantry/testing';
import { GantryClient } from '@gantry/sdk';
import { defaultWorkflow } from './fixtures';

/**
 * Outputs go from the GPU into the store and back out through the API: the same behaviour with
 * the local directory and with an S3 bucket (a real S3-protocol server), then what only S3 adds
 * (presigned redirects, the bucket in /readyz).
 */
let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function runJob(stack: TestStack) {
  const admin = apiClient(stack.url, stack.adminKey);
  const submit = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, width: 64, height: 48 }) });
  expect(submit.status).toBe(202);
  const job = await jobEnd(admin, submit.body.id, 20_000);
  expect(job.status).toBe('succeeded');
  return job.artifacts[0] as { id: string; url: string; bytes: number; sha256: string };
}

function get(stack: TestStack, path: string, headers: Record<string, string> = {}, redirect: 'follow' | 'manual' = 'follow') {
  return fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.adminKey}`, ...headers }, redirect, signal: AbortSignal.timeout(20_000) });
}

describe.each([
  ['local', () => ({})],
  ['s3', () => s3.env('contract')],
] as const)('artifact downloads from the %s store', (name, storeEnv) => {
  let stack: TestStack;
  let artifact: Awaited<ReturnType<typeof runJob>>;
  let whole: Buffer;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5, apiEnv: storeEnv(), workerEnv: storeEnv() });
    artifact = await runJob(stack);
    const res = await get(stack, artifact.url);
    expect(res.status).toBe(200);
    whole = Buffer.from(await res.arrayBuffer());
    // The job view does not carry the hash; the ETag does, and it must be the bytes' SHA-256.
    artifact.sha256 = sha(whole);
  });
  afterAll(() => stack.close());

  it('serves the whole output with its sha256 as ETag', async () => {
    expect(whole.length).toBe(artifact.bytes);
    const res = await get(stack, artifact.url);
    expect(res.headers.get('etag')).toBe(`"${artifact.sha256}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(artifact.bytes));
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="ComfyUI_\d+_\.png"/);
    await res.arrayBuffer();
    // Where the bytes live: the local directory holds them only with the local store.
    const local = await readdir(`${stack.artifactDir}/sha256/${artifact.sha256.slice(0, 2)}`).catch(() => []);
    expect(local.length > 0).toBe(name === 'local');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const res = await get(stack, artifact.url, { 'if-none-match': `"${artifact.sha256}"` });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(`"${artifact.sha256}"`);
    expect((await get(stack, artifact.url, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('serves one byte range with 206 and Content-Range (start-end, open end, suffix)', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-7', 0, 7],
      [`bytes=10-`, 10, whole.length - 1],
      ['bytes=-16', whole.length - 16, whole.length - 1],
      [`bytes=5-${whole.length + 100}`, 5, whole.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(stack, artifact.url, { range });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${whole.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers 416 problem+json with the size for a range outside the output', async () => {
    const res = await get(stack, artifact.url, { range: `bytes=${whole.length}-` });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('cache-control') ?? '').not.toMatch(/immutable/);
    expect(await res.json()).toMatchObject({ status: 416, code: 'RANGE_NOT_SATISFIABLE' });
  });

  it('sends the whole output for a malformed range, several ranges, or a stale If-Range', async () => {
    for (const headers of <Record<string, string>[]>[{ range: 'bytes=abc' }, { range: 'bytes=0-1,5-6' }, { range: 'bytes=0-1', 'if-range': '"stale"' }]) {
      const res = await get(stack, artifact.url, headers);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).length).toBe(whole.length);
    }
    const fresh = await get(stack, artifact.url, { range: 'bytes=0-1', 'if-range': `"${artifact.sha256}"` });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });

  it('answers 404 problem+json when the stored bytes are gone', async () => {
    await stack.apiResources.deps.store.delete(`sha256/${artifact.sha256.slice(0, 2)}/${artifact.sha256}`);
    const res = await get(stack, artifact.url);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('S3 store: presigned redirects and readiness', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5, apiEnv: { ...s3.env('presign'), GANTRY_STORAGE_PRESIGN: 'redirect', GANTRY_STORAGE_PRESIGN_TTL_SEC: '120' }, workerEnv: s3.env('presign') });
  });
  afterAll(() => stack.close());

  it('answers 302 to a short-lived URL of the bucket that serves the bytes and ranges', async () => {
    const artifact = await runJob(stack);
    const res = await get(stack, artifact.url, {}, 'manual');
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
    // The client follows without Gantry's key: the URL alone is the permission.
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await direct.arrayBuffer()).length).toBe(artifact.bytes);
    const ranged = await fetch(location, { headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('the SDK follows the redirect and downloads the bytes from the bucket', async () => {
    const artifact = await runJob(stack);
    const client = new GantryClient({ url: stack.url, apiKey: stack.adminKey });
    const bytes = await client.download(artifact.url);
    expect(bytes.length).toBe(artifact.bytes);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('\x89PNG');
  });

  it('/readyz and the worker readiness check the bucket, and say why without saying where', async () => {
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { storage: { status: 'up' } } });
    const worker = await fetch(`${stack.worker!.http.url}/readyz`);
    expect(await worker.json()).toMatchObject({ checks: { storage: { status: 'up' } } });

    const { api, resources } = await stack.startApi({ GANTRY_S3_BUCKET: 'not-this-bucket' });
    const down = await fetch(`${api.url}/readyz`);
    expect(down.status).toBe(503);
    const body = await down.json();
    expect(body).toMatchObject({ status: 'not_ready', checks: { storage: { status: 'down', reason: 'bucket not found' } } });
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    void resources;
  });
});
