import { Redis } from 'ioredis';
import { SlotLeases } from '@gantry/fleet';
import { apiClient, startStack, TEST_REDIS_URL, waitUntil, type TestStack } from '@gantry/testing';

/** The fleet endpoints: admin CRUD, auth, validation, probe info and drains (one worker, one gpu-sim). */
describe('backends API', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let reader: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({
      gpus: 1,
      workerEnv: { GANTRY_HEALTH_INTERVAL_MS: '50', GANTRY_REGISTRY_REFRESH_MS: '50', GANTRY_HEALTH_TIMEOUT_MS: '2000' },
    });
    admin = apiClient(stack.url, stack.adminKey);
    const created = await admin('POST', '/api/v1/api-keys', { tenant: 'viewer', scopes: ['read', 'submit'] });
    reader = apiClient(stack.url, created.body.key);
  });
  afterAll(() => stack.close());

  function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code });
  }

  const backend = (id: string) => waitUntil(async () => {
    const res = await admin('GET', `/api/v1/backends/${id}`);
    return res.status === 200 && res.body.state === 'healthy' && res.body.probe.nodeTypeCount ? res.body : undefined;
  });

  it('shows what the probes learned: version, VRAM, node types', async () => {
    const sim0 = await backend('sim0');
    expect(sim0).toMatchObject({
      id: 'sim0',
      kind: 'comfyui',
      url: stack.sims[0]!.url,
      capacity: 1,
      tags: [],
      state: 'healthy',
      breaker: 'closed',
      inFlight: 0,
      draining: false,
      consecutiveFailures: 0,
      lastError: null,
      probe: { version: '0.3.64', vram: { totalMb: 24576 } },
    });
    expect(sim0.probe.vram.freeMb).toBeGreaterThan(0);
    expect(sim0.probe.nodeTypes).toEqual(expect.arrayContaining(['KSampler', 'CheckpointLoaderSimple', 'SaveImage']));
    expect(sim0.probe.nodeTypeCount).toBe(sim0.probe.nodeTypes.length);
    expect(Date.parse(sim0.lastProbeAt)).toBeGreaterThan(Date.now() - 60_000);

    const list = await reader('GET', '/api/v1/backends');
    expect(list.status).toBe(200);
    const item = list.body.items.find((b: any) => b.id === 'sim0');
    expect(item.probe.nodeTypeCount).toBe(sim0.probe.nodeTypeCount);
    expect(item.probe.nodeTypes).toBeUndefined(); // the full list only on GET /backends/{id}
    expect(item.url).toBeUndefined(); // internal addresses are for admins only
    expect((await reader('GET', '/api/v1/backends/sim0')).body.url).toBeUndefined();

    // Persisted in PostgreSQL for the submit path's eligibility check.
    const row = await stack.apiResources.deps.db.backend.findUnique({ where: { id: 'sim0' } });
    expect(row!.info).toMatchObject({ kind: 'comfyui', version: '0.3.64', vramTotalMb: 24576, nodeTypes: expect.arrayContaining(['KSampler']) });
  });

  it('probes an A1111 backend too (VRAM from /sdapi/v1/memory; no version, no node types)', async () => {
    expect((await admin('POST', '/api/v1/backends', { id: 'webui', kind: 'a1111', url: stack.sims[0]!.url })).status).toBe(201);
    const webui = await waitUntil(async () => {
      const res = await admin('GET', '/api/v1/backends/webui');
      return res.body.state === 'healthy' ? res.body : undefined;
    });
    expect(webui).toMatchObject({ kind: 'a1111', probe: { version: null, vram: { totalMb: 24576 }, nodeTypeCount: null, nodeTypes: null } });
    expect(webui.probe.vram.freeMb).toBeGreaterThan(0);
    expect((await admin('DELETE', '/api/v1/backends/webui')).status).toBe(204);
  });

  it('registers backends (admin), refuses duplicates, validates', async () => {
    const created = await admin('POST', '/api/v1/backends', { id: 'gpu-new.a', url: 'http://127.0.0.1:9/', capacity: 2, tags: ['sdxl'] });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/backends/gpu-new.a');
    expect(created.body).toMatchObject({ id: 'gpu-new.a', kind: 'comfyui', capacity: 2, tags: ['sdxl'], draining: false, inFlight: 0 });
    expect(['unknown', 'unhealthy', 'open']).toContain(created.body.state);

    expectProblem(await admin('POST', '/api/v1/backends', { id: 'gpu-new.a', url: 'http://127.0.0.1:10' }), 409, 'CONFLICT');

    const bad = await admin('POST', '/api/v1/backends', { id: 'bad id!', url: 'ftp://x', capacity: 0, tags: [''], extra: 1 });
    expectProblem(bad, 422, 'VALIDATION_FAILED');
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'url', 'capacity', 'tags.0']));
    expectProblem(await admin('POST', '/api/v1/backends', { url: 'http://h:1' }), 422, 'VALIDATION_FAILED');
    expectProblem(await admin('POST', '/api/v1/backends', 'id=x', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');

    // The unreachable new backend is probed by the worker and shows as such.
    const down = await waitUntil(async () => {
      const res = await admin('GET', '/api/v1/backends/gpu-new.a');
      return res.body.lastProbeAt ? res.body : undefined;
    });
    expect(['unhealthy', 'open']).toContain(down.state);
    expect(down.lastError).toMatch(/system_stats/);
    expect(down.consecutiveFailures).toBeGreaterThan(0);
  });

  it('lets only admins change the fleet', async () => {
    expectProblem(await reader('POST', '/api/v1/backends', { id: 'x', url: 'http://h:1' }), 403, 'FORBIDDEN');
    expectProblem(await reader('POST', '/api/v1/backends/sim0/drain'), 403, 'FORBIDDEN');
    expectProblem(await reader('POST', '/api/v1/backends/sim0/undrain'), 403, 'FORBIDDEN');
    expectProblem(await reader('DELETE', '/api/v1/backends/sim0'), 403, 'FORBIDDEN');
    expectProblem(await apiClient(stack.url)('GET', '/api/v1/backends'), 401, 'UNAUTHENTICATED');
    expect((await reader('GET', '/api/v1/backends/sim0')).status).toBe(200);
  });

  it('drains and undrains, visibly', async () => {
    const drained = await admin('POST', '/api/v1/backends/sim0/drain');
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ id: 'sim0', draining: true, state: 'draining' });
    const listed = (await reader('GET', '/api/v1/backends')).body.items.find((b: any) => b.id === 'sim0');
    expect(listed).toMatchObject({ draining: true, state: 'draining' });
    expect((await admin('POST', '/api/v1/backends/sim0/drain')).body.draining).toBe(true); // idempotent
    const undrained = await admin('POST', '/api/v1/backends/sim0/undrain');
    expect(undrained.body).toMatchObject({ draining: false, state: 'healthy' });
    expectProblem(await admin('POST', '/api/v1/backends/nope/drain'), 404, 'NOT_FOUND');
    expectProblem(await admin('POST', '/api/v1/backends/..%2Fx/drain'), 404, 'NOT_FOUND');
  });

  it('refuses to delete a backend with jobs in flight unless forced', async () => {
    await admin('POST', '/api/v1/backends', { id: 'busy', url: 'http://127.0.0.1:9' });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const leases = new SlotLeases(redis, { prefix: stack.prefix });
      const granted = await leases.acquire({ tenantId: 't', candidates: [{ id: 'busy', capacity: 1 }] });
      expect(granted.lease).not.toBeNull();
      expect((await admin('GET', '/api/v1/backends/busy')).body.inFlight).toBe(1);

      const refused = await admin('DELETE', '/api/v1/backends/busy');
      expectProblem(refused, 409, 'INVALID_STATE');
      expect(refused.body.errors).toEqual({ inFlight: 1 });
      expectProblem(await admin('DELETE', '/api/v1/backends/busy?force=maybe'), 422, 'VALIDATION_FAILED');

      expect((await admin('DELETE', '/api/v1/backends/busy?force=true')).status).toBe(204);
      expectProblem(await admin('GET', '/api/v1/backends/busy'), 404, 'NOT_FOUND');
      expectProblem(await admin('DELETE', '/api/v1/backends/busy'), 404, 'NOT_FOUND');
    } finally {
      await redis.quit();
    }
    expect((await admin('DELETE', '/api/v1/backends/gpu-new.a')).status).toBe(204);
    expect((await admin('GET', '/api/v1/backends')).body.items.map((b: any) => b.id)).toEqual(['sim0']);
  });
});
