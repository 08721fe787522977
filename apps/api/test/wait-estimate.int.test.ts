import { poolOf } from '@gantry/db';
import { BackendHealth, HealthStore } from '@gantry/fleet';
import { announceFleetChange, runScript, type RedisClient } from '@gantry/queue';
import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { FLEET_JUDGEMENT_MAX_AGE_MS, estimateReuse } from '../src/services/explain-wait';
import { QUEUE_PLACE } from '../src/services/queue-place-script';
import { defaultWorkflow } from './fixtures';

/**
 * The wait estimate of a queued job (apps/api/src/services/explain-wait.ts) judges the API's
 * in-memory fleet, read again when a change of the backends is announced (every writer of the
 * table announces it), and their health, reused for FLEET_JUDGEMENT_MAX_AGE_MS: it must be exact
 * once that much time has passed since the fleet changed, whatever changed. The judgements' clock
 * is the test's: `later()` moves it past the bound.
 */
/** The health reader's own views(), for spies that call through. */
const viewsOf = BackendHealth.prototype.views;

/**
 * A spy on the API's reads of a job's place in the queue (the QUEUE_PLACE script's command on its
 * connection, defined first so there is one to spy on).
 */
async function spyOnPlaceReads(redis: RedisClient, onRead?: () => void) {
  await runScript(redis, QUEUE_PLACE, ['place-spy:set', 'place-spy:list'], ['none']);
  const commands = redis as unknown as Record<typeof QUEUE_PLACE.name, (...args: unknown[]) => Promise<unknown>>;
  const command = commands[QUEUE_PLACE.name]!;
  return jest.spyOn(commands, QUEUE_PLACE.name).mockImplementation(function (this: unknown, ...args: unknown[]) {
    onRead?.();
    return command.apply(this, args);
  });
}

describe('wait estimate of a queued job', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let health: HealthStore;
  let nowMs = 1_000_000;
  /** The judgements' clock moved past their bound: the next view judges the fleet anew. */
  const later = () => void (nowMs += FLEET_JUDGEMENT_MAX_AGE_MS);
  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0 });
    admin = apiClient(stack.url, stack.adminKey);
    const deps = stack.apiResources.deps;
    estimateReuse(deps, () => nowMs);
    health = new HealthStore(deps.redis, { prefix: deps.queue.opts.prefix ?? 'gantry' });
  });
  afterAll(() => stack.close());

  /** A backend's row, written and announced as workers and the API do. */
  const addBackend = async (id: string) => {
    const deps = stack.apiResources.deps;
    await deps.db.backend.create({ data: { id, kind: 'comfyui', url: `http://127.0.0.1:1/${id}`, capacity: 1, tags: [] } });
    await announceFleetChange(deps.redis, deps.queue.opts.prefix ?? 'gantry');
  };

  it('counts the backends and their health as they are once the bound has passed', async () => {
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    expect(submitted.status).toBe(202);
    const eligible = async () => {
      later();
      const res = await admin('GET', `/api/v1/jobs/${submitted.body.id}`);
      expect(res.status).toBe(200);
      return res.body.queue.eligibleBackends as number;
    };
    expect(await eligible()).toBe(0);
    await addBackend('b1');
    expect(await eligible()).toBe(1);
    // b2 is draining in Redis before its row appears: its health counts from its first view.
    await health.setDraining('b2', true);
    await addBackend('b2');
    expect(await eligible()).toBe(1);
    // Same backends as the previous view: their health is read again.
    await health.setDraining('b1', true);
    expect(await eligible()).toBe(0);
    await health.setDraining('b2', false);
    expect(await eligible()).toBe(1);
    // Drained and undrained through the API: the row's flag changes too, and the estimate follows it
    // (b3's announced registration has the fleet read again while b2's row says draining).
    expect((await admin('POST', '/api/v1/backends/b2/drain')).status).toBe(200);
    expect(await eligible()).toBe(0);
    await addBackend('b3');
    expect(await eligible()).toBe(1);
    expect((await admin('POST', '/api/v1/backends/b2/undrain')).status).toBe(200);
    expect(await eligible()).toBe(2);
  });

  it('reuses the judgement of the fleet within the bound, its place in the queue not', async () => {
    const first = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    const view = async (id: string) => {
      const res = await admin('GET', `/api/v1/jobs/${id}`);
      expect(res.status).toBe(200);
      return res.body.queue as { eligibleBackends: number; position: number | null };
    };
    later();
    const before = await view(first.body.id);
    const healthReads = jest.spyOn(BackendHealth.prototype, 'views');
    const rankReads = await spyOnPlaceReads(stack.apiResources.deps.redis);
    try {
      await addBackend('r1');
      await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
      nowMs += FLEET_JUDGEMENT_MAX_AGE_MS - 1;
      // Within the bound: the same judgement (no health read, r1 not counted), the position read anew.
      const within = await view(first.body.id);
      expect(within.eligibleBackends).toBe(before.eligibleBackends);
      expect(healthReads).not.toHaveBeenCalled();
      expect(rankReads).toHaveBeenCalledTimes(1);
      nowMs += 1;
      expect((await view(first.body.id)).eligibleBackends).toBe(before.eligibleBackends + 1);
      expect(healthReads).toHaveBeenCalled();
      expect(rankReads).toHaveBeenCalledTimes(2);
    } finally {
      healthReads.mockRestore();
      rankReads.mockRestore();
    }
  });

  it('reads the backend rows again only after an announced change, not at every view', async () => {
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    const view = async () => {
      later();
      expect((await admin('GET', `/api/v1/jobs/${submitted.body.id}`)).body.queue).toBeDefined();
    };
    await view();
    const pool = poolOf(stack.apiResources.deps.db);
    const query = jest.spyOn(pool, 'query');
    // The health of the kept fleet is read with its token: once per view, again only for a fleet read anew.
    const healthReads = jest.spyOn(BackendHealth.prototype, 'views');
    const backendReads = () => query.mock.calls.filter(([q]) => /FROM backends/.test(typeof q === 'string' ? q : (q as { text: string }).text)).length;
    try {
      for (let i = 0; i < 5; i++) await view();
      expect(backendReads()).toBe(0);
      expect(healthReads).toHaveBeenCalledTimes(5);
      await addBackend('b4');
      await view();
      expect(backendReads()).toBe(1);
      expect(healthReads).toHaveBeenCalledTimes(7);
      expect(healthReads.mock.calls[6]![0].map((b) => b.id)).toContain('b4');
    } finally {
      query.mockRestore();
      healthReads.mockRestore();
    }
  });

  it("reads the kept fleet's health in the same round trip as the fleet's token", async () => {
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    const view = async () => {
      later();
      expect((await admin('GET', `/api/v1/jobs/${submitted.body.id}`)).body.queue).toBeDefined();
    };
    await view();
    const redis = stack.apiResources.deps.redis;
    const order: string[] = [];
    const get = redis.get.bind(redis);
    const tokenReads = jest.spyOn(redis, 'get').mockImplementation(((key: string) =>
      get(key).then((v) => {
        if (key.endsWith(':fleet:version')) order.push('token read');
        return v;
      })) as typeof redis.get);
    const healthReads = jest.spyOn(BackendHealth.prototype, 'views').mockImplementation(function (this: BackendHealth, ...args) {
      order.push('health asked');
      return viewsOf.apply(this, args);
    });
    try {
      await view();
      expect(order).toEqual(['health asked', 'token read']);
    } finally {
      tokenReads.mockRestore();
      healthReads.mockRestore();
    }
  });

  it('places a queued job a worker has taken already (waiting there for a slot) next: position 0', async () => {
    const id = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() })).body.id as string;
    const deps = stack.apiResources.deps;
    const prioritized = deps.queue.toKey('prioritized');
    const active = deps.queue.toKey('active');
    // One round trip to Redis for the place, wherever the entry is (or is not).
    const placeReads = await spyOnPlaceReads(deps.redis);
    const rankOrListReads = [jest.spyOn(deps.redis, 'zrank'), jest.spyOn(deps.redis, 'lpos')];
    try {
      expect((await admin('GET', `/api/v1/jobs/${id}`)).body.queue.position).toEqual(expect.any(Number));
      // What BullMQ's fetch does to the entry: out of the priority set, onto the active list.
      expect(await deps.redis.zrem(prioritized, id)).toBe(1);
      await deps.redis.lpush(active, id);
      const view = (await admin('GET', `/api/v1/jobs/${id}`)).body;
      expect(view.status).toBe('queued');
      expect(view.queue.position).toBe(0);
      // Neither in the set nor taken (a delayed hand-back): no place to tell.
      await deps.redis.lrem(active, 0, id);
      expect((await admin('GET', `/api/v1/jobs/${id}`)).body.queue.position).toBeNull();
      expect(placeReads).toHaveBeenCalledTimes(3);
      for (const spy of rankOrListReads) expect(spy).not.toHaveBeenCalled();
    } finally {
      placeReads.mockRestore();
      for (const spy of rankOrListReads) spy.mockRestore();
      await deps.redis.lrem(active, 0, id);
      await admin('POST', `/api/v1/jobs/${id}/cancel`);
    }
  });

  it("reads the estimate's place in the queue and throughput of a job seen queued alongside its row, and stops once it has left the queue", async () => {
    const submitted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    const id = submitted.body.id as string;
    const deps = stack.apiResources.deps;
    const order: string[] = [];
    const pool = poolOf(deps.db);
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    const rankReads = await spyOnPlaceReads(deps.redis, () => order.push('rank'));
    const rowReads = jest.spyOn(pool, 'query').mockImplementation(((...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      // The row, and whether it asked for the workflow (a queued job's need not kept yet).
      if (text?.includes('FROM jobs j WHERE j.id')) order.push((args[0] as { values?: unknown[] }).values?.[4] ? 'row+workflow' : 'row');
      if (text?.includes("status = 'succeeded' AND finished_at >=")) order.push('count'); // the throughput, counted at each view on a quiet fleet
      return query(...args);
    }) as never);
    const view = async () => {
      const res = await admin('GET', `/api/v1/jobs/${id}`);
      expect(res.status).toBe(200);
      return res.body;
    };
    try {
      // First view: the job is not known yet, so its row comes first.
      const position = (await view()).queue.position as number;
      expect(position).toEqual(expect.any(Number));
      expect(order).toEqual(['row+workflow', 'rank', 'count']);
      order.length = 0;
      // Seen queued: its place and the throughput are read before the row is back, the same answer.
      expect((await view()).queue.position).toBe(position);
      expect(order).toEqual(['rank', 'count', 'row']);
      order.length = 0;
      // Another tenant's view of the id: not found, and nothing read early for it (what its owner's
      // views remember is the owner's), nor forgotten: the owner's next view still begins early.
      const other = (await admin('POST', '/api/v1/api-keys', { tenant: 'wait-other', scopes: ['read'] })).body.key as string;
      expect((await apiClient(stack.url, other)('GET', `/api/v1/jobs/${id}`)).status).toBe(404);
      expect(order).toEqual(['row+workflow']);
      order.length = 0;
      expect((await view()).queue.position).toBe(position);
      expect(order).toEqual(['rank', 'count', 'row']);
      // Then canceled: the view after the cancel begins its estimate once more (it was last seen
      // queued), shows no estimate, and the views after it read the row alone.
      expect((await admin('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(200);
      order.length = 0;
      expect((await view()).queue).toBeUndefined();
      expect(order).toEqual(['rank', 'count', 'row']);
      order.length = 0;
      expect((await view()).queue).toBeUndefined();
      expect(order).toEqual(['row+workflow']); // asked again (not kept any more); a canceled job's row has none
    } finally {
      rankReads.mockRestore();
      rowReads.mockRestore();
    }
  });
});
