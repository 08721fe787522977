// Batch submit benchmark (issue 12): jobs accepted per second by POST /api/v1/jobs/batch against a
// raw baseline in the same run: node-postgres multi-row INSERT of the same jobs and their first
// events (one statement), then one BullMQ addBulk of their entries. Rounds alternate which side
// goes first (A B B A ...), so a drift of the machine's load hits both. Prints figures and the load
// average; asserts nothing.
//
//   npm run bench:batch                                  # 20 rounds of 2 concurrent batches of 1000
//   npm run bench:batch -- --rounds 10 --size 500 --concurrency 1
//   npm run bench:batch -- --cpu-prof /tmp/prof          # the API's CPU profile, written on exit
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

const { createRenderQueue, renderEntryId, toBullPriority } = gantryQueue;
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
  let redis;
  let queue;
  const stop = async () => {
    await queue?.close().catch(() => undefined);
    redis?.disconnect();
    await pool?.end().catch(() => undefined);
    await stack.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop().then(() => process.exit(130)));
  try {
    await stack.createDatabase();
    // No worker: the jobs stay queued; the tenant's queued cap is lifted for the run.
    await stack.startApi({ GANTRY_TENANT_MAX_QUEUED: '10000000' }, CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []);
    pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 10 });
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
    }
    const load0 = loadavg();
    const apiCpu0 = procCpuMs(stack.api.pid);
    const results = { api: { wallMs: 0, latencies: [] }, raw: { wallMs: 0, latencies: [] } };
    for (let i = 0; i < ROUNDS; i++) {
      // A B, B A, A B ...: neither side always runs on the other's leftovers (autovacuum, Redis memory).
      const order = i % 2 === 0 ? ['api', 'raw'] : ['raw', 'api'];
      for (const side of order) {
        const r = await round(side === 'api' ? api : raw);
        results[side].wallMs += r.wallMs;
        results[side].latencies.push(...r.latencies);
      }
    }
    const apiCpuMs = procCpuMs(stack.api.pid) - apiCpu0;
    const load1 = loadavg();
    const jobs = ROUNDS * CONCURRENCY * SIZE;
    const rate = (side) => jobs / (results[side].wallMs / 1000);
    const line = (name, side) =>
      log(
        `  ${name.padEnd(44)} ${Math.round(rate(side)).toString().padStart(7)} jobs/s   batch p50 ${percentile(results[side].latencies, 50).toFixed(0).padStart(5)} ms  p95 ${percentile(results[side].latencies, 95).toFixed(0).padStart(5)} ms`,
      );
    log(`\n${ROUNDS} rounds of ${CONCURRENCY} concurrent batches of ${SIZE} jobs (${jobs} jobs each way), interleaved; ${cpus().length} cores`);
    line('POST /api/v1/jobs/batch', 'api');
    line('raw: pg multi-row INSERT + BullMQ addBulk', 'raw');
    log(`  ratio API/raw: ${(rate('api') / rate('raw')).toFixed(2)} of the raw rate (${(results.api.wallMs / results.raw.wallMs).toFixed(2)}x the time)`);
    log(`  API process CPU: ${(apiCpuMs / (jobs / 1000)).toFixed(1)} ms per 1000 jobs`);
    log(`  load average (1/5/15 min): before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}`);
    log(`BENCH_BATCH_JSON ${JSON.stringify({ rounds: ROUNDS, size: SIZE, concurrency: CONCURRENCY, apiJobsPerS: Math.round(rate('api')), rawJobsPerS: Math.round(rate('raw')), ratio: +(rate('api') / rate('raw')).toFixed(3), apiCpuMsPer1000: +(apiCpuMs / (jobs / 1000)).toFixed(1), load: [load0, load1] })}`);
  } finally {
    await stop();
  }
}

runMain(main);
