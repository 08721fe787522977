/**
 * The worker's /readyz during a database outage, against a private PostgreSQL server that is
 * stopped and started again: not ready with the reason (never the server's address) while it is
 * down, ready again once it is back, without restarting the worker.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateDatabase } from '@gantry/db';
import { startGpuSim, type GpuSimHandle } from '@gantry/gpu-sim';
import { silentLogger } from '@gantry/logger';
import { startThrowawayPostgres, TEST_REDIS_URL, waitUntil, type ThrowawayPostgres } from '@gantry/testing';
import { loadWorkerEnv, startWorker, type RunningWorker } from '@gantry/worker';

describe('worker /readyz during a database outage', () => {
  let server: ThrowawayPostgres;
  let sim: GpuSimHandle;
  let worker: RunningWorker;
  let artifactDir: string;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    const databaseUrl = server.url.replace(/\/postgres$/, '/gantry');
    await migrateDatabase(databaseUrl);
    sim = await startGpuSim({ port: 0, host: '127.0.0.1', stepMs: 5, name: 'sim0' });
    artifactDir = await mkdtemp(path.join(tmpdir(), 'gantry-artifacts-'));
    const env = loadWorkerEnv({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      GANTRY_QUEUE_PREFIX: `gantry-test-${randomUUID().slice(0, 8)}`,
      GANTRY_ARTIFACT_DIR: artifactDir,
      GANTRY_BACKENDS: `sim0=${sim.url}`,
      GANTRY_HEALTH_INTERVAL_MS: '200',
      GANTRY_WORKER_HTTP_PORT: '0',
      GANTRY_SHUTDOWN_GRACE_MS: '2000',
      GANTRY_DB_POOL_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'silent',
    });
    worker = await startWorker(env, silentLogger());
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await sim?.close();
    await server?.destroy();
    if (artifactDir) await rm(artifactDir, { recursive: true, force: true });
  }, 120_000);

  const readyz = async () => {
    const res = await fetch(`${worker.http.url}/readyz`, { signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: await res.text() };
  };

  it('is not ready with the reason while the database is down, and ready again once it is back', async () => {
    await waitUntil(async () => ((await readyz()).status === 200 ? true : undefined), 30_000, 100);

    await server.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    const body = JSON.parse(down.text) as { checks: { postgres: { status: string; reason?: string }; redis: { status: string } } };
    expect(body.checks.postgres).toMatchObject({ status: 'down', reason: expect.stringMatching(/^(connection refused|server unreachable)$/) });
    expect(body.checks.redis.status).toBe('up');
    expect(down.text).not.toContain('127.0.0.1');
    expect(down.text).not.toContain(String(server.port));

    await server.start();
    await waitUntil(async () => ((await readyz()).status === 200 ? true : undefined), 30_000, 100);
  }, 120_000);
});
