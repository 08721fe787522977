/**
 * Dispatch benchmark: how fast Gantry gets a submitted job to its backend's `POST /prompt`, and
 * what that costs in CPU, against a bare BullMQ skeleton doing the same durable steps by hand.
 *
 *   npm run bench:dispatch                         rates 5 and 20 jobs/s, 10 s each, 2 rounds
 *   npm run bench:dispatch -- --rates 5,20,40 --seconds 15 --rounds 3
 *
 * One gpu-sim process (fast GPUs: 1 step of 1 ms) behind a recording pass-through per GPU
 * (bench/lib/prompt-recorder.ts: notes when each POST /prompt arrives, keyed by the job's
 * SaveImage marker). Three ways, each its own processes, database and Redis prefix:
 *   gantry:   one API and one worker process; the bench POSTs /api/v1/jobs (t0 before the request);
 *   skeleton: bench/lib/dispatch-skeleton.ts mode `prompt`, one process: INSERT + Queue.add, then a
 *             BullMQ Worker that SELECTs the row, UPDATEs its status and POSTs /prompt, and stops
 *             (t0 before the IPC message that asks for the insert);
 *   full:     the same file, mode `full`: the job in over node:http (t0 before the request), then
 *             the same steps, and then the rest of the job's real work: follow the prompt on the
 *             ComfyUI WebSocket to its end, GET /view the output, store it content-addressed in a
 *             local directory (as Gantry's local store), record the success and artifact row.
 * Segments are interleaved (each round: every rate, all three ways, the order of the ways alternating),
 * open-loop at a fixed rate. Per segment: t0 → POST /prompt p50/p99; CPU per job of the way's
 * processes (/proc; for Gantry the API and the worker, and for the full skeleton its process, both
 * including following the prompt to its end, storing the output and recording the success, which
 * the `prompt` skeleton does not do); PostgreSQL
 * transactions per job (pg_stat_database.xact_commit of the way's database, background loops
 * included); write system calls per job (/proc/PID/io `syscw`: every socket write to Redis,
 * PostgreSQL and the backend, every log line); achieved rate. After the rounds, one segment per
 * way at 5 jobs/s under Redis `MONITOR` counts each process's Redis commands per job by name
 * (`--count-jobs`). Prints a table with ratios and the load average, and one JSON line.
 * Figures, not assertions.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, deleteKeys } from '@gantry/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPromptRecorder, type PromptRecorder } from './lib/prompt-recorder.js';
import { createBenchDatabase, dropBenchDatabase } from './lib/sched-db.js';
import { percentile, round } from './lib/sched-metrics.js';
import { apiNodeFlags } from '../scripts/api-node-flags.mjs';
import { syscalls } from './lib/proc-io.js';
import { perJobText, RedisCommandCount } from './lib/redis-command-count.js';
import { cpuMs, freePort, ROOT, spawnTs, type SchedProc } from './lib/sched-procs.js';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '5,20' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    gpus: { type: 'string', default: '2' },
    capacity: { type: 'string', default: '8' },
    profile: { type: 'string' },
    'count-jobs': { type: 'string', default: '30' },
    idle: { type: 'string', default: '10' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:dispatch -- [options]
  --rates LIST    jobs per second of each segment (default 5,20)
  --seconds S     length of a segment (default 10)
  --rounds N      rounds; each runs every rate all three ways (default 2)
  --gpus N        simulated GPUs (default 2), each a backend of
  --capacity N    slots (default 8)
  --profile DIR   write V8 CPU profiles of the API and the worker there (node --cpu-prof)
  --count-jobs N  after the rounds, one segment of N jobs at 5/s per way under Redis MONITOR,
                  counting each process's Redis commands by name (default 30; 0 skips it)
  --idle S        after the warm-up, S seconds with no jobs: each process's CPU ms per second
                  idle (timers, polls, heartbeats; default 10; 0 skips it)`);
  process.exit(0);
}
const config = {
  rates: args.rates.split(',').map(Number),
  seconds: Number(args.seconds),
  rounds: Number(args.rounds),
  gpus: Number(args.gpus),
  capacity: Number(args.capacity),
  countJobs: Number(args['count-jobs']),
  idleS: Number(args.idle),
};
const profileArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = randomBytes(4).toString('hex');
const log = (msg: string) => process.stderr.write(`[bench:dispatch] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Wall-clock ms with sub-millisecond resolution (the prompt recorders stamp arrivals the same way). */
const wallMs = () => performance.timeOrigin + performance.now();
/** A sorted list's percentile `p`, to 0.1 ms (NaN when empty). */
const pct1 = (sorted: number[], p: number) => round(percentile(sorted, p) ?? NaN, 1);

const cleanups: Array<() => Promise<unknown>> = [];
const children: SchedProc[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    await (cleanups.pop() as () => Promise<unknown>)().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
}
process.once('SIGINT', () => {
  for (const c of children) c.proc.kill('SIGTERM');
  void cleanup().then(() => process.exit(130));
});

type Way = 'gantry' | 'skeleton' | 'full';
interface Side {
  way: Way;
  procs: SchedProc[];
  pool: pg.Pool;
  dbName: string;
  submit(marker: string, workflow: unknown): Promise<void>;
  /** Resolves when every job of the markers is done as far as this way goes. */
  settled(markers: string[]): Promise<boolean>;
  /**
   * Per marker, when its job's row was inserted (PostgreSQL's `now()` of the insert, wall-clock ms)
   * and, for Gantry, when it was marked dispatched (its `dispatched` event); the skeletons have no
   * such event (null).
   */
  stamps(markers: string[]): Promise<Map<string, { created: number; dispatched: number | null }>>;
}

interface Segment {
  way: Way;
  rate: number;
  round: number;
  jobs: number;
  arrived: number;
  latencies: number[];
  cpuMsPerJob: number;
  /** The same per process of the way (Gantry: API, worker). */
  cpuMsPerJobOf: Record<string, number>;
  /** Write system calls (sockets, pipes, files: /proc/PID/io syscw) per job, all the way's processes, and per process. */
  writesPerJob: number;
  writesPerJobOf: Record<string, number>;
  xactPerJob: number;
  achievedRate: number;
  load1: number;
  /**
   * The queue's part of each job's latency, ms: its row's insert → `POST /prompt` (the row
   * committed, the job enqueued, taken by the worker, dispatched and sent), sorted. Every way.
   */
  fromRow: number[];
  /** Gantry only: where the latency goes, ms per job (submit → row committed → dispatched → POST /prompt). */
  stages?: { toRow: number[]; toDispatched: number[]; toPrompt: number[] };
}

function workflowFor(base: Record<string, { inputs: Record<string, unknown> }>, marker: string, seed: number): unknown {
  const w = structuredClone(base);
  (w['3'] as { inputs: Record<string, unknown> }).inputs.steps = 1;
  (w['3'] as { inputs: Record<string, unknown> }).inputs.seed = seed;
  (w['5'] as { inputs: Record<string, unknown> }).inputs.width = 16;
  (w['5'] as { inputs: Record<string, unknown> }).inputs.height = 16;
  (w['9'] as { inputs: Record<string, unknown> }).inputs.filename_prefix = marker;
  return w;
}

async function xactCommits(side: Side): Promise<number> {
  const client = await side.pool.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [side.dbName]);
    return Number(rows[0]?.n ?? NaN);
  } finally {
    client.release();
  }
}

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return false;
}

async function startGantry(recorders: PromptRecorder[]): Promise<Side> {
  const dbName = `gantry_bench_dispatch_${RUN}_g`;
  cleanups.push(() => dropBenchDatabase(dbName));
  const db = await createBenchDatabase(dbName);
  const prefix = `gbench-dispatch-${RUN}-g`;
  const redis = new Redis(REDIS_URL);
  cleanups.push(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });
  const artifactDir = mkdtempSync(path.join(tmpdir(), 'gantry-bench-dispatch-'));
  cleanups.push(async () => rmSync(artifactDir, { recursive: true, force: true }));
  const common = { DATABASE_URL: db.url, REDIS_URL, GANTRY_QUEUE_PREFIX: prefix, GANTRY_ARTIFACT_DIR: artifactDir };
  const port = await freePort();
  const adminKey = `bench-dispatch-${randomBytes(16).toString('hex')}`;
  const api = spawnTs('api', 'apps/api/src/main.ts', {
    ...common,
    PORT: String(port),
    HOST: '127.0.0.1',
    GANTRY_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
    GANTRY_RATE_LIMIT_PER_MINUTE: '0',
    GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '0',
    GANTRY_IP_RATE_LIMIT_PER_MINUTE: '0',
  }, [...apiNodeFlags(ROOT), ...profileArgs]); // the API's own flags, as every start path runs it (GANTRY_API_NODE_FLAGS overrides)
  const worker = spawnTs('worker', 'apps/worker/src/main.ts', {
    ...common,
    GANTRY_BACKENDS: recorders.map((r, i) => `sim${i}=${r.url};${config.capacity}`).join(' '),
    GANTRY_WORKER_ID: `bench-dispatch-${RUN}`,
    GANTRY_WORKER_HTTP_PORT: '0',
    GANTRY_SHUTDOWN_GRACE_MS: '3000',
    LOG_LEVEL: 'info',
  }, profileArgs);
  children.push(api, worker);
  cleanups.push(() => api.stop());
  cleanups.push(() => worker.stop());
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: 'bench-dispatch' });
  cleanups.push(() => pool.end());
  const apiUrl = `http://127.0.0.1:${port}`;
  await worker.waitForLine(/"msg":"worker ready"/, 120_000);
  if (!(await waitFor(async () => (await fetch(`${apiUrl}/api/v1/health`).catch(() => null))?.ok ?? false, 120_000, 200))) throw new Error(`API not healthy\n${api.tail()}`);
  return {
    way: 'gantry',
    procs: [api, worker],
    pool,
    dbName,
    async submit(marker, workflow) {
      const res = await fetch(`${apiUrl}/api/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ workflow }),
      });
      await res.arrayBuffer();
      if (res.status !== 202) log(`gantry submit: HTTP ${res.status}`);
    },
    async stamps(markers) {
      const { rows } = await pool.query<{ marker: string; created: number; dispatched: number | null }>(
        `SELECT j.workflow->'9'->'inputs'->>'filename_prefix' AS marker,
                (extract(epoch FROM j.created_at) * 1000)::float8 AS created,
                (SELECT (extract(epoch FROM min(e.created_at)) * 1000)::float8 FROM job_events e
                  WHERE e.job_id = j.id AND e.type = 'state' AND e.payload->>'status' = 'dispatched') AS dispatched
           FROM jobs j WHERE j.workflow->'9'->'inputs'->>'filename_prefix' = ANY($1)`,
        [markers],
      );
      return new Map(rows.map((r) => [r.marker, { created: r.created, dispatched: r.dispatched }]));
    },
    async settled() {
      // Every job terminal: its CPU (follow, outputs, success) belongs to its segment.
      return waitFor(async () => {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE status NOT IN ('succeeded', 'failed', 'canceled')");
        return rows[0]?.n === 0;
      }, 60_000);
    },
  };
}

/**
 * A baseline (bench/lib/dispatch-skeleton.ts): `prompt` (way `skeleton`) takes the job over IPC and
 * stops at POST /prompt; `full` (way `full`) takes it over HTTP and does the job's whole durable work
 * (follow the prompt, fetch and store the output, record the success).
 */
async function startSkeleton(recorders: PromptRecorder[], mode: 'prompt' | 'full'): Promise<Side> {
  const way: Way = mode === 'full' ? 'full' : 'skeleton';
  const tag = mode === 'full' ? 'f' : 's';
  const dbName = `gantry_bench_dispatch_${RUN}_${tag}`;
  cleanups.push(() => dropBenchDatabase(dbName));
  const db = await createTestDatabase({ name: dbName, migrate: false });
  const prefix = `gbench-dispatch-${RUN}-${tag}`;
  const redis = new Redis(REDIS_URL);
  cleanups.push(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });
  const artifactDir = mkdtempSync(path.join(tmpdir(), 'gantry-bench-dispatch-skeleton-'));
  cleanups.push(async () => rmSync(artifactDir, { recursive: true, force: true }));
  const port = await freePort();
  const proc = spawnTs(mode === 'full' ? 'skeleton-full' : 'skeleton', 'bench/lib/dispatch-skeleton.ts', {
    DATABASE_URL: db.url,
    REDIS_URL,
    SKELETON_PREFIX: prefix,
    SKELETON_BACKENDS: recorders.map((r) => r.url).join(','),
    SKELETON_CONCURRENCY: String(config.capacity * config.gpus),
    SKELETON_MODE: mode,
    SKELETON_PORT: String(port),
    SKELETON_ARTIFACT_DIR: artifactDir,
  });
  children.push(proc);
  cleanups.push(() => proc.stop());
  await proc.waitForLine(/skeleton ready/, 60_000);
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: 'bench-dispatch' });
  cleanups.push(() => pool.end());
  const stamps = async (markers: string[]) => {
    const { rows } = await pool.query<{ marker: string; created: number }>(
      `SELECT body->'workflow'->'9'->'inputs'->>'filename_prefix' AS marker, (extract(epoch FROM created_at) * 1000)::float8 AS created
         FROM skeleton_jobs WHERE body->'workflow'->'9'->'inputs'->>'filename_prefix' = ANY($1)`,
      [markers],
    );
    return new Map(rows.map((r) => [r.marker, { created: r.created, dispatched: null }]));
  };
  if (mode === 'prompt') {
    return {
      way,
      procs: [proc],
      pool,
      dbName,
      stamps,
      async submit(marker, workflow) {
        proc.proc.send({ submit: { marker, workflow } });
      },
      async settled() {
        return true; // its last step is the POST /prompt itself
      },
    };
  }
  const url = `http://127.0.0.1:${port}/jobs`;
  return {
    way,
    procs: [proc],
    pool,
    dbName,
    stamps,
    async submit(_marker, workflow) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow }) });
      await res.arrayBuffer();
      if (res.status !== 202) log(`full skeleton submit: HTTP ${res.status}`);
    },
    async settled() {
      // Every job ended, as for Gantry: its CPU (follow, output, success) belongs to its segment.
      return waitFor(async () => {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM skeleton_jobs WHERE status NOT IN ('succeeded', 'failed')");
        return rows[0]?.n === 0;
      }, 60_000);
    },
  };
}

async function runSegment(side: Side, recorders: PromptRecorder[], base: Record<string, { inputs: Record<string, unknown> }>, rate: number, roundNo: number, jobs: number, warm = false): Promise<Segment> {
  const markers = Array.from({ length: jobs }, (_, i) => `d${RUN}-${side.way}-${roundNo}-${rate}-${i}${warm ? '-warm' : ''}`);
  const workflows = markers.map((m, i) => workflowFor(base, m, roundNo * 1_000_000 + rate * 10_000 + i));
  const sent = new Map<string, number>();
  const cpuOf0 = side.procs.map((p) => cpuMs(p.pid));
  const cpu0 = cpuOf0.reduce((a, b) => a + b, 0);
  const writesOf0 = side.procs.map((p) => syscalls(p.pid).writes);
  const xact0 = await xactCommits(side);
  const start = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < jobs; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const marker = markers[i] as string;
    sent.set(marker, wallMs());
    inflight.push(side.submit(marker, workflows[i]).catch((err: unknown) => void log(`${side.way} submit failed: ${String(err)}`)));
  }
  await Promise.all(inflight);
  const arrivedAll = await waitFor(() => markers.every((m) => recorders.some((r) => r.arrivals.has(m))), 60_000, 20);
  const lastArrival = Math.max(...markers.map((m) => recorders.map((r) => r.arrivals.get(m) ?? 0).reduce((a, b) => Math.max(a, b), 0)));
  await side.settled(markers);
  const cpuOf1 = side.procs.map((p) => cpuMs(p.pid));
  const cpu1 = cpuOf1.reduce((a, b) => a + b, 0);
  const writesOf1 = side.procs.map((p) => syscalls(p.pid).writes);
  const writesOf = side.procs.map((_, i) => ((writesOf1[i] ?? NaN) - (writesOf0[i] ?? NaN)) / jobs);
  // Idle backends report their statistics within about a second (PostgreSQL 15).
  await sleep(1500);
  const xact1 = await xactCommits(side);
  const latencies: number[] = [];
  for (const m of markers) {
    const at = recorders.map((r) => r.arrivals.get(m)).find((v) => v !== undefined);
    if (at !== undefined) latencies.push(at - (sent.get(m) as number));
  }
  const stamps = await side.stamps(markers);
  const fromRow: number[] = [];
  let stages: Segment['stages'];
  for (const m of markers) {
    const st = stamps.get(m);
    const at = recorders.map((r) => r.arrivals.get(m)).find((v) => v !== undefined);
    if (!st || at === undefined) continue;
    fromRow.push(at - st.created);
    if (st.dispatched === null) continue;
    stages ??= { toRow: [], toDispatched: [], toPrompt: [] };
    stages.toRow.push(st.created - (sent.get(m) as number));
    stages.toDispatched.push(st.dispatched - st.created);
    stages.toPrompt.push(at - st.dispatched);
  }
  fromRow.sort((a, b) => a - b);
  for (const list of Object.values(stages ?? {})) list.sort((a, b) => a - b);
  if (!arrivedAll) log(`${side.way} @ ${rate}/s: ${latencies.length} of ${jobs} prompts arrived in time`);
  latencies.sort((a, b) => a - b);
  return {
    way: side.way,
    rate,
    round: roundNo,
    jobs,
    arrived: latencies.length,
    latencies,
    cpuMsPerJob: (cpu1 - cpu0) / jobs,
    cpuMsPerJobOf: Object.fromEntries(side.procs.map((p, i) => [p.name, ((cpuOf1[i] ?? NaN) - (cpuOf0[i] ?? NaN)) / jobs])),
    writesPerJob: writesOf.reduce((a, b) => a + b, 0),
    writesPerJobOf: Object.fromEntries(side.procs.map((p, i) => [p.name, writesOf[i] ?? NaN])),
    xactPerJob: (xact1 - xact0) / jobs,
    achievedRate: (latencies.length * 1000) / Math.max(1, lastArrival - start),
    load1: loadavg()[0] ?? 0,
    fromRow,
    ...(stages ? { stages } : {}),
  };
}

async function main(): Promise<void> {
  const base = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
  const sim = spawnTs('gpu-sim', 'apps/gpu-sim/src/main.ts', {
    GPU_SIM_GPUS: String(config.gpus),
    GPU_SIM_PORT: '0',
    GPU_SIM_HOST: '127.0.0.1',
    GPU_SIM_STEP_MS: '1',
    GPU_SIM_NAME: 'bench-dispatch',
  });
  children.push(sim);
  cleanups.push(() => sim.stop());
  const lines = await sim.collectLines(/gpu-sim listening/, config.gpus, 90_000);
  const recorders: PromptRecorder[] = [];
  for (const line of lines) {
    const r = await startPromptRecorder((JSON.parse(line) as { url: string }).url);
    recorders.push(r);
    cleanups.push(() => r.close());
  }
  log(`starting Gantry (API + 1 worker) and the two skeletons; ${config.gpus} GPUs × capacity ${config.capacity}`);
  const sides = [await startGantry(recorders), await startSkeleton(recorders, 'prompt'), await startSkeleton(recorders, 'full')];
  for (const side of sides) await runSegment(side, recorders, base, 5, 0, 10, true); // warm-up: code loaded, connections open
  const idle = config.idleS > 0 ? await idleCpu(sides) : [];
  const segments: Segment[] = [];
  for (let roundNo = 1; roundNo <= config.rounds; roundNo++) {
    for (const rate of config.rates) {
      const order = roundNo % 2 === 1 ? sides : [...sides].reverse();
      for (const side of order) {
        const seg = await runSegment(side, recorders, base, rate, roundNo, Math.max(1, Math.round(rate * config.seconds)));
        const st = seg.stages;
        const split = st ? ` (p50 submit → row ${pct1(st.toRow, 50)}, → dispatched ${pct1(st.toDispatched, 50)}, → POST /prompt ${pct1(st.toPrompt, 50)} ms)` : '';
        log(`round ${roundNo} ${side.way} @ ${rate}/s: p50 ${pct1(seg.latencies, 50)} ms, p99 ${pct1(seg.latencies, 99)} ms, row → POST /prompt p50 ${pct1(seg.fromRow, 50)} ms${split}, CPU ${round(seg.cpuMsPerJob, 1)} ms/job, ${round(seg.writesPerJob, 1)} writes/job, ${round(seg.xactPerJob, 1)} xact/job, load ${round(seg.load1, 2)}`);
        segments.push(seg);
      }
    }
  }
  report(segments, config.countJobs > 0 ? await countCommands(sides, recorders, base) : [], idle);
}

interface IdleCpu {
  way: Way;
  /** CPU ms per second of each process of the way while no job is submitted. */
  msPerSOf: Record<string, number>;
}

/**
 * Every way idles at once for `--idle` seconds (after the warm-up, every job ended): what each
 * process spends on its own timers, polls and heartbeats. At a low rate this is part of every job's
 * CPU figure (CPU ms/job = busy ms/job + idle ms/s ÷ rate).
 */
async function idleCpu(sides: Side[]): Promise<IdleCpu[]> {
  await sleep(1000); // the warm-up's last events out
  const at0 = Date.now();
  const before = sides.map((side) => side.procs.map((p) => cpuMs(p.pid)));
  await sleep(config.idleS * 1000);
  const seconds = (Date.now() - at0) / 1000;
  const out = sides.map((side, i) => ({
    way: side.way,
    msPerS: Object.fromEntries(side.procs.map((p, j) => [p.name, round((cpuMs(p.pid) - (before[i]?.[j] ?? NaN)) / seconds, 2)])),
  }));
  log(`idle ${round(seconds, 1)} s, CPU ms/s: ${out.map((o) => `${o.way} ${Object.entries(o.msPerS).map(([n, v]) => `${n} ${v}`).join(' + ')}`).join('; ')}`);
  return out.map((o) => ({ way: o.way, msPerSOf: o.msPerS }));
}

interface CommandCount {
  way: Way;
  jobs: number;
  /** Per process of the way: its Redis commands by name over the segment (background loops included). */
  byProc: Record<string, Record<string, number>>;
  writesPerJobOf: Record<string, number>;
  xactPerJob: number;
}

/** One segment per way at 5 jobs/s under Redis MONITOR: each process's Redis commands per job, by name. */
async function countCommands(sides: Side[], recorders: PromptRecorder[], base: Record<string, { inputs: Record<string, unknown> }>): Promise<CommandCount[]> {
  const redis = new Redis(REDIS_URL);
  const out: CommandCount[] = [];
  try {
    for (const side of sides) {
      const count = await RedisCommandCount.start(redis);
      const seg = await runSegment(side, recorders, base, 5, 99, config.countJobs);
      const byProc = await count.stop(side.procs);
      out.push({ way: side.way, jobs: seg.jobs, byProc, writesPerJobOf: seg.writesPerJobOf, xactPerJob: seg.xactPerJob });
      log(`counted ${side.way}: ${Object.entries(byProc).map(([name, c]) => `${name} ${perJobText(c, seg.jobs, 4)}`).join('; ')}`);
    }
  } finally {
    redis.disconnect();
  }
  return out;
}

function report(segments: Segment[], counts: CommandCount[], idle: IdleCpu[]): void {
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  const splits: string[] = [];
  const byProc: string[] = [];
  for (const rate of config.rates) {
    const of = (way: Way) => {
      const segs = segments.filter((s) => s.rate === rate && s.way === way);
      const lat = segs.flatMap((s) => s.latencies).sort((a, b) => a - b);
      const jobs = segs.reduce((a, s) => a + s.jobs, 0);
      const queue = segs.flatMap((s) => s.fromRow).sort((a, b) => a - b);
      return {
        p50: pct1(lat, 50),
        p99: pct1(lat, 99),
        queueP50: pct1(queue, 50),
        queueP99: pct1(queue, 99),
        cpu: segs.reduce((a, s) => a + s.cpuMsPerJob * s.jobs, 0) / jobs,
        cpuOf: Object.fromEntries(
          Object.keys(segs[0]?.cpuMsPerJobOf ?? {}).map((name) => [name, round(segs.reduce((a, s) => a + (s.cpuMsPerJobOf[name] ?? NaN) * s.jobs, 0) / jobs, 2)]),
        ),
        xact: segs.reduce((a, s) => a + s.xactPerJob * s.jobs, 0) / jobs,
        writes: segs.reduce((a, s) => a + s.writesPerJob * s.jobs, 0) / jobs,
        writesOf: Object.fromEntries(
          Object.keys(segs[0]?.writesPerJobOf ?? {}).map((name) => [name, round(segs.reduce((a, s) => a + (s.writesPerJobOf[name] ?? NaN) * s.jobs, 0) / jobs, 1)]),
        ),
        achieved: segs.reduce((a, s) => a + s.achievedRate, 0) / segs.length,
        arrived: `${segs.reduce((a, s) => a + s.arrived, 0)}/${jobs}`,
        load: segs.map((s) => round(s.load1, 2)),
      };
    };
    const g = of('gantry');
    const s = of('skeleton');
    const f = of('full');
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    type WayFigures = typeof g;
    const wayRow = (rateCell: string, label: string, x: WayFigures) =>
      [rateCell, label, x.arrived, String(x.p50), String(x.p99), String(x.queueP50), String(x.queueP99), x.cpu.toFixed(1), x.writes.toFixed(1), x.xact.toFixed(1), x.achieved.toFixed(1), x.load.join(' ')];
    const ratioRow = (label: string, b: WayFigures) =>
      ['', label, '', ratio(g.p50, b.p50), ratio(g.p99, b.p99), ratio(g.queueP50, b.queueP50), ratio(g.queueP99, b.queueP99), ratio(g.cpu, b.cpu), ratio(g.writes, b.writes), ratio(g.xact, b.xact), '', ''];
    rows.push(wayRow(`${rate}/s`, 'gantry', g), wayRow('', 'skeleton (IPC, to POST)', s), wayRow('', 'full skeleton (HTTP, whole job)', f));
    rows.push(ratioRow('ratio gantry/skeleton', s), ratioRow('ratio gantry/full', f));
    const gs = segments.filter((x) => x.rate === rate && x.way === 'gantry' && x.stages);
    const pick = (k: 'toRow' | 'toDispatched' | 'toPrompt') => percentile(gs.flatMap((x) => x.stages?.[k] ?? []).sort((a, b) => a - b), 50) ?? NaN;
    const split = { toRow: round(pick('toRow'), 1), toDispatched: round(pick('toDispatched'), 1), toPrompt: round(pick('toPrompt'), 1) };
    splits.push(`${rate}/s: submit → row committed ${split.toRow} ms, → dispatched ${split.toDispatched} ms, → POST /prompt ${split.toPrompt} ms`);
    byProc.push(`${rate}/s: ${Object.entries(g.cpuOf).map(([name, ms]) => `${name} ${ms} (${g.writesOf[name]} writes)`).join(', ')}`);
    json.push({ rate, gantry: { ...g, splitP50: split }, skeleton: s, fullSkeleton: f });
  }
  const head = ['rate', 'way', 'prompts', 'p50 ms', 'p99 ms', 'row→POST p50', 'row→POST p99', 'CPU ms/job', 'writes/job', 'xact/job', 'achieved/s', 'load 1m'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log('');
  console.log(`Dispatch: submit → POST /prompt, ${config.rounds} interleaved rounds × ${config.seconds} s per rate and way; ${config.gpus} simulated GPUs × capacity ${config.capacity}; load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log('CPU ms/job: gantry = API + worker (including following the prompt and recording the success); skeleton = its one process, job in over IPC, stops at POST /prompt; full skeleton = its one process, job in over HTTP, follows the prompt, stores the output and records the success like Gantry');
  console.log('Latency (submit → POST /prompt; sub-millisecond clocks): compare with the full skeleton, whose intake (HTTP) matches Gantry\'s. row→POST: the queue\'s part, from the job row\'s insert (PostgreSQL now(), before its commit and enqueue) to POST /prompt: the same steps on every way (commit, enqueue, pickup, the worker\'s steps, the send). xact/job: PostgreSQL commits of the way\'s database (background loops included); writes/job: write system calls of the way\'s processes (sockets, pipes, files: /proc/PID/io syscw), per job');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(`gantry p50 by stage (PostgreSQL timestamps): ${splits.join('; ')}`);
  console.log(`gantry CPU ms/job by process (write system calls per job): ${byProc.join('; ')}`);
  if (idle.length) console.log(`idle CPU ms/s per process (${config.idleS} s, no jobs; included in CPU ms/job as idle ÷ rate): ${idle.map((o) => `${o.way}: ${Object.entries(o.msPerSOf).map(([n, v]) => `${n} ${v}`).join(', ')}`).join('; ')}`);
  for (const c of counts) {
    console.log(`Redis commands per job, ${c.way} (MONITOR, ${c.jobs} jobs at 5/s, background loops included; ${c.xactPerJob.toFixed(1)} xact/job):`);
    for (const [name, byCmd] of Object.entries(c.byProc)) console.log(`  ${name}: ${perJobText(byCmd, c.jobs)}; ${c.writesPerJobOf[name]?.toFixed(1)} writes/job`);
  }
  const commands = counts.map((c) => ({ way: c.way, jobs: c.jobs, perJob: Object.fromEntries(Object.entries(c.byProc).map(([name, byCmd]) => [name, Object.values(byCmd).reduce((a, n) => a + n, 0) / c.jobs])), byProc: c.byProc }));
  console.log(JSON.stringify({ bench: 'dispatch', at: new Date().toISOString(), config, results: json, commands, idle }));
}

main()
  .then(cleanup, async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => process.exit());
