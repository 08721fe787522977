// Batch submit benchmark (issue 12): jobs accepted per second by POST /api/v1/jobs/batch against two
// raw baselines in the same run: the obvious one (node-postgres multi-row INSERT ... VALUES of the
// same jobs and their first events, then one BullMQ addBulk of their entries) and a fast one (one
// jsonb_to_recordset statement, then BullMQ's own add of every entry in one script call). Rounds
// rotate which side goes first, so a drift of the machine's load hits all. Prints rates, the CPU
// per 1000 jobs of the API process, of this run's PostgreSQL backends and of the bench client, and
// the load average; asserts nothing.
//
//   npm run bench:batch                                  # 20 rounds of 2 concurrent batches of 1000
//   npm run bench:batch -- --rounds 10 --size 500 --concurrency 1
//   npm run bench:batch -- --cpu-prof /tmp/prof          # the API's CPU profile, written on exit
//   GANTRY_API_NODE_FLAGS= npm run bench:batch           # the API without apps/api/node-flags (paired runs)
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import gantryDomain from '@gantry/domain'; // TypeScript sources through tsx: CommonJS, so no named imports
import gantryQueue from '@gantry/queue';
import { BenchStack, ROOT } from './lib/stack.mjs';
import { procCpuMs } from './lib/stats.mjs';
import { runMain } from './lib/run-main.ts';

const { addPrioritizedBulk, createRenderQueue, renderEntryId, toBullPriority } = gantryQueue;
const { uuidv7 } = gantryDomain; // the API's own ids (same index order)

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 20);
const SIZE = arg('size', 1000);
const CONCURRENCY = arg('concurrency', 2);
const WARMUP = arg('warmup', 3);
const CPU_PROF = (() => {
  const i = process.argv.indexOf('--cpu-prof');
  return i > 0 ? path.resolve(process.argv[i + 1]) : ''; // a directory: the API runs under `node --cpu-prof`
})();
const log = (...a) => console.log(...a);

const WORKFLOW = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8'));
const SAMPLER = Object.keys(WORKFLOW).find((k) => WORKFLOW[k].class_type === 'KSampler');

let seed = 0;
/** `size` job bodies of a seed sweep, each its own seed (as a client would send them). */
function sweep(size) {
  return Array.from({ length: size }, () => {
    seed += 1;
    return { workflow: { ...WORKFLOW, [SAMPLER]: { ...WORKFLOW[SAMPLER], inputs: { ...WORKFLOW[SAMPLER].inputs, seed } } }, metadata: { seed } };
  });
}


const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main() {
  const stack = new BenchStack({ log });
  let pool;
  let cpuClient;
  let redis;
  let queue;
  const stop = async () => {
    await queue?.close().catch(() => undefined);
    redis?.disconnect();
    await cpuClient?.end().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await stack.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop().then(() => process.exit(130)));
  try {
    await stack.createDatabase();
    // No worker: the jobs stay queued; the tenant's queued cap is lifted for the run.
    await stack.startApi({ GANTRY_TENANT_MAX_QUEUED: '10000000' }, CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []);
    log(`API node flags: ${stack.apiNodeFlags.join(' ') || '(none)'} (apps/api/node-flags; GANTRY_API_NODE_FLAGS overrides)`);
    pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 10, application_name: 'bench-raw' });
    cpuClient = new pg.Client({ connectionString: stack.databaseUrl, application_name: 'bench-cpu' });
    await cpuClient.connect();
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    // The raw side's own queue, under the bench prefix (cleaned up with it).
    queue = createRenderQueue({ connection: redis, prefix: `${stack.prefix}:raw` });
    const { rows: [tenant] } = await pool.query(`INSERT INTO tenants (id, name) VALUES ($1, 'bench-raw') RETURNING id`, [uuidv7()]);

    const api = async () => {
      const body = JSON.stringify({ jobs: sweep(SIZE) });
      const started = performance.now();
      const res = await fetch(`${stack.apiUrl}/api/v1/jobs/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
        body,
      });
      const answer = await res.json();
      if (res.status !== 202 || answer.items?.length !== SIZE) throw new Error(`batch answered ${res.status}: ${JSON.stringify(answer).slice(0, 500)}`);
      return performance.now() - started;
    };

    // Raw: the same rows the route writes (job + its `queued` event), one multi-row INSERT, then
    // one addBulk of the same entries (id, payload, priority). No HTTP, no validation, no hashing.
    const raw = async () => {
      const jobs = sweep(SIZE).map((j) => ({ ...j, id: uuidv7() }));
      const started = performance.now();
      const params = [];
      const values = jobs.map((j) => {
        params.push(j.id, tenant.id, JSON.stringify(j.workflow), JSON.stringify(j.metadata));
        const n = params.length;
        return `($${n - 3}::uuid, $${n - 2}::uuid, 'workflow', $${n - 1}::jsonb, 0, $${n}::jsonb, '{}', 1, now(), now())`;
      });
      await pool.query(
        `WITH j AS (
           INSERT INTO jobs (id, tenant_id, kind, workflow, priority, metadata, webhook_events, last_seq, created_at, updated_at)
           VALUES ${values.join(', ')}
           RETURNING id
         )
         INSERT INTO job_events (job_id, seq, type, payload, created_at)
         SELECT id, 1, 'state', '{"type": "state", "status": "queued", "attempt": 0}'::jsonb, now() FROM j`,
        params,
      );
      await queue.addBulk(jobs.map((j) => ({ name: 'render', data: { jobId: j.id, tenantId: tenant.id }, opts: { jobId: renderEntryId(j.id), priority: toBullPriority(0) } })));
      return performance.now() - started;
    };

    // Raw, fast: the same rows and entries by the means the API now uses: one jsonb_to_recordset
    // statement from one JSON parameter, then BullMQ's own add of every entry in one script call
    // (addPrioritizedBulk, as enqueueRenders). Still no HTTP, validation or hashing.
    const rawFast = async () => {
      const jobs = sweep(SIZE).map((j) => ({ ...j, id: uuidv7() }));
      const started = performance.now();
      await pool.query({
        name: 'bench-raw-fast',
        text: `WITH j AS (
           INSERT INTO jobs (id, tenant_id, kind, workflow, priority, metadata, webhook_events, last_seq, created_at, updated_at)
           SELECT id, $2::uuid, 'workflow', workflow, 0, metadata, '{}', 1, now(), now()
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, workflow jsonb, metadata jsonb)
           RETURNING id
         )
         INSERT INTO job_events (job_id, seq, type, payload, created_at)
         SELECT id, 1, 'state', '{"type": "state", "status": "queued", "attempt": 0}'::jsonb, now() FROM j`,
        values: [JSON.stringify(jobs), tenant.id],
      });
      await addPrioritizedBulk(queue, jobs.map((j) => ({ name: 'render', data: { jobId: j.id, tenantId: tenant.id }, opts: { jobId: renderEntryId(j.id), priority: toBullPriority(0) } })));
      return performance.now() - started;
    };

    // PostgreSQL CPU: the client backends serving this run's database (the API's and the raw
    // sides'), read from /proc (same machine), through a connection of its own that is left out.
    // Autovacuum and the WAL writer are not counted (they trail the inserts, not one side's round).
    const pgCpuMs = async () => {
      const { rows } = await cpuClient.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      return rows.reduce((sum, r) => sum + (procCpuMs(r.pid) || 0), 0);
    };

    /** `CONCURRENCY` batches at once; returns the wall time and each batch's latency. */
    const round = async (side) => {
      const started = performance.now();
      const latencies = await Promise.all(Array.from({ length: CONCURRENCY }, () => side()));
      return { wallMs: performance.now() - started, latencies };
    };

    log(`\nwarm-up: ${WARMUP} rounds each way`);
    for (let i = 0; i < WARMUP; i++) {
      await round(api);
      await round(raw);
      await round(rawFast);
    }
    const sides = { api, raw, rawFast };
    // The API's garbage collections over the measured rounds (bench/lib/child-probe.mjs: pauses by kind).
    await stack.api.ask('loop-reset');
    const load0 = loadavg();
    const results = Object.fromEntries(Object.keys(sides).map((k) => [k, { wallMs: 0, latencies: [], apiCpuMs: 0, pgCpuMs: 0, benchCpuMs: 0 }]));
    const names = Object.keys(sides);
    for (let i = 0; i < ROUNDS; i++) {
      // Rotated each round (A B C, B C A, C A B ...): no side always runs on another's leftovers (autovacuum, Redis memory).
      const order = names.map((_, k) => names[(i + k) % names.length]);
      for (const side of order) {
        const api0 = procCpuMs(stack.api.pid);
        const pg0 = await pgCpuMs();
        const bench0 = process.cpuUsage();
        const r = await round(sides[side]);
        const bench1 = process.cpuUsage(bench0);
        const res = results[side];
        res.benchCpuMs += (bench1.user + bench1.system) / 1000;
        res.pgCpuMs += (await pgCpuMs()) - pg0;
        res.apiCpuMs += procCpuMs(stack.api.pid) - api0;
        res.wallMs += r.wallMs;
        res.latencies.push(...r.latencies);
      }
    }
    const load1 = loadavg();
    const { gc } = await stack.api.ask('loop');
    const jobs = ROUNDS * CONCURRENCY * SIZE;
    const rate = (side) => jobs / (results[side].wallMs / 1000);
    const per1000 = (ms) => (ms / (jobs / 1000)).toFixed(1).padStart(6);
    const line = (name, side) => {
      const r = results[side];
      log(
        `  ${name.padEnd(46)} ${Math.round(rate(side)).toString().padStart(7)} jobs/s   batch p50 ${percentile(r.latencies, 50).toFixed(0).padStart(5)} ms  p95 ${percentile(r.latencies, 95).toFixed(0).padStart(5)} ms   CPU per 1000 jobs: API ${per1000(r.apiCpuMs)}  PostgreSQL ${per1000(r.pgCpuMs)}  bench ${per1000(r.benchCpuMs)} ms`,
      );
    };
    log(`\n${ROUNDS} rounds of ${CONCURRENCY} concurrent batches of ${SIZE} jobs (${jobs} jobs each way), interleaved; ${cpus().length} cores`);
    line('POST /api/v1/jobs/batch', 'api');
    line('raw: pg multi-row INSERT + BullMQ addBulk', 'raw');
    line('raw, fast: jsonb_to_recordset + one-script add', 'rawFast');
    log(`  ratio API/raw: ${(rate('api') / rate('raw')).toFixed(2)}; API/raw-fast: ${(rate('api') / rate('rawFast')).toFixed(2)}`);
    log('  (bench CPU: the client building and sending the batches; for the raw sides it is their whole client-side work. Redis is shared: its CPU is not split by run.)');
    const gcKinds = Object.entries(gc.byKind).map(([kind, k]) => `${kind} ${k.count} (${k.totalMs.toFixed(0)} ms)`).join(', ');
    log(`  the API's GC pauses over the measured rounds (all sides): ${gc.count}, ${gc.totalMs.toFixed(0)} ms: ${gcKinds || 'none'}`);
    log(`  load average (1/5/15 min): before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}`);
    const figures = (side) => ({ jobsPerS: Math.round(rate(side)), cpuMsPer1000: { api: +per1000(results[side].apiCpuMs), pg: +per1000(results[side].pgCpuMs), bench: +per1000(results[side].benchCpuMs) } });
    log(
      `BENCH_BATCH_JSON ${JSON.stringify({ rounds: ROUNDS, size: SIZE, concurrency: CONCURRENCY, apiJobsPerS: Math.round(rate('api')), rawJobsPerS: Math.round(rate('raw')), rawFastJobsPerS: Math.round(rate('rawFast')), ratio: +(rate('api') / rate('raw')).toFixed(3), apiCpuMsPer1000: +per1000(results.api.apiCpuMs), apiNodeFlags: stack.apiNodeFlags, apiGc: { count: gc.count, totalMs: gc.totalMs, byKind: gc.byKind }, sides: Object.fromEntries(names.map((n) => [n, figures(n)])), load: [load0, load1] })}`,
    );
  } finally {
    await stop();
  }
}

runMain(main);
