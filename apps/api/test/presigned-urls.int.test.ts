import { createHash, randomUUID } from 'node:crypto';
import { apiClient, startS3Server, startStack, StreamClient, waitUntil, type TestS3Server, type TestStack, jobEnd } from '@gantry/testing';
import { jobPageSchema, jobViewSchema } from '@gantry/domain';
import { verifyWebhookSignature, type HostResolver } from '@gantry/webhooks';
import { loadApiEnv } from '../src/env';
import { loadWorkerEnv } from '../../worker/src/env';
import { WebhookReceiver } from '../../worker/test/webhook-receiver';
import { defaultWorkflow } from './fixtures';

/**
 * GANTRY_STORAGE_PRESIGN=urls: job views, stream snapshots and webhooks carry each output's
 * presigned URL of the bucket (a real S3-protocol server) with its expiry; without it, none do.
 */
const SECRET = 'whsec-presign-0123456789abcdef';
// Only the allowlisted name `receiver.test` leads to the local receiver.
const dns: HostResolver = async (host) => {
  if (host === 'receiver.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const VIEW_TTL = 120;
const WEBHOOK_TTL = 900;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Downloads with no credentials at all: the URL alone must be the permission. */
async function plainFetch(url: string): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** The presigned URL's expiry, as a view states it, lies ttl after a moment between `before` and `after` (whole seconds). */
function expectExpiry(expiresAt: string, ttlSec: number, before: number, after: number) {
  const at = Date.parse(expiresAt);
  expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + ttlSec * 1000);
  expect(at).toBeLessThanOrEqual(after + ttlSec * 1000);
}

let s3: TestS3Server;
let receiver: WebhookReceiver;
let stack: TestStack;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  s3 = await startS3Server();
  receiver = await new WebhookReceiver().start();
  const webhooks = { GANTRY_WEBHOOK_ALLOWED_HOSTS: 'receiver.test', GANTRY_WEBHOOK_SECRET: SECRET };
  const storage = { ...s3.env('urls'), GANTRY_STORAGE_PRESIGN: 'urls', GANTRY_STORAGE_PRESIGN_TTL_SEC: String(VIEW_TTL) };
  stack = await startStack({
    gpus: 1,
    stepMs: 5,
    apiEnv: { ...storage, ...webhooks },
    workerEnv: { ...storage, ...webhooks, GANTRY_WEBHOOK_PRESIGN_TTL_SEC: String(WEBHOOK_TTL) },
  });
  stack.apiResources.deps.webhooks.policy.resolver = dns;
  stack.worker!.deps.webhooks.policy.resolver = dns;
  admin = apiClient(stack.url, stack.adminKey);
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
  await s3?.close();
});

/** Submits a job with a webhook to `hookPath` and waits for its success (and for the webhook). */
async function succeededJob(hookPath: string) {
  const submit = await admin('POST', '/api/v1/jobs', {
    workflow: defaultWorkflow({ steps: 2, width: 64, height: 48, seed: Math.floor(Math.random() * 1e9) }),
    webhook: { url: `http://receiver.test:${receiver.port}${hookPath}` },
  });
  expect(submit.status).toBe(202);
  const job = await jobEnd(admin, submit.body.id, 20_000);
  expect(job.status).toBe('succeeded');
  expect(job.artifacts.length).toBeGreaterThan(0);
  return job;
}

/** The bytes through Gantry's own download path (with the key), for comparison. */
async function viaGantry(path: string): Promise<Buffer> {
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.adminKey}` }, signal: AbortSignal.timeout(20_000) });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('GANTRY_STORAGE_PRESIGN=urls', () => {
  it("GET /jobs/{id} gives each output a presigned URL of the bucket that downloads the same bytes without Gantry's key", async () => {
    const job = await succeededJob(`/view-${randomUUID()}`);
    const before = Date.now();
    const view = (await admin('GET', `/api/v1/jobs/${job.id}`)).body;
    const after = Date.now();
    // The documented shape (the OpenAPI document is generated from these schemas).
    expect(jobViewSchema.parse(view)).toEqual(view);
    for (const artifact of view.artifacts) {
      // Gantry's own path stays; the presigned one is absolute, on the bucket, and says when it ends.
      expect(artifact.url).toBe(`/api/v1/jobs/${job.id}/artifacts/${artifact.id}`);
      expect(artifact.presignedUrl.startsWith(`${s3.endpoint}/${s3.bucket}/urls/sha256/`)).toBe(true);
      expect(new URL(artifact.presignedUrl).searchParams.get('X-Amz-Expires')).toBe(String(VIEW_TTL));
      expectExpiry(artifact.presignedUrlExpiresAt, VIEW_TTL, before, after);
      const direct = await plainFetch(artifact.presignedUrl);
      expect(direct.length).toBe(artifact.bytes);
      expect(sha(direct)).toBe(sha(await viaGantry(artifact.url)));
    }
  });

  it('the list view and the stream snapshot carry them too', async () => {
    const job = await succeededJob(`/list-${randomUUID()}`);
    const page = (await admin('GET', '/api/v1/jobs?limit=5')).body;
    expect(jobPageSchema.parse(page)).toEqual(page);
    const listed = page.items.find((j: any) => j.id === job.id);
    expect(listed.artifacts[0].presignedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect((await plainFetch(listed.artifacts[0].presignedUrl)).length).toBe(job.artifacts[0].bytes);

    const stream = await StreamClient.connect(stack.url, { key: stack.adminKey });
    try {
      await stream.next((m) => m.type === 'ready');
      stream.send({ type: 'subscribe', jobId: job.id });
      const snapshot = await stream.next((m) => m.type === 'snapshot' && m.job.id === job.id);
      const [artifact] = snapshot.job.artifacts;
      expect(new URL(artifact.presignedUrl).searchParams.get('X-Amz-Expires')).toBe(String(VIEW_TTL));
      expect((await plainFetch(artifact.presignedUrl)).length).toBe(artifact.bytes);
    } finally {
      stream.close();
    }
  });

  it('the signed webhook carries presigned URLs valid GANTRY_WEBHOOK_PRESIGN_TTL_SEC that download the outputs', async () => {
    const path = `/hook-${randomUUID()}`;
    const job = await succeededJob(path);
    const hit = await waitUntil(async () => receiver.on(path)[0], 30_000);
    expect(verifyWebhookSignature(hit.rawBody, hit.headers['gantry-signature'] as string, SECRET)).toBe(true);
    // Signed at the attempt: after the job finished, before the receiver got it.
    const finished = Date.parse(job.finishedAt);
    const artifacts = hit.body.data.job.artifacts as any[];
    expect(artifacts.map((a) => a.id)).toEqual(job.artifacts.map((a: any) => a.id));
    for (const artifact of artifacts) {
      expect(new URL(artifact.presignedUrl).searchParams.get('X-Amz-Expires')).toBe(String(WEBHOOK_TTL));
      expectExpiry(artifact.presignedUrlExpiresAt, WEBHOOK_TTL, finished, hit.at);
      expect(sha(await plainFetch(artifact.presignedUrl))).toBe(sha(await viaGantry(artifact.url)));
    }
  });

  it('the download route still answers 302 to the bucket', async () => {
    const job = await succeededJob(`/redirect-${randomUUID()}`);
    const res = await fetch(`${stack.url}${job.artifacts[0].url}`, { headers: { authorization: `Bearer ${stack.adminKey}` }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe(s3.endpoint);
  });

  it("never signs for another tenant: its key sees neither the job nor the job's outputs in its list", async () => {
    const job = await succeededJob(`/tenant-${randomUUID()}`);
    const otherKey = (await admin('POST', '/api/v1/api-keys', { tenant: `other-${randomUUID().slice(0, 8)}`, scopes: ['read'] })).body.key as string;
    const other = apiClient(stack.url, otherKey);
    expect((await other('GET', `/api/v1/jobs/${job.id}`)).status).toBe(404);
    const page = await other('GET', '/api/v1/jobs?limit=200');
    expect(page.status).toBe(200);
    expect(JSON.stringify(page.body)).not.toContain(job.id);
    expect(JSON.stringify(page.body)).not.toContain('X-Amz-Signature');
  });

  it('signs for GANTRY_S3_PUBLIC_ENDPOINT: the internal endpoint never shows in a view', async () => {
    const job = await succeededJob(`/public-${randomUUID()}`);
    const publicEndpoint = s3.endpoint.replace('127.0.0.1', 'localhost');
    const { api } = await stack.startApi({ GANTRY_S3_PUBLIC_ENDPOINT: publicEndpoint });
    const body = (await apiClient(api.url, stack.adminKey)('GET', `/api/v1/jobs/${job.id}`)).body;
    expect(body.artifacts[0].presignedUrl.startsWith(`${publicEndpoint}/${s3.bucket}/`)).toBe(true);
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });

  it('with `off` or `redirect` no view carries a presigned URL', async () => {
    const job = await succeededJob(`/off-${randomUUID()}`);
    for (const mode of ['off', 'redirect']) {
      const { api } = await stack.startApi({ GANTRY_STORAGE_PRESIGN: mode });
      const other = apiClient(api.url, stack.adminKey);
      const view = (await other('GET', `/api/v1/jobs/${job.id}`)).body;
      expect(view.artifacts.length).toBeGreaterThan(0);
      for (const artifact of view.artifacts) {
        expect(artifact).not.toHaveProperty('presignedUrl');
        expect(artifact).not.toHaveProperty('presignedUrlExpiresAt');
      }
      const listed = (await other('GET', '/api/v1/jobs?limit=5')).body.items.find((j: any) => j.id === job.id);
      expect(listed.artifacts[0]).not.toHaveProperty('presignedUrl');
    }
  });
});

describe('presigned URLs with the local store', () => {
  it('the API and the workers refuse to start, naming the variable', () => {
    const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/none', REDIS_URL: 'redis://127.0.0.1:6379', GANTRY_ARTIFACT_DIR: '/tmp/none' };
    for (const mode of ['redirect', 'urls']) {
      const env = { ...base, GANTRY_STORAGE: 'local', GANTRY_STORAGE_PRESIGN: mode };
      expect(() => loadApiEnv(env)).toThrow('GANTRY_STORAGE_PRESIGN: presigned URLs need GANTRY_STORAGE=s3');
      expect(() => loadWorkerEnv({ ...env, GANTRY_BACKENDS: 'gpu0=http://127.0.0.1:1' })).toThrow('GANTRY_STORAGE_PRESIGN: presigned URLs need GANTRY_STORAGE=s3');
    }
  });
});
