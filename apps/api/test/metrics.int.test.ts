/**
 * /metrics of the API and of a worker, scraped from a running stack after real jobs: the families
 * and labels docs/metrics.md promises, route patterns (never ids) as labels, the autoscaling
 * signal, the WebSocket counters, the bearer token, `promtool check metrics` on both outputs, and
 * that the Grafana dashboard, the alert rules and the KEDA example only use exposed metric names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningWorker } from '@gantry/worker';
import {
  apiClient,
  dashboardExpressions,
  exposedNames,
  findSamples,
  gantryMetricNames,
  parseExposition,
  promtool,
  sampleValue,
  scrape,
  startStack,
  StreamClient,
  waitUntil,
  type TestStack,
} from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const REPO = path.resolve(__dirname, '../../..');
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('Prometheus metrics of the API and the worker', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let worker: RunningWorker;
  let apiText = '';
  let workerText = '';
  const done: string[] = [];

  beforeAll(async () => {
    // No worker at first: jobs stay queued, so the autoscaling signal can be read.
    stack = await startStack({ worker: false, gpus: 1, stepMs: 5, apiEnv: { GANTRY_METRICS_CACHE_MS: '0' } });
    admin = apiClient(stack.url, stack.adminKey);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  const submit = async (body: Record<string, unknown>): Promise<string> => {
    const res = await admin('POST', '/api/v1/jobs', body);
    expect(res.status).toBe(202);
    return res.body.id as string;
  };

  it('reports queued work: depth, oldest age, pending jobs per required tag and per model', async () => {
    const tagged = [
      await submit({ workflow: defaultWorkflow({ steps: 2 }), requirements: { tags: ['a100'] } }),
      await submit({ workflow: defaultWorkflow({ steps: 2 }), requirements: { tags: ['a100', 'sdxl'] } }),
    ];
    done.push(await submit({ workflow: defaultWorkflow({ steps: 2, width: 64, height: 64 }) }));

    const m = parseExposition(await scrape(`${stack.url}/metrics`));
    expect(sampleValue(m, 'gantry_queue_pending_jobs')).toBe(3);
    const waiting = findSamples(m, 'gantry_queue_jobs').filter((s) => s.labels.state !== 'active');
    expect(waiting.reduce((sum, s) => sum + s.value, 0)).toBe(3);
    expect(sampleValue(m, 'gantry_queue_pending_jobs_by_tag', { tag: 'a100' })).toBe(2);
    expect(sampleValue(m, 'gantry_queue_pending_jobs_by_tag', { tag: 'sdxl' })).toBe(1);
    expect(sampleValue(m, 'gantry_queue_pending_untagged_jobs')).toBe(1);
    const ckpt = Object.values(defaultWorkflow()).find((n) => n.class_type === 'CheckpointLoaderSimple')!.inputs.ckpt_name as string;
    expect(sampleValue(m, 'gantry_queue_pending_jobs_by_model', { model: ckpt })).toBe(3);
    expect(sampleValue(m, 'gantry_queue_oldest_pending_age_seconds_by_tag', { tag: 'a100' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(m, 'gantry_queue_oldest_pending_untagged_age_seconds')).toBeGreaterThanOrEqual(0);
    // The oldest job's age grows while it waits.
    await waitUntil(async () => {
      const again = parseExposition(await scrape(`${stack.url}/metrics`));
      return (sampleValue(again, 'gantry_queue_oldest_pending_age_seconds') ?? 0) >= 1 ? true : undefined;
    }, 20_000, 250);

    // Canceled while queued: the API counts the finish; the tagged jobs leave the signal.
    for (const id of tagged) expect((await admin('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(200);
    const after = parseExposition(await scrape(`${stack.url}/metrics`));
    expect(sampleValue(after, 'gantry_jobs_finished_total', { kind: 'workflow', status: 'canceled' })).toBe(2);
    expect(sampleValue(after, 'gantry_queue_pending_jobs_by_tag', { tag: 'a100' })).toBeUndefined();
    expect(sampleValue(after, 'gantry_queue_pending_jobs')).toBe(1);
  });

  it('runs jobs on a worker, then both processes expose the job, HTTP, fleet and process families', async () => {
    worker = await stack.startWorker({ GANTRY_METRICS_TOKEN: METRICS_TOKEN });
    for (let i = 0; i < 2; i++) done.push(await submit({ workflow: defaultWorkflow({ steps: 3, seed: i, width: 64, height: 64 }) }));
    for (const id of done) {
      await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${id}`)).body.status === 'succeeded' ? true : undefined), 30_000, 50);
    }
    // One job that fails: its run outlives its timeout (JOB_TIMEOUT is final, not retried). It is
    // submitted once the worker holds no slot, so it gets the GPU at once.
    await waitUntil(async () => {
      const m = parseExposition(await scrape(`${worker.http.url}/metrics`, METRICS_TOKEN));
      return sampleValue(m, 'gantry_worker_leases_held') === 0 ? true : undefined;
    }, 20_000, 100);
    const slow = await submit({ workflow: defaultWorkflow({ steps: 10_000, width: 64, height: 64 }), timeoutSeconds: 3 });
    const failed = await waitUntil(async () => {
      const job = (await admin('GET', `/api/v1/jobs/${slow}`)).body;
      return job.status === 'failed' ? job : undefined;
    }, 30_000, 100);
    expect(failed.error.code).toBe('JOB_TIMEOUT');
    expect((await admin('GET', '/api/v1/no-such-thing')).status).toBe(404);
    expect((await admin('GET', `/api/v1/jobs/${done[0]}`)).status).toBe(200);
    // The API's view of the fleet: the worker registered sim0, probes it, and released its slot.
    apiText = await waitUntil(async () => {
      const text = await scrape(`${stack.url}/metrics`);
      const m = parseExposition(text);
      const settled = sampleValue(m, 'gantry_backend_up', { backend: 'sim0' }) === 1 && sampleValue(m, 'gantry_backend_in_flight', { backend: 'sim0' }) === 0;
      return settled ? text : undefined;
    }, 20_000, 100);
    const api = parseExposition(apiText);
    expect(sampleValue(api, 'gantry_jobs_submitted_total', { kind: 'workflow' })).toBe(6);
    expect(sampleValue(api, 'gantry_http_requests_total', { method: 'POST', route: '/api/v1/jobs', status: '202' })).toBe(6);
    expect(sampleValue(api, 'gantry_http_requests_total', { method: 'GET', route: '/api/v1/jobs/:id', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(api, 'gantry_http_requests_total', { method: 'POST', route: '/api/v1/jobs/:id/cancel', status: '200' })).toBe(2);
    expect(sampleValue(api, 'gantry_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sampleValue(api, 'gantry_http_errors_total', { route: 'unmatched', code: 'NOT_FOUND' })).toBe(1);
    expect(sampleValue(api, 'gantry_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/jobs' })).toBe(6);
    expect(UUID_RE.test(apiText)).toBe(false); // no job id ever becomes a label value
    expect(sampleValue(api, 'gantry_backend_capacity', { backend: 'sim0' })).toBe(1);
    expect(sampleValue(api, 'gantry_backend_in_flight', { backend: 'sim0' })).toBe(0);
    expect(sampleValue(api, 'gantry_backend_state', { backend: 'sim0', state: 'healthy' })).toBe(1);
    expect(sampleValue(api, 'gantry_backend_state', { backend: 'sim0', state: 'open' })).toBe(0);
    expect(sampleValue(api, 'gantry_backend_circuit_state', { backend: 'sim0', state: 'closed' })).toBe(1);
    expect(sampleValue(api, 'gantry_backend_draining', { backend: 'sim0' })).toBe(0);
    expect(sampleValue(api, 'gantry_backend_vram_total_bytes', { backend: 'sim0' })).toBeGreaterThan(0);
    expect(sampleValue(api, 'gantry_queue_pending_jobs')).toBe(0);
    expect(sampleValue(api, 'gantry_artifact_disk_total_bytes')).toBeGreaterThan(0);
    expect(sampleValue(api, 'gantry_artifact_disk_free_bytes')).toBeGreaterThan(0);
    expect(sampleValue(api, 'gantry_build_info', { version: 'test', service: 'api' })).toBe(1);
    expect(sampleValue(api, 'gantry_nodejs_eventloop_lag_seconds', { service: 'api' })).toBeGreaterThanOrEqual(0);
    expect(findSamples(api, 'gantry_process_resident_memory_bytes')).toHaveLength(1);

    // The worker records a finish right after the final transition: wait until all three are in.
    workerText = await waitUntil(async () => {
      const text = await scrape(`${worker.http.url}/metrics`, METRICS_TOKEN);
      const m = parseExposition(text);
      const settled =
        sampleValue(m, 'gantry_job_run_seconds_count', { kind: 'workflow', status: 'succeeded' }) === 3 &&
        sampleValue(m, 'gantry_jobs_finished_total', { kind: 'workflow', status: 'failed' }) === 1 &&
        sampleValue(m, 'gantry_worker_jobs_active') === 0 &&
        sampleValue(m, 'gantry_worker_ready') === 1 &&
        sampleValue(m, 'gantry_worker_leases_held') === 0;
      return settled ? text : undefined;
    }, 20_000, 100);
    const w = parseExposition(workerText);
    expect(sampleValue(w, 'gantry_jobs_finished_total', { kind: 'workflow', status: 'succeeded', service: 'worker' })).toBe(3);
    expect(sampleValue(w, 'gantry_jobs_finished_total', { kind: 'workflow', status: 'failed', service: 'worker' })).toBe(1);
    // Run time and queue wait exist for jobs that started on the GPU (the timed-out one normally did).
    const started = failed.startedAt ? 1 : 0;
    expect(sampleValue(w, 'gantry_job_run_seconds_count', { kind: 'workflow', status: 'failed' }) ?? 0).toBe(started);
    if (started) expect(sampleValue(w, 'gantry_job_run_seconds_sum', { kind: 'workflow', status: 'failed' })).toBeGreaterThan(0);
    expect(sampleValue(w, 'gantry_job_queue_wait_seconds_count', { kind: 'workflow' })).toBe(3 + started);
    expect(sampleValue(w, 'gantry_job_run_seconds_count', { kind: 'workflow', status: 'succeeded' })).toBe(3);
    expect(sampleValue(w, 'gantry_job_run_seconds_sum', { kind: 'workflow', status: 'succeeded' })).toBeGreaterThan(0);
    // The job queued before the worker existed waited at least the second the first test waited for.
    expect(sampleValue(w, 'gantry_job_queue_wait_seconds_bucket', { kind: 'workflow', le: '0.5' })).toBeLessThan(3 + started);
    expect(sampleValue(w, 'gantry_worker_ready')).toBe(1);
    expect(sampleValue(w, 'gantry_worker_backends')).toBe(1);
    expect(sampleValue(w, 'gantry_worker_jobs_active')).toBe(0);
    expect(sampleValue(w, 'gantry_worker_concurrency')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(w, 'gantry_worker_leases_held')).toBe(0);
    expect(sampleValue(w, 'gantry_artifact_disk_free_bytes')).toBeGreaterThan(0);
    expect(findSamples(w, 'gantry_build_info', { service: 'worker' })).toHaveLength(1);
    expect(sampleValue(w, 'gantry_nodejs_eventloop_lag_seconds', { service: 'worker', instance_id: worker.id })).toBeGreaterThanOrEqual(0);
  });

  it('counts WebSocket connections, messages both ways and disconnects by close code', async () => {
    const client = await StreamClient.connect(stack.url, { key: stack.adminKey });
    await client.next((m) => m.type === 'ready');
    client.send({ type: 'ping', id: 'p1' });
    await client.next((m) => m.type === 'pong');
    const open = parseExposition(await scrape(`${stack.url}/metrics`));
    expect(sampleValue(open, 'gantry_ws_connections')).toBe(1);
    expect(sampleValue(open, 'gantry_ws_messages_received_total')).toBe(1);
    expect(sampleValue(open, 'gantry_ws_messages_sent_total')).toBe(2); // ready, pong
    client.ws.close(1000, 'bye');
    await client.closed;
    const bad = await StreamClient.connect(stack.url, { key: 'not-a-valid-key-at-all-000000', authVia: 'message' });
    expect((await bad.closed).code).toBe(4401);
    await waitUntil(async () => {
      const m = parseExposition(await scrape(`${stack.url}/metrics`));
      const closed = sampleValue(m, 'gantry_ws_disconnects_total', { code: '1000' }) === 1 && sampleValue(m, 'gantry_ws_disconnects_total', { code: '4401' }) === 1;
      return closed && sampleValue(m, 'gantry_ws_connections') === 0 ? true : undefined;
    }, 20_000, 50);
  });

  it('passes `promtool check metrics` for the API and the worker', () => {
    expect(apiText).not.toBe('');
    expect(workerText).not.toBe('');
    for (const [who, text] of [['api', apiText], ['worker', workerText]] as const) {
      const result = promtool(['check', 'metrics'], text);
      expect({ who, ...result }).toEqual({ who, ok: true, output: '' });
    }
  });

  it('guards /metrics with GANTRY_METRICS_TOKEN when set (API and worker)', async () => {
    const { api } = await stack.startApi({ GANTRY_METRICS_TOKEN: METRICS_TOKEN });
    const anonymous = await fetch(`${api.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${stack.adminKey}` } })).status).toBe(401);
    expect(await scrape(`${api.url}/metrics`, METRICS_TOKEN)).toMatch(/gantry_http_requests_total/);
    // The health endpoints stay open.
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);
    // The worker's /metrics takes the same token.
    expect((await fetch(`${worker.http.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${worker.http.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0000000000' } })).status).toBe(401);
  });

  it('the Grafana dashboard, the alert rules and the KEDA example only use metrics the apps expose', () => {
    const exposed = new Set([...exposedNames(parseExposition(apiText)), ...exposedNames(parseExposition(workerText))]);
    const dashboard = JSON.parse(readFileSync(path.join(REPO, 'deploy/grafana/gantry-dashboard.json'), 'utf8'));
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(15);
    const sources: [string, string[]][] = [
      ['dashboard', expressions],
      ['alerts', [readFileSync(path.join(REPO, 'deploy/prometheus/alerts.yml'), 'utf8')]],
      ['keda', [readFileSync(path.join(REPO, 'deploy/k8s/keda-scaledobject.yaml'), 'utf8')]],
    ];
    for (const [source, texts] of sources) {
      const used = [...new Set(texts.flatMap(gantryMetricNames))];
      expect({ source, count: used.length > 0 }).toEqual({ source, count: true });
      expect({ source, unknown: used.filter((n) => !exposed.has(n)) }).toEqual({ source, unknown: [] });
    }
    // Every expression of the dashboard reads at least one Gantry metric.
    expect(expressions.filter((e) => gantryMetricNames(e).length === 0)).toEqual([]);
  });
});
