/**
 * What one Prometheus scrape of a process's registry holds its event loop for when the process has
 * thousands of open sockets (an API serving 5000 WebSocket subscribers has ~10,000 fds): Gantry's
 * registry (createMetricsRegistry) with its handle listing due at every scrape and with it kept
 * (a scrape within 30 s of the last listing), against the registry as it was before
 * process-handles.ts (prom-client's defaults less the `_total` gauges), in the same process,
 * interleaved (bench/README.md, "Metrics scrape").
 *
 *   npm run bench:scrape                          5000 loopback connections (10,000 fds), 40 scrapes per way
 *   npm run bench:scrape -- --sockets 2500 --scrapes 100
 *
 * The loop hold is the longest gap between 1 ms timer turns while a scrape runs (wall clock: on a
 * busy machine it includes preemption, so read the medians side by side). Figures, not assertions.
 */
import net from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { collectDefaultMetrics, createMetricsRegistry, EVENT_LOOP_PRECISION_MS, HANDLES_TTL_MS, MISNAMED_DEFAULTS, Registry } from '@gantry/metrics';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({ options: { sockets: { type: 'string', default: '5000' }, scrapes: { type: 'string', default: '40' } } });
const SOCKETS = Number(values.sockets);
const SCRAPES = Number(values.scrapes);

/** The longest gap between 1 ms timer turns while `scrape` runs, and its wall time (ms). */
async function measure(scrape: () => Promise<unknown>): Promise<{ hold: number; wall: number }> {
  let last = performance.now();
  let hold = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    hold = Math.max(hold, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  hold = 0;
  const start = performance.now();
  await scrape();
  const wall = performance.now() - start;
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(timer);
  return { hold: Math.max(hold, performance.now() - last), wall };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const server = net.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const clients: net.Socket[] = [];
  let accepted = 0;
  server.on('connection', () => (accepted += 1));
  const deadline = Date.now() + 60_000;
  // In batches the listen backlog can hold, each accepted before the next (no SYN retries).
  for (let i = 0; i < SOCKETS; i++) {
    clients.push(net.connect(port, '127.0.0.1'));
    if (i % 200 === 199 || i === SOCKETS - 1) {
      while (accepted < i + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    }
  }

  const before = new Registry();
  collectDefaultMetrics({ register: before, prefix: 'gantry_', eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  for (const name of MISNAMED_DEFAULTS) before.removeSingleMetric(name);
  // A clock a listing period ahead at every scrape: the handles are listed each time.
  let later = Date.now();
  const due = createMetricsRegistry('api', { now: () => (later += HANDLES_TTL_MS) });
  const kept = createMetricsRegistry('api');
  const ways = { 'before (prom-client defaults less _total)': before, 'Gantry, handle listing due': due, 'Gantry, listing kept (< 30 s)': kept } as const;
  const results = new Map<string, { hold: number; wall: number }[]>();
  for (const registry of Object.values(ways)) await registry.metrics(); // warm
  const load = loadavg()[0]!.toFixed(1);
  for (let i = 0; i < SCRAPES; i++) {
    const order = i % 2 === 0 ? Object.entries(ways) : Object.entries(ways).reverse();
    for (const [name, registry] of order) {
      const list = results.get(name) ?? [];
      list.push(await measure(() => registry.metrics()));
      results.set(name, list);
    }
  }
  console.log(`\n${SOCKETS} connections (${accepted} accepted, both ends in this process), ${SCRAPES} scrapes per way, load ${load} → ${loadavg()[0]!.toFixed(1)}\n`);
  console.log('| registry | loop hold p50 / p90 / max | wall p50 |');
  console.log('|---|---|---|');
  for (const [name, list] of results) {
    const holds = list.map((r) => r.hold);
    const walls = list.map((r) => r.wall);
    console.log(`| ${name} | ${pct(holds, 50).toFixed(1)} / ${pct(holds, 90).toFixed(1)} / ${Math.max(...holds).toFixed(1)} ms | ${pct(walls, 50).toFixed(1)} ms |`);
  }
  for (const socket of clients) socket.destroy();
  server.close();
}

runMain(main);
