/**
 * The worker's HTTP server (/metrics, /livez, /readyz on GANTRY_WORKER_HTTP_PORT) and what its
 * logs carry: job id and backend id on every line of a run; the API echoes X-Request-Id and logs
 * it; prompt text never reaches a log line by default.
 */
import { Writable } from 'node:stream';
import { createLogger } from '@gantry/logger';
import { loadWorkerEnv, startWorker, type RunningWorker } from '@gantry/worker';
import { apiClient, startStack, TEST_REDIS_URL, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

const PROMPT = 'a lighthouse painted by zq-unique-prompt-7781';

describe('worker HTTP server and logs', () => {
  let stack: TestStack;
  let worker: RunningWorker;
  const lines: Record<string, any>[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ name: 'test', level: 'debug', destination });
    stack = await startStack({ gpus: 1, logger, workerEnv: { GANTRY_HEALTH_INTERVAL_MS: '200', GANTRY_HEALTH_TIMEOUT_MS: '10000' } });
    worker = stack.worker!;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('serves /livez at once and /readyz once a backend is healthy', async () => {
    expect(worker.http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await fetch(`${worker.http.url}/livez`);
    expect(live.status).toBe(200);
    expect(((await live.json()) as { status: string }).status).toBe('alive');
    const body = await waitUntil(async () => {
      const res = await fetch(`${worker.http.url}/readyz`);
      const json = (await res.json()) as Record<string, any>;
      return res.status === 200 ? json : undefined;
    }, 20_000, 100);
    expect(body).toMatchObject({
      status: 'ready',
      checks: { worker: { status: 'up' }, postgres: { status: 'up' }, redis: { status: 'up' }, backends: { status: 'up', total: 1, healthy: 1 } },
    });
  });

  it('serves Prometheus text on /metrics; 404 and 405 elsewhere, as problems', async () => {
    const metrics = await fetch(`${worker.http.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^gantry_worker_ready\{service="worker",instance_id="[^"]+"\} 1$/m);
    const missing = await fetch(`${worker.http.url}/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
    const post = await fetch(`${worker.http.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('logs job id and backend id on the lines of a run, the request id on the API, and no prompt text', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const workflow = defaultWorkflow({ steps: 2, width: 64, height: 64 }) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    Object.values(workflow).find((n) => n.class_type === 'CLIPTextEncode')!.inputs.text = PROMPT;
    const submitted = await admin('POST', '/api/v1/jobs', { workflow }, { 'x-request-id': 'req-obs-42' });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('x-request-id')).toBe('req-obs-42');
    const id = submitted.body.id as string;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${id}`)).body.status === 'succeeded' ? true : undefined), 30_000, 50);
    const succeeded = await waitUntil(async () => lines.find((l) => l.msg === 'job succeeded' && l.jobId === id), 10_000, 50);
    expect(succeeded).toMatchObject({ jobId: id, backend: 'sim0', worker: worker.id });
    const dispatching = lines.find((l) => l.msg === 'dispatching to backend' && l.jobId === id);
    expect(dispatching).toMatchObject({ jobId: id, backend: 'sim0', promptId: expect.any(String) });
    // The API logged the request under the id the client gave.
    const request = await waitUntil(async () => lines.find((l) => l.req?.id === 'req-obs-42'), 10_000, 50);
    expect(request.req).toMatchObject({ method: 'POST', url: '/api/v1/jobs' });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => JSON.stringify(l).includes('zq-unique-prompt'))).toEqual([]);
  });

  it('is not ready (503) when its only backend is down, and stays alive', async () => {
    const sim = stack.sims[0]!;
    await sim.close();
    const down = await waitUntil(async () => {
      const res = await fetch(`${worker.http.url}/readyz`);
      const json = (await res.json()) as Record<string, any>;
      return res.status === 503 ? json : undefined;
    }, 20_000, 100);
    expect(down).toMatchObject({ status: 'not_ready', checks: { backends: { status: 'down', total: 1, healthy: 0 }, postgres: { status: 'up' } } });
    expect((await fetch(`${worker.http.url}/livez`)).status).toBe(200); // alive all along
  });

  it('refuses to start when its HTTP port is taken, naming the variable', async () => {
    const env = loadWorkerEnv({
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      GANTRY_QUEUE_PREFIX: stack.prefix,
      GANTRY_ARTIFACT_DIR: stack.artifactDir,
      LOG_LEVEL: 'silent',
      GANTRY_WORKER_HTTP_PORT: String(worker.http.port),
    });
    await expect(startWorker(env, createLogger({ name: 'test', level: 'silent' }))).rejects.toThrow(/GANTRY_WORKER_HTTP_HOST\/PORT.*EADDRINUSE/);
  });
});
