import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ManualClock } from '@gantry/domain';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { BackendHealth } from './backend-health';
import type { BackendInfo } from './backend-info';
import { SlotLeases } from '../slot-leases';
import { acceptingKey, healthKey, probeLockKey } from './health-keys';
import { HealthMonitor } from './health-monitor';

const MIB = 1024 * 1024;

/** A tiny ComfyUI stand-in whose answers a test can switch. */
async function fakeComfy() {
  const state = { up: true, version: '0.3.64', nodes: ['KSampler', 'SaveImage'], hits: [] as string[], delayMs: 0 };
  const server: Server = createServer((req, res) => {
    state.hits.push(req.url ?? '');
    if (!state.up) {
      res.writeHead(503).end();
      return;
    }
    const body =
      req.url === '/system_stats'
        ? { system: { comfyui_version: state.version }, devices: [{ name: 'cuda:0 fake', vram_total: 8192 * MIB, vram_free: 4096 * MIB }] }
        : Object.fromEntries(state.nodes.map((n) => [n, {}]));
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)), state.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('health monitor and shared health (real Redis)', () => {
  const scope = redisTestPrefix();
  /**
   * The per-interval probe lock is a Redis key with a real TTL (it spans workers): wait until it
   * is gone rather than sleeping for the interval. Breaker and monitor time is a ManualClock.
   */
  const probeLockGone = (id: string) => waitUntil(async () => ((await scope.redis.exists(probeLockKey(scope.prefix, id))) === 0 ? true : undefined), 10_000, 2);

  /**
   * A job that succeeded on `backendId`: a slot taken there and released with the forgiving the
   * worker passes for a success (WorkerFleet.release(lease, true)), so the release script's own
   * FORGIVE_STRIKES_LUA is what these tests pin.
   */
  async function succeedOn(health: BackendHealth, backendId: string, redis = scope.redis): Promise<void> {
    const leases = new SlotLeases(redis, { prefix: scope.prefix });
    const { lease } = await leases.acquire({ tenantId: 't', candidates: [{ id: backendId, capacity: 1 }] });
    await leases.release(lease!, { healthKey: healthKey(scope.prefix, backendId), ttlMs: health.store.ttlMs });
  }

  it('counts concurrent strikes from many clients exactly (compare-and-set)', async () => {
    const clients = Array.from({ length: 4 }, () => new Redis(TEST_REDIS_URL));
    try {
      const healths = clients.map((c) => new BackendHealth(c, { prefix: scope.prefix, breaker: { failureThreshold: 1000 } }));
      await Promise.all(Array.from({ length: 40 }, (_, i) => healths[i % 4]!.recordStrike('gpu')));
      expect((await healths[0]!.store.read('gpu')).snapshot!.strikes).toBe(40);
      await succeedOn(healths[1]!, 'gpu', clients[1]!);
      expect((await healths[0]!.store.read('gpu')).snapshot!.strikes).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it("a job success's release forgives strikes without reading the snapshot, and writes nothing when there are none", async () => {
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    const reads = jest.spyOn(scope.redis, 'hgetall');
    try {
      // Nothing stored, or only the drain mirror: nothing is created.
      await succeedOn(health, 'none');
      expect(await scope.redis.exists(`${scope.prefix}:backend:none`)).toBe(0);
      await health.store.setDraining('drained', true);
      await succeedOn(health, 'drained');
      expect(await scope.redis.hgetall(`${scope.prefix}:backend:drained`)).toEqual({ draining: '1' });

      await health.recordStrike('gpu');
      const struck = await health.store.read('gpu');
      await scope.redis.pexpire(healthKey(scope.prefix, 'gpu'), 1_000);
      reads.mockClear();
      await succeedOn(health, 'gpu');
      expect(reads).not.toHaveBeenCalled(); // the script decides inside Redis
      const forgiven = await health.store.read('gpu');
      expect(forgiven.snapshot).toEqual({ ...struck.snapshot, strikes: 0 });
      expect(Number(forgiven.rev)).toBe(Number(struck.rev) + 1); // a compare-and-set that read before sees the write
      expect(await scope.redis.pttl(healthKey(scope.prefix, 'gpu'))).toBeGreaterThan(1_000); // the write renews the hash's TTL

      await succeedOn(health, 'gpu'); // no strikes: no write
      expect((await health.store.read('gpu')).rev).toBe(forgiven.rev);

      // An open breaker keeps its phase; only the strikes go.
      await health.recordStrike('gpu');
      await health.recordStrike('gpu');
      expect((await health.store.read('gpu')).snapshot).toMatchObject({ phase: 'open', strikes: 2 });
      await succeedOn(health, 'gpu');
      expect((await health.store.read('gpu')).snapshot).toMatchObject({ phase: 'open', strikes: 0 });
    } finally {
      reads.mockRestore();
    }
  });

  it('opens after N strikes, mirrors drains without touching health, forgets', async () => {
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    await health.recordStrike('gpu');
    expect((await health.views([{ id: 'gpu' }])).get('gpu')).toMatchObject({ state: 'unknown', dispatchable: true });
    await health.recordStrike('gpu');
    expect((await health.views([{ id: 'gpu' }])).get('gpu')).toMatchObject({ state: 'open', breaker: 'open', dispatchable: false });
    await health.store.setDraining('gpu', true);
    expect((await health.store.read('gpu')).snapshot!.phase).toBe('open');
    expect((await health.store.read('gpu')).draining).toBe(true);
    await health.store.forget('gpu');
    expect((await health.views([{ id: 'gpu' }, { id: 'other', draining: true }])).get('other')).toMatchObject({ state: 'draining', dispatchable: false });
    expect((await health.store.read('gpu')).snapshot).toBeNull();
  });

  it('goes unhealthy, opens after N failed probes, and closes after the half-open probe succeeds', async () => {
    const sim = await fakeComfy();
    const persisted: BackendInfo[] = [];
    const clock = new ManualClock();
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, breaker: { failureThreshold: 3, cooldownMs: 300 }, clock });
    const monitor = new HealthMonitor({
      health,
      backends: () => [{ id: 'gpu', kind: 'comfyui', url: sim.url }],
      intervalMs: 10,
      probeTimeoutMs: 500,
      nodeTypesRefreshMs: 60_000,
      persistInfo: async (_id, info) => void persisted.push(info),
    });
    const probe = async () => {
      await probeLockGone('gpu'); // past the probe lock (0.8 × interval)
      return monitor.probeOne({ id: 'gpu', kind: 'comfyui', url: sim.url });
    };
    try {
      const first = await probe();
      expect(first).toMatchObject({ up: true, version: '0.3.64', vramTotalMb: 8192, vramFreeMb: 4096, nodeTypeCount: 2 });
      expect(persisted).toEqual([expect.objectContaining({ kind: 'comfyui', version: '0.3.64', vramTotalMb: 8192, nodeTypes: ['KSampler', 'SaveImage'] })]);
      await probe();
      expect(sim.state.hits.filter((h) => h === '/object_info')).toHaveLength(1); // cached
      expect(persisted).toHaveLength(1);

      sim.state.up = false;
      await probe();
      await probe();
      expect((await health.views([{ id: 'gpu' }])).get('gpu')).toMatchObject({ state: 'unhealthy', breaker: 'closed' });
      await probe();
      const open = (await health.views([{ id: 'gpu' }])).get('gpu')!;
      expect(open).toMatchObject({ state: 'open', breaker: 'open' });
      expect(open.snapshot).toMatchObject({ probeFailures: 3, lastError: 'GET /system_stats answered 503' });
      const hits = sim.state.hits.length;
      expect(await probe()).toBeNull(); // cooling down: not probed
      expect(sim.state.hits.length).toBe(hits);

      sim.state.up = true;
      sim.state.version = '0.4.0'; // a new version refetches node types and persists the change
      sim.state.nodes = ['KSampler', 'SaveImage', 'IPAdapter'];
      clock.advance(320); // past the cooldown
      const after = await probe();
      expect(after).toMatchObject({ phase: 'closed', up: true, probeFailures: 0, version: '0.4.0', nodeTypeCount: 3 });
      expect((await health.views([{ id: 'gpu' }])).get('gpu')).toMatchObject({ state: 'healthy', dispatchable: true });
      expect(persisted.map((p) => p.version)).toEqual(['0.3.64', '0.4.0']);
    } finally {
      await monitor.stop();
      await sim.close();
    }
  });

  it('refetches and persists the inventory when a refresh is requested, however recent it is', async () => {
    const sim = await fakeComfy();
    const persisted: BackendInfo[] = [];
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix });
    const monitor = new HealthMonitor({ health, backends: () => [], intervalMs: 10, nodeTypesRefreshMs: 60_000, persistInfo: async (_id, info) => void persisted.push(info) });
    const target = { id: 'inv', kind: 'comfyui' as const, url: sim.url };
    const probe = async () => {
      await probeLockGone('inv'); // past the probe lock (0.8 × interval)
      return monitor.probeOne(target);
    };
    try {
      await probe();
      await probe();
      const objectInfo = () => sim.state.hits.filter((h) => h === '/object_info').length;
      expect(objectInfo()).toBe(1); // cached
      await health.requestInventoryRefresh('inv');
      await probe();
      expect(objectInfo()).toBe(2);
      // Unchanged, but written again: PostgreSQL may hold an inventory this worker never wrote.
      expect(persisted).toHaveLength(2);
      expect(persisted[1]).toMatchObject({ nodeTypes: ['KSampler', 'SaveImage'], models: {} });
      await probe();
      expect(objectInfo()).toBe(2);
      await health.requestInventoryRefresh('never-probed'); // nothing known: nothing to do
      expect((await health.store.read('never-probed')).snapshot).toBeNull();
    } finally {
      await sim.close();
    }
  });

  it('does not count a probe that timed out while a prompt was being handed to the backend; counts one after', async () => {
    const sim = await fakeComfy();
    const clock = new ManualClock();
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, breaker: { failureThreshold: 1, cooldownMs: 60_000 }, clock });
    const monitor = new HealthMonitor({ health, backends: () => [], intervalMs: 5, probeTimeoutMs: 100, nodeTypesRefreshMs: 60_000 });
    const target = { id: 'busy-gpu', kind: 'comfyui' as const, url: sim.url };
    try {
      expect(await monitor.probeOne(target)).toMatchObject({ up: true, phase: 'closed' });
      sim.state.delayMs = 400; // the backend is busy validating: it answers nothing in time
      let release!: () => void;
      const accepting = health.whileAccepting('busy-gpu', () => new Promise<void>((r) => (release = r)));
      // The submission is on record, and the first probe's lock is gone.
      await waitUntil(async () => ((await scope.redis.exists(acceptingKey(scope.prefix, 'busy-gpu'))) === 1 ? true : undefined), 10_000, 2);
      await probeLockGone('busy-gpu');
      const during = await monitor.probeOne(target);
      expect(during).toMatchObject({ up: true, phase: 'closed', probeFailures: 0 });
      release();
      await accepting;
      // The submission ended before this probe started: its timeout counts (threshold 1: open).
      clock.advance(10);
      await probeLockGone('busy-gpu');
      expect(await monitor.probeOne(target)).toMatchObject({ up: false, phase: 'open', probeFailures: 1, lastError: 'GET /system_stats failed: timed out' });
    } finally {
      await sim.close();
    }
  });

  it('a failed half-open probe opens the breaker again', async () => {
    const sim = await fakeComfy();
    sim.state.up = false;
    const clock = new ManualClock();
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, breaker: { failureThreshold: 1, cooldownMs: 100 }, clock });
    const monitor = new HealthMonitor({ health, backends: () => [], intervalMs: 5 });
    try {
      const target = { id: 'gpu', kind: 'comfyui' as const, url: sim.url };
      const opened = (await monitor.probeOne(target))!;
      expect(opened.phase).toBe('open');
      clock.advance(120); // past the cooldown
      await probeLockGone('gpu');
      const again = (await monitor.probeOne(target))!;
      expect(again.phase).toBe('open');
      expect(again.openUntil!).toBeGreaterThan(opened.openUntil!);
    } finally {
      await sim.close();
    }
  });

  it('several monitors probe a backend about once per interval, and keep running on their own', async () => {
    const sim = await fakeComfy();
    const clock = new ManualClock();
    const health = new BackendHealth(scope.redis, { prefix: scope.prefix, clock });
    const monitors = [1, 2, 3].map(
      (i) => new HealthMonitor({ health, owner: `w${i}`, backends: () => [{ id: 'gpu', kind: 'comfyui', url: sim.url }], intervalMs: 100 }),
    );
    try {
      monitors.forEach((m) => m.start());
      // ~5 rounds: each fires the three monitors' timers, then waits until every monitor has
      // finished its round (it has scheduled the next) and the round's probe lock is gone.
      for (let round = 0; round < 5; round++) {
        clock.advance(round === 0 ? 0 : 100);
        await waitUntil(async () => (clock.pending === monitors.length ? true : undefined), 10_000, 2);
        await probeLockGone('gpu');
      }
      const probes = sim.state.hits.filter((h) => h === '/system_stats').length;
      expect(probes).toBeGreaterThanOrEqual(3);
      expect(probes).toBeLessThanOrEqual(8); // 3 monitors × ~5 rounds would be 15 without the lock
      expect((await health.store.read('gpu')).snapshot!.up).toBe(true);
    } finally {
      await Promise.all(monitors.map((m) => m.stop()));
      await sim.close();
    }
  });
});
