// Single submit benchmark (issue 12): POST /api/v1/jobs of one API process against a raw node:http
// server doing the same durable work in the same run (bench/lib/raw-submit-server.mjs: one
// PostgreSQL statement inserting the job and its `queued` event, then the BullMQ add of its entry).
// Both sides are driven over HTTP by the same client at the same concurrency, in interleaved
// rounds that alternate which side goes first. Prints req/s, p50/p99 latency, the ratio, the CPU
// time of each server process per submit (/proc/<pid>/stat) and the load average, per variant:
//   base   2 backends, the tenant's queue empty at the start of the variant
//   deep   2 backends, ~100k jobs queued for the submitting tenant (rows and queue entries)
//   fleet  20 backends × 600 node types, queue empty
// Asserts nothing.
//
//   npm run bench:submit
//   npm run bench:submit -- --rounds 4 --requests 200 --variants base,deep --concurrency 16,64
//   npm run bench:submit -- --variants base --cpu-prof /tmp/prof   # the API's CPU profile, written on exit
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import gantryQueue from '@gantry/queue'; // TypeScript source through tsx: CommonJS, so no named imports
import { BenchStack, ROOT } from './lib/stack.mjs';
import { procCpuMs } from './lib/stats.mjs';
import { runMain } from './lib/run-main.ts';

const { announceFleetChange, createRenderQueue, renderEntryId, TenantJobCounts, toBullPriority } = gantryQueue;

const argOf = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(argOf('rounds', 6));
const REQUESTS = Number(argOf('requests', 240));
const WARMUP = Number(argOf('warmup', 1));
const DEPTH = Number(argOf('depth', 100_000));
const CONCURRENCIES = argOf('concurrency', '16,64').split(',').map(Number);
const VARIANTS = argOf('variants', 'base,deep,fleet').split(',');
const CPU_PROF = argOf('cpu-prof', ''); // a directory: the API runs under `node --cpu-prof` and writes its profile there on exit
const log = (...a) => console.log(...a);

const WORKFLOW = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8'));
const SAMPLER = Object.keys(WORKFLOW).find((k) => WORKFLOW[k].class_type === 'KSampler');
const CLASS_TYPES = [...new Set(Object.values(WORKFLOW).map((n) => n.class_type))];

let seed = 0;
/** One job body, its own seed (as a client sweeping seeds would send). */
function body() {
  seed += 1;
  return JSON.stringify({ workflow: { ...WORKFLOW, [SAMPLER]: { ...WORKFLOW[SAMPLER], inputs: { ...WORKFLOW[SAMPLER].inputs, seed } } }, metadata: { seed } });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** POSTs `payload` on a keep-alive agent; resolves with the status. */
function post(agent, url, headers, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 202 ? resolve(res.statusCode) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** `n` requests at `concurrency`; wall time, latencies and the server process's CPU time over them. */
async function round(side, n, concurrency) {
  let next = 0;
  const latencies = [];
  const cpu0 = procCpuMs(side.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        const t = performance.now();
        await post(side.agent, side.url, side.headers, body());
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { wallMs: performance.now() - started, latencies, cpuMs: procCpuMs(side.pid) - cpu0 };
}

async function main() {
  const stack = new BenchStack({ log });
  let pool;
  let redis;
  let rawChild;
  const stop = async () => {
    redis?.disconnect();
    await pool?.end().catch(() => undefined);
    await stack.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop().then(() => process.exit(130)));
  try {
    await stack.createDatabase();
    // No worker: the jobs stay queued; the tenant's queued cap is lifted for the run.
    await stack.startApi({ GANTRY_TENANT_MAX_QUEUED: '10000000' }, CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []);
    pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const apiQueue = createRenderQueue({ connection: redis, prefix: stack.prefix });
    const rawQueue = createRenderQueue({ connection: redis, prefix: `${stack.prefix}:raw` });

    const keyRes = await fetch(`${stack.apiUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'bench-submit', scopes: ['submit', 'read'] }),
    });
    if (keyRes.status !== 201) throw new Error(`api key: HTTP ${keyRes.status}`);
    const tenantKey = (await keyRes.json()).key;
    const { rows: [apiTenant] } = await pool.query(`SELECT id FROM tenants WHERE name = 'bench-submit'`);
    const { rows: [rawTenant] } = await pool.query(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'bench-raw') RETURNING id`);

    rawChild = stack.launch('raw-submit', 'bench/lib/raw-submit-server.mjs', { ...stack.common(), RAW_TENANT_ID: rawTenant.id });
    const rawPort = await stack.nextMessage(rawChild, 'benchRawSubmitPort', 60_000);
    const sides = {
      api: { pid: stack.api.pid, url: `${stack.apiUrl}/api/v1/jobs`, headers: { authorization: `Bearer ${tenantKey}` } },
      raw: { pid: rawChild.pid, url: `http://127.0.0.1:${rawPort}/`, headers: {} },
    };

    /** The fleet the API's eligibility check sees: `count` backends offering `nodeTypes` node types (the workflow's among them). */
    const setFleet = async (count, nodeTypes) => {
      await pool.query('DELETE FROM backends');
      const types = [...CLASS_TYPES, ...Array.from({ length: Math.max(0, nodeTypes - CLASS_TYPES.length) }, (_, i) => `BenchNode${i}`)];
      for (let i = 0; i < count; i++) {
        const info = { nodeTypes: types, vramTotalMb: 24_576 };
        await pool.query(`INSERT INTO backends (id, kind, url, capacity, tags, info, created_at, updated_at) VALUES ($1, 'comfyui', $2, 1, '{}', $3, now(), now())`, [
          `bench-gpu-${i}`,
          `http://127.0.0.1:1/${i}`,
          JSON.stringify(info),
        ]);
      }
      // As the API's backend routes and the workers' probes do after a write: submits read the fleet again.
      await announceFleetChange(redis, stack.prefix);
    };

    /** Empties both sides' tables and queues, then queues `depth` jobs for each side's tenant. */
    const setDepth = async (depth) => {
      await pool.query('TRUNCATE jobs CASCADE');
      await apiQueue.obliterate({ force: true });
      await rawQueue.obliterate({ force: true });
      // The counts kept in Redis no longer match: forget them (the next submit counts in PostgreSQL once).
      await new TenantJobCounts(redis, stack.prefix).clear();
      if (depth === 0) return;
      const workflow = JSON.stringify(WORKFLOW);
      for (const [tenant, queue] of [[apiTenant.id, apiQueue], [rawTenant.id, rawQueue]]) {
        const { rows } = await pool.query(
          `INSERT INTO jobs (id, tenant_id, kind, workflow, priority, webhook_events, last_seq, created_at, updated_at)
           SELECT gen_random_uuid(), $1::uuid, 'workflow', $2::jsonb, 0, '{}', 1, now(), now() FROM generate_series(1, $3::int)
           RETURNING id::text`,
          [tenant, workflow, depth],
        );
        for (let i = 0; i < rows.length; i += 5000) {
          await queue.addBulk(rows.slice(i, i + 5000).map((r, k) => ({ name: 'render', data: { jobId: r.id, tenantId: tenant }, opts: { jobId: renderEntryId(r.id), priority: toBullPriority(0, i + k) } })));
        }
      }
      await pool.query('VACUUM ANALYZE jobs');
    };

    const summary = [];
    for (const variant of VARIANTS) {
      await setFleet(variant === 'fleet' ? 20 : 2, variant === 'fleet' ? 600 : 12);
      log(`\n== ${variant}: ${variant === 'fleet' ? '20 backends × 600 node types' : '2 backends'}, ${variant === 'deep' ? `${DEPTH} jobs queued` : 'queue empty'} at the start`);
      await setDepth(variant === 'deep' ? DEPTH : 0);
      for (const concurrency of CONCURRENCIES) {
        for (const side of Object.values(sides)) side.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
        for (let i = 0; i < WARMUP; i++) {
          await round(sides.api, REQUESTS, concurrency);
          await round(sides.raw, REQUESTS, concurrency);
        }
        const load0 = loadavg();
        const results = { api: { wallMs: 0, cpuMs: 0, latencies: [] }, raw: { wallMs: 0, cpuMs: 0, latencies: [] } };
        for (let i = 0; i < ROUNDS; i++) {
          for (const name of i % 2 === 0 ? ['api', 'raw'] : ['raw', 'api']) {
            const r = await round(sides[name], REQUESTS, concurrency);
            results[name].wallMs += r.wallMs;
            results[name].cpuMs += r.cpuMs;
            results[name].latencies.push(...r.latencies);
          }
        }
        const load1 = loadavg();
        const n = ROUNDS * REQUESTS;
        const figures = Object.fromEntries(
          Object.entries(results).map(([name, r]) => [name, { rps: n / (r.wallMs / 1000), p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), cpuMs: r.cpuMs / n }]),
        );
        log(`  concurrency ${concurrency}: ${ROUNDS} rounds × ${REQUESTS} submits each way, interleaved; ${cpus().length} cores`);
        for (const [name, label] of [['api', 'POST /api/v1/jobs'], ['raw', 'raw: node:http + 1 INSERT + BullMQ add']]) {
          const f = figures[name];
          log(`    ${label.padEnd(40)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  CPU ${f.cpuMs.toFixed(2)} ms/submit`);
        }
        const ratio = figures.api.rps / figures.raw.rps;
        log(`    ratio API/raw ${ratio.toFixed(2)}; load average (1/5/15 min) before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}`);
        summary.push({ variant, concurrency, apiRps: Math.round(figures.api.rps), rawRps: Math.round(figures.raw.rps), ratio: +ratio.toFixed(3), apiCpuMs: +figures.api.cpuMs.toFixed(2), rawCpuMs: +figures.raw.cpuMs.toFixed(2), apiP50: +figures.api.p50.toFixed(1), apiP99: +figures.api.p99.toFixed(1), load: [+load0[0].toFixed(2), +load1[0].toFixed(2)] });
        for (const side of Object.values(sides)) side.agent.destroy();
      }
    }
    await apiQueue.close();
    await rawQueue.close();
    log(`\nBENCH_SUBMIT_JSON ${JSON.stringify({ rounds: ROUNDS, requests: REQUESTS, depth: DEPTH, results: summary })}`);
  } finally {
    await stop();
  }
}

runMain(main);
