/**
 * The API during a database outage, against a private PostgreSQL server that is stopped and
 * started again: requests that need the database answer 503 DATABASE_UNAVAILABLE with Retry-After
 * (never 500, never the server's address), /readyz says why it is not ready, /livez stays up,
 * and everything recovers once the server is back, without restarting the API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { migrateDatabase } from '@gantry/db';
import { buildApiDeps, listenApi, loadApiEnv, type ApiResources, type RunningApi } from '@gantry/api';
import { silentLogger } from '@gantry/logger';
import { apiClient, NO_RATE_LIMITS, startThrowawayPostgres, TEST_REDIS_URL, waitUntil, type ThrowawayPostgres } from '@gantry/testing';
import { openApiDocument } from '../src/openapi/document';
import { OpenApiContract } from './openapi-contract';

describe('API during a database outage', () => {
  let server: ThrowawayPostgres;
  let resources: ApiResources;
  let api: RunningApi;
  const adminKey = `test-admin-${randomBytes(16).toString('hex')}`;
  const contract = new OpenApiContract(openApiDocument().document as Record<string, unknown>);

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    const databaseUrl = server.url.replace(/\/postgres$/, '/gantry');
    await migrateDatabase(databaseUrl);
    const env = loadApiEnv({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      GANTRY_QUEUE_PREFIX: `gantry-test-${randomUUID().slice(0, 8)}`,
      GANTRY_ADMIN_KEY: adminKey,
      ...NO_RATE_LIMITS,
      GANTRY_AUTH_CACHE_TTL_MS: '0', // every request looks its key up in PostgreSQL
      GANTRY_DB_POOL_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'silent',
    });
    resources = await buildApiDeps(env, 'test', silentLogger());
    api = await listenApi(resources, 0, '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    await api?.close(1000);
    await resources?.dispose();
    await server?.destroy();
  }, 120_000);

  /** The body must not tell an anonymous caller where the database lives or how the code looks. */
  const expectNoInternals = (text: string) => {
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(String(server.port));
    expect(text).not.toMatch(/ECONNREFUSED|Prisma|invocation|\n\s+at /);
  };

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while the database is down, and recovers', async () => {
    const admin = apiClient(api.url, adminKey);
    expect((await admin('GET', '/api/v1/jobs')).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);

    await server.stop();

    for (const [method, path, body] of [
      ['GET', '/api/v1/jobs', undefined],
      ['GET', `/api/v1/jobs/${randomUUID()}`, undefined],
      ['POST', '/api/v1/jobs', { workflow: { '1': { class_type: 'SaveImage', inputs: {} } } }],
    ] as const) {
      const res = await admin(method, path, body);
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', title: 'Database unavailable' });
      expectNoInternals(JSON.stringify(res.body));
      // Documented, Retry-After included, for the operation hit.
      expect(contract.check(method, path, res).issues).toEqual([]);
    }

    const notReady = await fetch(`${api.url}/readyz`);
    expect(notReady.status).toBe(503);
    const report = (await notReady.json()) as { status: string; checks: { postgres: { status: string; reason?: string }; redis: { status: string }; migrations: { error?: string } } };
    expect(report.status).toBe('not_ready');
    expect(report.checks.postgres).toMatchObject({ status: 'down', reason: expect.stringMatching(/^(connection refused|server unreachable)$/) });
    expect(report.checks.redis.status).toBe('up');
    expect(report.checks.migrations.error).toMatch(/^database unavailable: /);
    expectNoInternals(JSON.stringify(report));
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);

    await server.start();
    // The pool opens fresh connections on demand; the next checks after the restart succeed.
    await waitUntil(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : undefined), 30_000, 100);
    const list = await admin('GET', '/api/v1/jobs');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  }, 120_000);
});
