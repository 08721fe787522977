import { randomUUID } from 'node:crypto';
import { generateApiKey } from '@gantry/api';
import { ensureTenant, insertApiKey } from '@gantry/db';
import { apiClient, startStack, type TestResponse, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/**
 * Rate limits through HTTP: per key (shared by API instances through Redis), the stricter submit
 * limit, per client IP for callers without a valid key (behind a trusted proxy: X-Forwarded-For).
 * Quotas are tiny (a request comes back every 30 s or more), so no test depends on speed.
 */
describe('rate limits', () => {
  let stack: TestStack;
  let second: string;
  const limits = {
    GANTRY_RATE_LIMIT_PER_MINUTE: '2',
    GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '1',
    GANTRY_IP_RATE_LIMIT_PER_MINUTE: '2',
    GANTRY_TRUST_PROXY: 'loopback',
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false, apiEnv: limits });
    second = (await stack.startApi()).api.url;
  });
  afterAll(() => stack.close());

  /** A fresh key written straight to the database (the admin key has a budget of 2 too). */
  async function newKey(scopes = ['submit', 'read']): Promise<string> {
    const db = stack.apiResources.deps.db;
    const tenant = await ensureTenant(db, 'limited');
    const generated = generateApiKey();
    await insertApiKey(db, { tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash, scopes });
    return generated.key;
  }

  function expectLimited(res: TestResponse, policy: string) {
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', errors: { policy } });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('ratelimit')).toMatch(new RegExp(`"${policy}";r=0;t=\\d+`));
  }

  /** `"name";r=N;t=T` members of a RateLimit header, by policy name. */
  function remaining(res: TestResponse): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of (res.headers.get('ratelimit') ?? '').matchAll(/"([a-z]+)";r=(\d+);t=(\d+)/g)) out[m[1]!] = Number(m[2]);
    return out;
  }

  it('shares one key budget across two API instances, with RateLimit headers', async () => {
    const key = await newKey(['read']);
    const a = apiClient(stack.url, key);
    const b = apiClient(second, key);
    const first = await a('GET', '/api/v1/jobs');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"key";q=2;w=60');
    expect(remaining(first)).toEqual({ key: 1 });
    const onOther = await b('GET', '/api/v1/jobs');
    expect(onOther.status).toBe(200);
    expect(remaining(onOther)).toEqual({ key: 0 });
    expectLimited(await a('GET', '/api/v1/jobs'), 'key');
    expectLimited(await b('GET', '/api/v1/jobs'), 'key');
    // Another key has its own budget.
    expect((await apiClient(second, await newKey(['read']))('GET', '/api/v1/jobs')).status).toBe(200);
  });

  it('limits job submission more strictly, without charging refused submits', async () => {
    const client = apiClient(stack.url, await newKey());
    const accepted = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('ratelimit-policy')).toBe('"key";q=2;w=60, "submit";q=1;w=60');
    expect(remaining(accepted)).toEqual({ key: 1, submit: 0 });
    const refused = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) });
    expectLimited(refused, 'submit');
    expect(refused.body.errors).toMatchObject({ limit: 1, windowSeconds: 60 });
    const counted = await stack.apiResources.deps.metrics.getSingleMetricAsString('gantry_ratelimit_limited_total');
    expect(counted).toMatch(/gantry_ratelimit_limited_total\{policy="submit",service="api"\} 1/);
    // Reads still pass: the refused submit was not charged to the general budget.
    const read = await client('GET', '/api/v1/jobs');
    expect(read.status).toBe(200);
    expect(read.headers.get('ratelimit-policy')).toBe('"key";q=2;w=60');
    expect(remaining(read)).toEqual({ key: 0 });
    // The submit quota is per key: another key of the same tenant submits.
    expect((await apiClient(second, await newKey())('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).status).toBe(202);
  });

  it('charges a job retry to the submit quota', async () => {
    const client = apiClient(stack.url, await newKey());
    const retry = await client('POST', `/api/v1/jobs/${randomUUID()}/retry`);
    expect(retry.status).toBe(404);
    expect(retry.headers.get('ratelimit-policy')).toBe('"key";q=2;w=60, "submit";q=1;w=60');
    expect(remaining(retry)).toEqual({ key: 1, submit: 0 });
    expectLimited(await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) }), 'submit');
  });

  it('limits callers without a valid key per client IP, as a trusted proxy reports it', async () => {
    const fromA = { 'x-forwarded-for': '203.0.113.10' };
    const anonymous = apiClient(stack.url);
    const badKey = apiClient(second, 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43));
    expect((await anonymous('GET', '/api/v1/jobs', undefined, fromA)).status).toBe(401);
    const wrong = await badKey('GET', '/api/v1/jobs', undefined, fromA);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('ratelimit-policy')).toBe('"ip";q=2;w=60');
    expectLimited(await badKey('GET', '/api/v1/jobs', undefined, fromA), 'ip');
    // The proxy (127.0.0.1) is trusted; the client is the rightmost address it did not add
    // itself, so a spoofed leftmost entry changes nothing...
    expectLimited(await anonymous('GET', '/api/v1/jobs', undefined, { 'x-forwarded-for': '198.51.100.20, 203.0.113.10' }), 'ip');
    // ...while another client address has its own budget.
    expect((await anonymous('GET', '/api/v1/jobs', undefined, { 'x-forwarded-for': '203.0.113.11' })).status).toBe(401);
    // A valid key is not limited by its IP's budget.
    expect((await apiClient(stack.url, await newKey())('GET', '/api/v1/jobs', undefined, fromA)).status).toBe(200);
    // Health is never limited (load balancers probe it).
    for (let i = 0; i < 4; i++) expect((await anonymous('GET', '/api/v1/health', undefined, fromA)).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    const untrusting = (await stack.startApi({ GANTRY_TRUST_PROXY: 'false' })).api.url;
    const anonymous = apiClient(untrusting);
    // Every request counts against the socket's address (127.0.0.1), whatever the header says.
    for (let i = 0; i < 2; i++) {
      expect((await anonymous('GET', '/api/v1/jobs', undefined, { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(401);
    }
    expectLimited(await anonymous('GET', '/api/v1/jobs', undefined, { 'x-forwarded-for': '192.0.2.99' }), 'ip');
  });

  it('rejects invalid limit configuration at start', async () => {
    await expect(stack.startApi({ GANTRY_RATE_LIMIT_PER_MINUTE: '-1' })).rejects.toThrow(/GANTRY_RATE_LIMIT_PER_MINUTE/);
    await expect(stack.startApi({ GANTRY_TRUST_PROXY: 'sometimes' })).rejects.toThrow(/GANTRY_TRUST_PROXY/);
  });
});
