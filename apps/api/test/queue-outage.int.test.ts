/**
 * The API while its Redis is down (issue 11): a throwaway redis-server is killed under a running
 * API. Requests that need Redis (live backend state, drains) answer 503 QUEUE_UNAVAILABLE with
 * Retry-After within GANTRY_REDIS_COMMAND_TIMEOUT_MS (not DATABASE_UNAVAILABLE, not a 500, not a
 * hang, never Redis' address); what PostgreSQL can answer alone still works (reading a job,
 * accepting one for the reconciler to queue, canceling a queued one); nothing is logged as an
 * error; and everything recovers once a Redis is back on that port, without restarting the API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@gantry/logger';
import { apiClient, freePort, startRedisProcess, startStack, waitUntil, type RedisProcess, type TestStack } from '@gantry/testing';
import { openApiDocument } from '../src/openapi/document';
import { defaultWorkflow } from './fixtures';
import { OpenApiContract } from './openapi-contract';

describe('API during a Redis outage', () => {
  let stack: TestStack;
  let redis: RedisProcess;
  let port: number;
  let dir: string;
  const logLines: Array<Record<string, unknown>> = [];
  const contract = new OpenApiContract(openApiDocument().document as Record<string, unknown>);
  const startRedis = async (name: string) => startRedisProcess({ name, parentDir: dir, port, config: ['save ""', 'appendonly no'] });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gantry-queue-outage-'));
    port = await freePort();
    redis = await startRedis('redis-1');
    const logger = createLogger({ name: 'api', level: 'warn', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    stack = await startStack({ worker: false, gpus: 0, redisUrl: `redis://127.0.0.1:${port}`, logger, apiEnv: { GANTRY_REDIS_COMMAND_TIMEOUT_MS: '500' } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await redis?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 QUEUE_UNAVAILABLE with Retry-After where Redis is needed, serves what PostgreSQL can, and recovers', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const queued = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    expect(queued.status).toBe(202);
    expect((await admin('POST', '/api/v1/backends', { id: 'gpu-a', url: 'http://127.0.0.1:9' })).status).toBe(201);
    expect((await admin('GET', '/api/v1/backends')).status).toBe(200);

    await redis.kill();

    for (const [method, route] of [
      ['GET', '/api/v1/backends'],
      ['GET', '/api/v1/backends/gpu-a'],
      ['POST', '/api/v1/backends/gpu-a/drain'],
    ] as const) {
      const res = await admin(method, route);
      expect({ route, status: res.status, code: res.body?.code }).toEqual({ route, status: 503, code: 'QUEUE_UNAVAILABLE' });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toMatchObject({ status: 503, title: 'Job queue unavailable' });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(String(port));
      expect(text).not.toMatch(/ECONNREFUSED|ioredis|Command timed out|\n\s+at /);
      // Documented for the operation hit, Retry-After included.
      expect(contract.check(method, route, res).issues).toEqual([]);
    }

    // PostgreSQL alone answers these: a job (without its queue position), a new job (accepted,
    // queued by the reconciler later), and canceling a queued job.
    const job = await admin('GET', `/api/v1/jobs/${queued.body.id}`);
    expect(job.status).toBe(200);
    expect(job.body.status).toBe('queued');
    const accepted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    expect(accepted.status).toBe(202);
    // A batch too: every job committed, the bulk add left to the reconciler.
    const batch = await admin('POST', '/api/v1/jobs/batch', { jobs: [{ workflow: defaultWorkflow({ seed: 1 }) }, { workflow: defaultWorkflow({ seed: 2 }) }] });
    expect({ status: batch.status, statuses: batch.body.items?.map((j: { status: string }) => j.status) }).toEqual({ status: 202, statuses: ['queued', 'queued'] });
    expect((await admin('GET', `/api/v1/jobs/${batch.body.items[1].id}`)).body.status).toBe('queued');
    const canceled = await admin('POST', `/api/v1/jobs/${queued.body.id}/cancel`);
    expect({ status: canceled.status, job: canceled.body.status }).toEqual({ status: 200, job: 'canceled' });

    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { redis: { status: string } } }).checks.redis.status).toBe('down');

    // An outage is a warning per request, never an error with a stack.
    expect(logLines.filter((l) => l.level !== undefined && Number(l.level) >= 50)).toEqual([]);
    expect(logLines.some((l) => l.msg === 'redis unavailable')).toBe(true);

    redis = await startRedis('redis-2'); // empty: a restarted Redis without persistence
    await waitUntil(async () => ((await admin('GET', '/api/v1/backends')).status === 200 ? true : undefined), 30_000, 100);
    const drained = await admin('POST', '/api/v1/backends/gpu-a/drain');
    expect({ status: drained.status, state: drained.body.state }).toEqual({ status: 200, state: 'draining' });
  }, 120_000);
});
