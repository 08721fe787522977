import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { countEntries, countHandlesByType, countOpenFds, HANDLES_TTL_MS, registerProcessHandleMetrics } from './process-handles';
import { createMetricsRegistry } from './registry';

describe('process metrics that grow with open connections', () => {
  it('counts a directory in batches, every entry once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-entries-'));
    try {
      for (let i = 0; i < 1500; i++) writeFileSync(path.join(dir, `f${i}`), ''); // three batches and a part
      expect(await countEntries(dir)).toBe(1500);
      expect(await countEntries(path.join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  (process.platform === 'linux' ? it : it.skip)('counts the open file descriptors as the fd directory lists them', async () => {
    const before = await countOpenFds();
    const fds = Array.from({ length: 100 }, () => openSync(__filename, 'r'));
    try {
      const during = await countOpenFds();
      const listed = readdirSync('/proc/self/fd').length - 1; // the listing's own descriptor
      expect(during! - before!).toBeGreaterThanOrEqual(100);
      expect(Math.abs(during! - listed)).toBeLessThanOrEqual(2); // jest's own pipes may come and go
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  });

  it('groups handles by class name, skipping what has none', () => {
    class TCP {}
    class Timer {}
    expect(countHandlesByType([new TCP(), new TCP(), new Timer(), null, Object.create(null)])).toEqual(
      new Map([
        ['TCP', 2],
        ['Timer', 1],
      ]),
    );
  });

  it('lists handles at most once per period, and sees new ones after it', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    registerProcessHandleMetrics(registry, 'test_', () => now);
    const servers = (await registry.getSingleMetricAsString('test_nodejs_active_handles')).match(/type="Server"\} (\d+)/);
    const baseline = Number(servers?.[1] ?? 0);
    const opened: Server[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const server = createServer();
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        opened.push(server);
      }
      const serversOf = async () => Number((await registry.getSingleMetricAsString('test_nodejs_active_handles')).match(/type="Server"\} (\d+)/)?.[1] ?? 0);
      now += HANDLES_TTL_MS - 1;
      expect(await serversOf()).toBe(baseline); // the kept listing
      now += 1;
      expect(await serversOf()).toBe(baseline + 3);
      expect(await registry.getSingleMetricAsString('test_process_open_fds')).toMatch(/test_process_open_fds \d+/);
    } finally {
      await Promise.all(opened.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it("replaces prom-client's walking collectors in the app registry and leaves out active resources", async () => {
    const text = await createMetricsRegistry('api').metrics();
    expect(text).toMatch(/gantry_process_open_fds\{service="api"\} \d+/);
    expect(text).toMatch(/gantry_nodejs_active_handles\{type="[A-Za-z]+",service="api"\} \d+/);
    expect(text).not.toMatch(/gantry_nodejs_active_resources/);
  });
});
