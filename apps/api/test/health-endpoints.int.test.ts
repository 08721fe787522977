/**
 * The API's health endpoints: /livez (no dependency), /readyz (PostgreSQL, Redis, migrations) and
 * the detailed GET /api/v1/health (version, commit, uptime, online backends, artifact disk).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { migrateDatabase, readMigrationsFolder, defaultMigrationsDir } from '@gantry/db';
import { buildApiDeps, listenApi, loadApiEnv, type ApiResources, type RunningApi } from '@gantry/api';
import { silentLogger } from '@gantry/logger';
import { createTestDatabase, startStack, TEST_REDIS_URL, waitUntil, type TestDatabase, type TestStack } from '@gantry/testing';

describe('API health endpoints', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, apiEnv: { GANTRY_COMMIT: 'abc1234def' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('GET /livez answers 200 without touching any dependency', async () => {
    const res = await fetch(`${stack.url}/livez`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { status: string; uptimeSeconds: number };
    expect(body.status).toBe('alive');
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('GET /readyz answers 200 when PostgreSQL, Redis and every migration are there', async () => {
    const res = await fetch(`${stack.url}/readyz`);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; pending?: string[] }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.postgres!.status).toBe('up');
    expect(body.checks.redis!.status).toBe('up');
    expect(body.checks.migrations).toEqual({ status: 'up', pending: [] });
  });

  it('GET /api/v1/health reports version, commit, uptime, online backends and the artifact disk', async () => {
    // The worker registered sim0; its first probe makes it healthy.
    const body = await waitUntil(async () => {
      const res = await fetch(`${stack.url}/api/v1/health`);
      expect(res.status).toBe(200);
      const json = (await res.json()) as Record<string, any>;
      return json.backends?.online === 1 ? json : undefined;
    }, 20_000, 100);
    expect(body).toMatchObject({ status: 'ok', version: 'test', commit: 'abc1234def', backends: { total: 1, online: 1 } });
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.disk.totalBytes).toBeGreaterThan(0);
    expect(body.disk.freeBytes).toBeGreaterThanOrEqual(0);
    expect(body.disk.freeBytes).toBeLessThanOrEqual(body.disk.totalBytes);
    expect(JSON.stringify(body)).not.toContain(stack.artifactDir); // never a path
  });

  it('the commit comes from git when GANTRY_COMMIT is not set', async () => {
    const { api } = await stack.startApi({ GANTRY_COMMIT: '' }); // empty = unset
    const body = (await (await fetch(`${api.url}/api/v1/health`)).json()) as { commit: string | null };
    // HEAD's hash in a git checkout; null where there is no git (e.g. a source tarball).
    let head: string | null = null;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      head = null;
    }
    expect(body.commit).toBe(head);
  });

  it('rejects other methods on the health endpoints with a problem, not a crash', async () => {
    const res = await fetch(`${stack.url}/readyz`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});

describe('API /readyz on a database without migrations', () => {
  let db: TestDatabase;
  let resources: ApiResources;
  let api: RunningApi;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    const env = loadApiEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, GANTRY_QUEUE_PREFIX: `gantry-test-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'silent' });
    resources = await buildApiDeps(env, 'test', silentLogger());
    api = await listenApi(resources, 0, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await api?.close(1000);
    await resources?.dispose();
    await db?.drop();
  });

  it('is 503 with the pending migrations until they are applied, while /livez stays 200', async () => {
    const all = (await readMigrationsFolder(defaultMigrationsDir())).migrations.map((m) => m.name);
    expect(all.length).toBeGreaterThan(0);
    const before = await fetch(`${api.url}/readyz`);
    expect(before.status).toBe(503);
    const body = (await before.json()) as { status: string; checks: { postgres: { status: string }; migrations: { status: string; pending: string[]; error: string } } };
    expect(body.status).toBe('not_ready');
    expect(body.checks.postgres.status).toBe('up');
    expect(body.checks.migrations).toMatchObject({ status: 'down', pending: all });
    expect(body.checks.migrations.error).toMatch(/db:migrate/);
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);

    await migrateDatabase(db.url);
    const after = await fetch(`${api.url}/readyz`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { checks: { migrations: unknown } }).checks.migrations).toEqual({ status: 'up', pending: [] });
  });
});
