import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { poolOf } from '@gantry/db';
import { defaultWorkflow } from './fixtures';

/** Every error code of the API, as problem+json, without a worker (nothing needs to run). */
describe('API errors and auth', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ worker: false, apiEnv: { GANTRY_TENANT_MAX_QUEUED: '2' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: `urn:gantry:error:${code.toLowerCase()}` });
    expect(typeof res.body.title).toBe('string');
    expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|node_modules|\/work\//);
  }

  it('401 without a key, with a malformed header and with a wrong key', async () => {
    expectProblem(await apiClient(stack.url)('GET', '/api/v1/jobs'), 401, 'UNAUTHENTICATED');
    expectProblem(await apiClient(stack.url)('GET', '/api/v1/jobs', undefined, { authorization: 'Basic abc' }), 401, 'UNAUTHENTICATED');
    expectProblem(await apiClient(stack.url, 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43))('GET', '/api/v1/jobs'), 401, 'UNAUTHENTICATED');
    expectProblem(await apiClient(stack.url, stack.adminKey + 'x')('GET', '/api/v1/jobs'), 401, 'UNAUTHENTICATED');
  });

  it('403 when the key lacks the scope', async () => {
    const created = await admin('POST', '/api/v1/api-keys', { tenant: 'readonly', scopes: ['read'] });
    expect(created.status).toBe(201);
    const reader = apiClient(stack.url, created.body.key);
    expectProblem(await reader('POST', '/api/v1/jobs', { workflow: defaultWorkflow() }), 403, 'FORBIDDEN');
    expectProblem(await reader('POST', '/api/v1/api-keys', { tenant: 'x', scopes: ['admin'] }), 403, 'FORBIDDEN');
    expect((await reader('GET', '/api/v1/jobs')).status).toBe(200);
  });

  it('400 for malformed JSON', async () => {
    expectProblem(await admin('POST', '/api/v1/jobs', '{"workflow": ', { 'content-type': 'application/json' }), 400, 'MALFORMED_JSON');
  });

  it('415 for a body that is not JSON', async () => {
    expectProblem(await admin('POST', '/api/v1/jobs', 'workflow=1', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('422 with every failing field', async () => {
    const res = await admin('POST', '/api/v1/jobs', { workflow: { '1': { inputs: {} } }, priority: 'high', timeoutSeconds: -1 });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['workflow.1.class_type', 'priority', 'timeoutSeconds']));
  });

  it('422 for a bad query and a forged cursor', async () => {
    expectProblem(await admin('GET', '/api/v1/jobs?limit=0'), 422, 'VALIDATION_FAILED');
    expectProblem(await admin('GET', '/api/v1/jobs?status=lost'), 422, 'VALIDATION_FAILED');
    expectProblem(await admin('GET', '/api/v1/jobs?cursor=bm90LWEtY3Vyc29y'), 422, 'VALIDATION_FAILED');
  });

  it('404 for unknown ids and routes', async () => {
    expectProblem(await admin('GET', '/api/v1/jobs/0190f5a4-1111-7000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await admin('GET', '/api/v1/jobs/not-a-uuid'), 404, 'NOT_FOUND');
    expectProblem(await admin('POST', '/api/v1/jobs/0190f5a4-1111-7000-8000-000000000000/cancel'), 404, 'NOT_FOUND');
    expectProblem(await admin('GET', '/api/v1/nothing-here'), 404, 'NOT_FOUND');
  });

  it('413 for a body over the limit', async () => {
    const huge = { workflow: { '1': { class_type: 'X', inputs: { blob: 'a'.repeat(11 * 1024 * 1024) } } } };
    expectProblem(await admin('POST', '/api/v1/jobs', huge), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('500 for the unexpected, with a request id and no internals', async () => {
    // Break the database pool (Prisma and the raw reads both query through it) for one request:
    // the client sees a bare 500.
    const pool = poolOf(stack.apiResources.deps.db);
    const original = pool.query;
    (pool as any).query = () => Promise.reject(new Error('connection to /var/run/secret.sock lost'));
    try {
      const res = await admin('GET', '/api/v1/jobs', undefined, { 'x-request-id': 'trace-123' });
      expectProblem(res, 500, 'INTERNAL');
      expect(res.body.requestId).toBe('trace-123');
      expect(res.body.detail).toBe('An unexpected error occurred');
    } finally {
      pool.query = original;
    }
  });

  it('429 when a tenant has too many queued jobs', async () => {
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'capped', scopes: ['submit', 'read'] })).body.key;
    const client = apiClient(stack.url, key);
    expect((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow() })).status).toBe(202);
    expect((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow() })).status).toBe(202);
    const third = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    expectProblem(third, 429, 'TENANT_QUEUE_FULL');
    expect(third.body.errors).toEqual({ queued: 2, limit: 2 });
    // Another tenant is not affected.
    expect((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() })).status).toBe(202);
  });

  it('reports health of PostgreSQL and Redis without auth', async () => {
    const res = await apiClient(stack.url)('GET', '/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('creates API keys that are shown once and stored hashed', async () => {
    const res = await admin('POST', '/api/v1/api-keys', { tenant: 'acme', scopes: ['submit', 'read'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenant: 'acme', scopes: ['submit', 'read'] });
    expect(res.body.key).toMatch(/^gty_[A-Za-z0-9]{12}_/);
    const rows = await stack.apiResources.deps.db.apiKey.findMany({ where: { id: res.body.id } });
    expect(rows[0]!.hash).not.toContain(res.body.key);
    expect(rows[0]!.hash).toHaveLength(64);
    expectProblem(await admin('POST', '/api/v1/api-keys', { tenant: 'Bad Name', scopes: [] }), 422, 'VALIDATION_FAILED');
  });
});
