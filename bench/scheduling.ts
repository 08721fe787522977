/**
 * Scheduling benchmark: how well Gantry's dispatch keeps a mixed-speed GPU fleet busy.
 *
 *   npm run bench:sched                      defaults: 2000 jobs, 3 workers, 8 simulated GPUs
 *   npm run bench:sched -- --jobs 500 --workers 2 --step-ms 5,10,20,40
 *
 * Starts 8 simulated GPUs of mixed speed (one gpu-sim process, GPU_SIM_GPUS=8, each GPU its own
 * ComfyUI-compatible server and Gantry backend of capacity 1), then for each dispatch policy
 * (least-connections, round-robin) a fresh database and Redis prefix, one API process and N worker
 * processes that all share the whole fleet; submits the same job set over HTTP, runs it to
 * completion and reads the figures back from PostgreSQL (see bench/README.md). Prints a table and
 * one JSON line. Everything it starts is stopped, and the databases, Redis keys and artifact
 * directories are removed, at the end, on error and on Ctrl-C. No assertions: figures only.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { leaseFreedChannel } from '@gantry/queue';
import { deleteKeys } from '@gantry/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  computeFigures,
  gapSplit,
  noteLeaseStart,
  overheadSplit,
  round,
  sampledUtilization,
  type JobTimes,
  type GapSplit,
  type LeaseSample,
  type RunFigures,
  type SimBackend,
  type Summary,
} from './lib/sched-metrics.js';
import { createBenchDatabase, dropBenchDatabase } from './lib/sched-db.js';
import { apiNodeFlags } from '../scripts/api-node-flags.mjs';
import { cpuMs, freePort, ROOT, spawnTs, type SchedProc } from './lib/sched-procs.js';
import { perJobText, RedisCommandCount } from './lib/redis-command-count.js';

/** Adds up per-process command counts. */
function sumCounts(counts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [name, n] of Object.entries(c)) total[name] = (total[name] ?? 0) + n;
  return total;
}

type Policy = 'least-connections' | 'round-robin';
const POLICIES: Policy[] = ['least-connections', 'round-robin'];
const QUEUE = 'gantry-render'; // QUEUE_NAMES.render

// ---------------------------------------------------------------------------------------------
// Options

const OPTIONS = {
  jobs: { type: 'string' },
  steps: { type: 'string' },
  workers: { type: 'string' },
  'step-ms': { type: 'string' },
  policies: { type: 'string' },
  concurrency: { type: 'string' },
  size: { type: 'string' },
  'phase-timeout': { type: 'string' },
  'stall-timeout': { type: 'string' },
  warmup: { type: 'string' },
  'cpu-prof': { type: 'string' },
  'count-commands': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
function readArgs() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    console.error(`[bench:sched] ${err instanceof Error ? err.message : String(err)} (see --help)`);
    process.exit(2);
  }
}
const args = readArgs();

if (args.help) {
  console.log(`usage: npm run bench:sched -- [options]   (or BENCH_SCHED_<OPTION> variables)
  --jobs N            jobs per policy (default 2000)
  --steps N           sampler steps per job (default 10)
  --workers N         worker processes, each sharing the whole fleet (default 3)
  --step-ms LIST      one simulated GPU (backend) per entry: ms per step[:capacity]
                      (default 10,10,20,20,40,40,80,80; capacity > 1 lets Gantry queue that many
                      prompts on the one simulated GPU, as ComfyUI would queue them)
  --policies LIST     least-connections,round-robin (default both, in that order)
  --concurrency N     parallel HTTP submits (default 16)
  --size PX           image width and height (default 64)
  --phase-timeout S   give up on a policy's run after S seconds (default 150)
  --stall-timeout S   ... or when no job finished for S seconds (default 30)
  --warmup N          jobs run to their end before the timed run, left out of every figure
                      (default: two per GPU slot; 0: none, the run starts cold)
  --cpu-prof DIR      write V8 CPU profiles of each worker process into DIR/worker<i>-<policy> (node --cpu-prof)
  --count-commands    count the workers' Redis commands per job, by name, under Redis MONITOR for
                      the whole run (MONITOR costs Redis CPU: the run's times are not comparable
                      with runs without it)
The workers inherit this process's environment: GANTRY_SLOT_LEAD_MS and GANTRY_QUEUE_AHEAD set there
are used by them and printed with the figures.`);
  process.exit(0);
}

function opt(name: keyof typeof args, env: string, fallback: string): string {
  const v = args[name] ?? process.env[`BENCH_SCHED_${env}`];
  return typeof v === 'string' && v !== '' ? v : fallback;
}
function intOpt(name: keyof typeof args, env: string, fallback: number, min: number, max: number): number {
  const n = Number(opt(name, env, String(fallback)));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${String(name)} must be an integer in ${min}..${max}`);
  return n;
}

/** The timed run's jobs (the warm-up's carry `bench: 'sched-warmup'`). */
const TIMED = "metadata->>'bench' = 'sched'";

/** The workers' scheduling tuning from this process's environment (their processes inherit it): printed with the figures. */
const WORKER_TUNING = {
  leadMs: Number(process.env.GANTRY_SLOT_LEAD_MS ?? 0) || 0,
  queueAhead: ['true', '1', 'yes'].includes(process.env.GANTRY_QUEUE_AHEAD ?? ''),
};

function readConfig() {
  return {
    jobs: intOpt('jobs', 'JOBS', 2000, 1, 100_000),
    steps: intOpt('steps', 'STEPS', 10, 1, 1000),
    workers: intOpt('workers', 'WORKERS', 3, 1, 16),
    concurrency: intOpt('concurrency', 'CONCURRENCY', 16, 1, 256),
    size: intOpt('size', 'SIZE', 64, 8, 4096),
    phaseTimeoutS: intOpt('phase-timeout', 'PHASE_TIMEOUT', 150, 5, 3600),
    stallTimeoutS: intOpt('stall-timeout', 'STALL_TIMEOUT', 30, 2, 3600),
    /** -1: two per GPU slot (the default). */
    warmup: intOpt('warmup', 'WARMUP', -1, -1, 10_000),
    cpuProfDir: opt('cpu-prof', 'CPU_PROF', ''),
    countCommands: args['count-commands'] === true || process.env.BENCH_SCHED_COUNT_COMMANDS === '1',
    sims: opt('step-ms', 'STEP_MS', '10,10,20,20,40,40,80,80')
      .split(',')
      .map((entry, i) => {
        const [ms, cap] = entry.trim().split(':');
        const stepMs = Number(ms);
        const capacity = cap === undefined ? 1 : Number(cap);
        if (!(stepMs > 0) || !Number.isInteger(capacity) || capacity < 1 || capacity > 64) throw new Error(`bad --step-ms entry "${entry}"`);
        return { id: `sim${i}`, stepMs, capacity } satisfies SimBackend;
      }),
    policies: opt('policies', 'POLICIES', POLICIES.join(','))
      .split(',')
      .map((p) => p.trim())
      .map((p) => {
        if (!POLICIES.includes(p as Policy)) throw new Error(`unknown policy "${p}" (least-connections, round-robin)`);
        return p as Policy;
      }),
  };
}
let config: ReturnType<typeof readConfig>;
try {
  config = readConfig();
} catch (err) {
  console.error(`[bench:sched] ${err instanceof Error ? err.message : String(err)} (see --help)`);
  process.exit(2);
}
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Which code was measured: HEAD and how many tracked files differ from it. */
function provenance(): { commit: string; modifiedFiles: number } {
  const git = (...a: string[]) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', modifiedFiles: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length };
}
const RUN_ID = randomBytes(4).toString('hex');

const log = (msg: string) => process.stderr.write(`[bench:sched] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Busy and total jiffies of the whole machine (/proc/stat), to tell how saturated the box was. */
function boxTicks(): { busy: number; total: number } {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource registers how to undo itself; tasks run once, newest first, on the
// normal path, on error and on Ctrl-C alike.

interface Task {
  name: string;
  fn: () => Promise<unknown>;
  promise?: Promise<void>;
}
const tasks: Task[] = [];
const problems: string[] = [];

function onCleanup(name: string, fn: () => Promise<unknown>): () => Promise<void> {
  const task: Task = { name, fn };
  tasks.push(task);
  return () => runTask(task);
}
function runTask(task: Task): Promise<void> {
  task.promise ??= (async () => {
    try {
      await task.fn();
    } catch (err) {
      problems.push(`${task.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      const i = tasks.indexOf(task);
      if (i >= 0) tasks.splice(i, 1);
    }
  })();
  return task.promise;
}
let cleaningAll: Promise<void> | null = null;
function cleanupAll(): Promise<void> {
  cleaningAll ??= (async () => {
    while (tasks.length) await runTask(tasks[tasks.length - 1] as Task);
  })();
  return cleaningAll;
}

const children = new Set<SchedProc>();
function track(child: SchedProc): SchedProc {
  children.add(child);
  void child.exit.then(() => children.delete(child));
  return child;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      log('second signal: killing the child processes now (the database and Redis keys may stay)');
      for (const c of children) c.proc.kill('SIGKILL');
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping and cleaning up (again to force)...`);
    void cleanupAll().then(() => {
      for (const p of problems) log(`cleanup problem: ${p}`);
      process.exit(130);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Fleet and stack

interface Sim extends SimBackend {
  url: string;
  proc: SchedProc;
}

/** All simulated GPUs in one gpu-sim process (GPU_SIM_GPUS), each its own server and backend. */
async function startSims(undo: (name: string, fn: () => Promise<unknown>) => void): Promise<Sim[]> {
  const proc = track(
    spawnTs('gpu-sim', 'apps/gpu-sim/src/main.ts', {
      GPU_SIM_GPUS: String(config.sims.length),
      GPU_SIM_PORT: '0',
      GPU_SIM_HOST: '127.0.0.1',
      GPU_SIM_STEP_MS: config.sims.map((s) => s.stepMs).join(','),
      GPU_SIM_NAME: 'bench-sim',
    }),
  );
  undo('gpu-sim', () => proc.stop());
  const lines = await proc.collectLines(/gpu-sim listening/, config.sims.length, 90_000);
  return lines.map((line, i) => {
    const { url, stepMs } = JSON.parse(line) as { url: string; stepMs: number };
    const sim = config.sims[i] as SimBackend;
    if (stepMs !== sim.stepMs) throw new Error(`gpu-sim ${i} runs at ${stepMs} ms/step, not ${sim.stepMs} (GPU_SIM_GPUS unsupported?)`);
    return { ...sim, url, proc };
  });
}

function workflowFor(base: Record<string, { inputs: Record<string, unknown> }>, i: number): unknown {
  const w = structuredClone(base);
  const sampler = w['3'];
  const latent = w['5'];
  if (!sampler || !latent) throw new Error('unexpected default workflow shape');
  sampler.inputs.seed = (1_000_003 * (i + 1) + 12_345) % 2 ** 48; // distinct seeds: no output cache hits
  sampler.inputs.steps = config.steps;
  latent.inputs.width = config.size;
  latent.inputs.height = config.size;
  return w;
}

interface PhaseResult {
  policy: Policy;
  figures: RunFigures;
  gapSplit: GapSplit;
  overheadSplit: ReturnType<typeof overheadSplit>;
  sampled: ReturnType<typeof sampledUtilization>;
  submitErrors: number;
  submitErrorSample: string[];
  delayedEvents: number;
  stalledEvents: number;
  /** Slots freed and announced on the lease-freed channel (releases, hand-overs to another backend or none). */
  announcedFrees: number;
  leasesLeftAfter: number;
  rrCounter: number | null;
  queueLeft: Record<string, number>;
  warnings: number;
  warningSample: string[];
  stuck: string | null;
  /** The workers' Redis commands by name over the run (--count-commands), else null. */
  workerCommands: Record<string, number> | null;
  /** CPU seconds used during the run (first submit → last finish + 1 s) and how busy the box was. */
  cpu: { apiS: number; workersS: number; simsS: number; postgresS: number; benchS: number; boxBusy: number; otherS: number; cores: number; loadavg1: [number, number] };
}

async function runPhase(policy: Policy, base: Record<string, { inputs: Record<string, unknown> }>): Promise<{ result: PhaseResult; sims: Sim[] }> {
  const tag = policy === 'least-connections' ? 'lc' : 'rr';
  log(`${policy}: fresh gpu-sim (${config.sims.length} GPUs), database, Redis prefix, API and ${config.workers} workers`);
  const phaseTasks: Array<() => Promise<void>> = [];
  const undo = (name: string, fn: () => Promise<unknown>) => phaseTasks.push(onCleanup(`${policy} ${name}`, fn));

  // A fresh gpu-sim per policy too: no sim state (history, output files, sockets) carries over.
  const sims = await startSims(undo);
  const dbName = `gantry_bench_sched_${RUN_ID}_${tag}`;
  undo('database', () => dropBenchDatabase(dbName)); // registered first: a Ctrl-C during creation drops it too
  const db = await createBenchDatabase(dbName);
  const prefix = `gbench-sched-${RUN_ID}-${tag}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  undo('redis keys', async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });
  // Slots freed and announced to every worker (a release, or a hand-over that took another backend
  // or nothing); a slot handed straight to the next job on the same backend is not announced.
  const announcer = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  undo('lease-freed subscriber', async () => announcer.disconnect());
  let announcedFrees = 0;
  announcer.on('message', () => (announcedFrees += 1));
  await announcer.subscribe(leaseFreedChannel(prefix));
  const artifactDir = mkdtempSync(path.join(tmpdir(), `gantry-bench-sched-${tag}-`));
  undo('artifacts', async () => rmSync(artifactDir, { recursive: true, force: true }));
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: 'gantry-bench-sched' });
  undo('pg pool', () => pool.end());

  const common = {
    DATABASE_URL: db.url,
    REDIS_URL,
    GANTRY_QUEUE_PREFIX: prefix,
    GANTRY_ARTIFACT_DIR: artifactDir,
  };
  const port = await freePort();
  const adminKey = `bench-sched-${randomBytes(16).toString('hex')}`;
  const api = track(spawnTs(`api ${tag}`, 'apps/api/src/main.ts', { ...common, PORT: String(port), HOST: '127.0.0.1', GANTRY_ADMIN_KEY: adminKey, LOG_LEVEL: 'warn', GANTRY_RATE_LIMIT_PER_MINUTE: '0', GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '0' }, apiNodeFlags(ROOT))); // the API's own flags (GANTRY_API_NODE_FLAGS overrides)
  const backendsEnv = sims.map((s) => `${s.id}=${s.url};${s.capacity}`).join(' ');
  const workers = Array.from({ length: config.workers }, (_, i) =>
    track(
      spawnTs(`worker${i} ${tag}`, 'apps/worker/src/main.ts', {
        ...common,
        GANTRY_BACKENDS: backendsEnv,
        GANTRY_DISPATCH_POLICY: policy,
        GANTRY_WORKER_ID: `bench-${tag}-w${i}`,
        GANTRY_WORKER_HTTP_PORT: '0', // several workers on one host
        GANTRY_SHUTDOWN_GRACE_MS: '3000',
        LOG_LEVEL: 'info', // for the "worker ready" line; per-job lines are info too, as in production
      }, config.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(config.cpuProfDir, `worker${i}-${tag}`)}`] : []),
    ),
  );
  // Stop order: workers (they hold jobs), then the API; registered last so they run first.
  undo('api', () => api.stop());
  undo('workers', () => Promise.all(workers.map((w) => w.stop())));
  const apiUrl = `http://127.0.0.1:${port}`;
  await Promise.all([
    ...workers.map((w) => w.waitForLine(/"msg":"worker ready"/, 120_000)),
    (async () => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (api.exited) throw new Error(`the API exited at start\n${api.tail()}`);
        try {
          const res = await fetch(`${apiUrl}/api/v1/health`, { signal: AbortSignal.timeout(1000) });
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`the API did not become healthy within 120 s\n${api.tail()}`);
        await sleep(200);
      }
    })(),
  ]);

  const bodies = Array.from({ length: config.jobs }, (_, i) => JSON.stringify({ workflow: workflowFor(base, i), metadata: { bench: 'sched', i } }));

  /** One submit over HTTP, tried up to three times (the idempotency key makes a retry safe); the error of the last try. */
  const postJob = async (body: string, key: string): Promise<string | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${apiUrl}/api/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 202) return null;
        throw new Error(`HTTP ${res.status} ${text.slice(0, 200)}`);
      } catch (err) {
        if (attempt < 3) continue;
        return err instanceof Error ? err.message : String(err);
      }
    }
  };

  // Warm-up: jobs run to their end before the timed run (the processes' first requests, connections
  // and compiled code, and the workers' measured paces of every GPU), left out of every figure: the
  // run measures scheduling, not the start of the processes.
  const warmups = config.warmup < 0 ? 2 * sims.reduce((n, s) => n + s.capacity, 0) : config.warmup;
  if (warmups > 0) {
    log(`${policy}: warm-up, ${warmups} jobs`);
    let w = 0;
    const errors: string[] = [];
    await Promise.all(
      Array.from({ length: Math.min(config.concurrency, warmups) }, async () => {
        while (w < warmups) {
          const k = w++;
          const error = await postJob(JSON.stringify({ workflow: workflowFor(base, config.jobs + k), metadata: { bench: 'sched-warmup', i: k } }), `bench-warmup-${k}`);
          if (error !== null) errors.push(error);
        }
      }),
    );
    if (errors.length) throw new Error(`warm-up submits failed: ${errors.slice(0, 3).join('; ')}`);
    const until = Date.now() + config.phaseTimeoutS * 1000;
    for (;;) {
      const { rows } = await pool.query<{ open: number }>(`SELECT count(*)::int AS open FROM jobs WHERE NOT ${TIMED} AND status NOT IN ('succeeded', 'failed', 'canceled')`);
      if ((rows[0]?.open ?? 0) === 0) break;
      if (interrupted) throw new Error('interrupted');
      if (Date.now() > until) throw new Error(`warm-up: ${rows[0]?.open} jobs still open after ${config.phaseTimeoutS} s`);
      await sleep(100);
    }
    await sleep(1000); // the last leases released, the workers idle
  }


  // Monitoring: lease sets and queue every 100 ms; BullMQ's event stream for hand-backs.
  const leaseKeys = sims.map((s) => `${prefix}:lease:${s.id}`);
  const q = `${prefix}:${QUEUE}`;
  const samples: LeaseSample[] = [];
  const leaseStarts: Array<Set<number>> = sims.map(() => new Set<number>());
  let delayedEvents = 0;
  let stalledEvents = 0;
  let lastEventId = '0';
  let monitoring = true;
  const sampler = (async () => {
    while (monitoring) {
      const now = Date.now();
      const p = redis.pipeline();
      // The live members (`<id>@<start ms>`): their count, and when each lease was taken (Redis's clock).
      for (const k of leaseKeys) p.zrangebyscore(k, `(${now}`, '+inf');
      p.llen(`${q}:wait`).zcard(`${q}:prioritized`).zcard(`${q}:delayed`).llen(`${q}:active`);
      const raw = ((await p.exec().catch(() => null)) ?? []).map(([, v]) => v);
      if (raw.length === leaseKeys.length + 4) {
        const members = raw.slice(0, leaseKeys.length).map((v) => (Array.isArray(v) ? (v as string[]) : []));
        members.forEach((list, i) => list.forEach((m) => noteLeaseStart(leaseStarts, i, m)));
        const res = raw.slice(leaseKeys.length).map((v) => Number(v ?? 0));
        const queued = res.slice(0, 3).reduce((a, b) => a + b, 0);
        samples.push({ at: now, inFlight: members.map((m) => m.length), queued, active: res[3] ?? 0 });
      }
      await sleep(Math.max(0, 100 - (Date.now() - now)));
    }
  })();
  const readEvents = async () => {
    for (;;) {
      const batch = (await redis.xrange(`${q}:events`, `(${lastEventId}`, '+', 'COUNT', 2000).catch(() => [])) as Array<[string, string[]]>;
      for (const [id, fields] of batch) {
        lastEventId = id;
        const event = fields[fields.indexOf('event') + 1];
        if (event === 'delayed') delayedEvents += 1;
        else if (event === 'stalled') stalledEvents += 1;
      }
      if (batch.length < 2000) return;
    }
  };
  const eventsLoop = (async () => {
    while (monitoring) {
      await readEvents();
      await sleep(250);
    }
  })();

  // Submit over HTTP, `concurrency` requests at a time.
  log(`${policy}: submitting ${config.jobs} jobs (${config.concurrency} at a time)`);
  let submitErrors = 0;
  const submitErrorSample: string[] = [];
  let next = 0;
  let stopSubmitting = false;
  const cpuOf = (procs: SchedProc[]) => procs.reduce((a, p) => a + cpuMs(p.pid), 0);
  const simProcs = [...new Set(sims.map((s) => s.proc))];
  // PostgreSQL's share: the server processes serving this database (Gantry's connections, not the bench's).
  const pgBackends = async () =>
    (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'gantry-bench-sched'")).rows.map((r) => r.pid);
  const pgStart = new Map((await pgBackends()).map((pid) => [pid, cpuMs(pid)]));
  // The workers' Redis commands (a load-independent measure of their round trips per job).
  const commandCount = config.countCommands ? await RedisCommandCount.start(redis) : null;
  const cpuStart = { api: cpuOf([api]), workers: cpuOf(workers), sims: cpuOf(simProcs), bench: process.cpuUsage(), box: boxTicks(), load: loadavg()[0] ?? 0 };
  const firstSubmitAt = Date.now();
  const submitting = Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (next < bodies.length && !interrupted && !stopSubmitting) {
        const i = next++;
        const error = await postJob(bodies[i] as string, `bench-${i}`);
        if (error !== null) {
          submitErrors += 1;
          if (submitErrorSample.length < 5) submitErrorSample.push(error);
        }
      }
    }),
  ).then(() => Date.now());

  // Wait until every accepted job is terminal, or give up with a diagnosis.
  let lastSubmitAt: number | null = null;
  void submitting.then((t) => (lastSubmitAt = t));
  let stuck: string | null = null;
  let lastDone = -1;
  let lastChange = Date.now();
  let lastPrint = 0;
  for (;;) {
    if (interrupted) throw new Error('interrupted');
    const { rows } = await pool.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM jobs WHERE ${TIMED} GROUP BY status`);
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const terminal = (by.succeeded ?? 0) + (by.failed ?? 0) + (by.canceled ?? 0);
    const total = rows.reduce((s, r) => s + r.n, 0);
    const now = Date.now();
    if (terminal !== lastDone) {
      lastDone = terminal;
      lastChange = now;
    }
    if (now - lastPrint > 5000) {
      lastPrint = now;
      const inFlight = samples.at(-1)?.inFlight.reduce((a, b) => a + b, 0) ?? 0;
      log(`${policy}: ${terminal}/${config.jobs} done, ${total - terminal} open (${JSON.stringify(by)}), ${inFlight} slots leased, ${round((now - firstSubmitAt) / 1000, 1)} s`);
    }
    if (lastSubmitAt !== null && terminal === total) break; // every accepted job (rows exist only for accepted ones) is done
    if (now - firstSubmitAt > config.phaseTimeoutS * 1000) {
      stuck = `phase timeout (${config.phaseTimeoutS} s): ${JSON.stringify(by)}`;
      stopSubmitting = true;
      break;
    }
    if (now - lastChange > config.stallTimeoutS * 1000) {
      stuck = `no job finished for ${config.stallTimeoutS} s: ${JSON.stringify(by)}`;
      stopSubmitting = true;
      break;
    }
    await sleep(250);
  }
  await submitting;
  const finalSubmitAt = lastSubmitAt ?? Date.now();
  // Leases are released right after the `succeeded` write: give the last ones a moment.
  await sleep(1000);
  const postgresMs = (await pgBackends()).reduce((a, pid) => {
    const used = cpuMs(pid) - (pgStart.get(pid) ?? 0);
    return a + (Number.isFinite(used) ? used : 0);
  }, 0);
  const benchCpu = process.cpuUsage(cpuStart.bench);
  const boxEnd = boxTicks();
  const cpu = {
    apiS: round((cpuOf([api]) - cpuStart.api) / 1000, 1),
    workersS: round((cpuOf(workers) - cpuStart.workers) / 1000, 1),
    simsS: round((cpuOf(simProcs) - cpuStart.sims) / 1000, 1),
    postgresS: round(postgresMs / 1000, 1),
    benchS: round((benchCpu.user + benchCpu.system) / 1e6, 1),
    boxBusy: round((boxEnd.busy - cpuStart.box.busy) / Math.max(1, boxEnd.total - cpuStart.box.total), 3),
    // Busy CPU time of the whole box minus what this bench's processes used: other load on the machine.
    otherS: 0,
    cores: cpus().length,
    loadavg1: [round(cpuStart.load, 2), round(loadavg()[0] ?? 0, 2)] as [number, number],
  };
  const boxBusyS = ((boxEnd.busy - cpuStart.box.busy) / Math.max(1, boxEnd.total - cpuStart.box.total)) * cpus().length * ((Date.now() - firstSubmitAt) / 1000);
  cpu.otherS = round(Math.max(0, boxBusyS - cpu.apiS - cpu.workersS - cpu.simsS - cpu.postgresS - cpu.benchS), 1);
  monitoring = false;
  await Promise.all([sampler, eventsLoop]);
  await readEvents();

  const leaseCounts = await Promise.all(leaseKeys.map((k) => redis.zcard(k)));
  const rrRaw = await redis.get(`${prefix}:rr`);
  const queueLeft = {
    wait: await redis.llen(`${q}:wait`),
    prioritized: await redis.zcard(`${q}:prioritized`),
    delayed: await redis.zcard(`${q}:delayed`),
    active: await redis.llen(`${q}:active`),
  };

  const backendTimes = await backendTimesOf(sims);
  const { rows } = await pool.query<{
    id: string;
    status: string;
    backend_id: string | null;
    attempts: number;
    created: number;
    started: number | null;
    finished: number | null;
    first_dispatched: number | null;
    last_dispatched: number | null;
    prompt_id: string | null;
  }>(`
    SELECT j.id::text AS id, j.status::text AS status, j.backend_id, j.attempts,
           (extract(epoch FROM j.created_at) * 1000)::float8 AS created,
           (extract(epoch FROM j.started_at) * 1000)::float8 AS started,
           (extract(epoch FROM j.finished_at) * 1000)::float8 AS finished,
           j.prompt_id,
           (extract(epoch FROM d.first_at) * 1000)::float8 AS first_dispatched,
           (extract(epoch FROM d.last_at) * 1000)::float8 AS last_dispatched
      FROM jobs j
      LEFT JOIN (SELECT job_id, min(created_at) AS first_at, max(created_at) AS last_at
                   FROM job_events WHERE type = 'state' AND payload->>'status' = 'dispatched'
                  GROUP BY job_id) d ON d.job_id = j.id
     WHERE ${TIMED.replaceAll('metadata', 'j.metadata')}`);
  const jobs: JobTimes[] = rows.map((r) => ({
    id: r.id,
    status: r.status,
    backendId: r.backend_id,
    attempts: r.attempts,
    createdAt: r.created,
    firstDispatchedAt: r.first_dispatched,
    dispatchedAt: r.last_dispatched,
    startedAt: r.started,
    finishedAt: r.finished,
    backendEndAt: r.prompt_id ? (backendTimes.get(r.prompt_id)?.finishedAt ?? null) : null,
    backendStartAt: r.prompt_id ? (backendTimes.get(r.prompt_id)?.startedAt ?? null) : null,
  }));

  if (stuck) {
    const open = jobs.filter((j) => !['succeeded', 'failed', 'canceled'].includes(j.status)).slice(0, 5);
    const detail = [
      stuck,
      `  lease sets (live entries per backend): ${JSON.stringify(Object.fromEntries(sims.map((s, i) => [s.id, leaseCounts[i]])))}`,
      `  queue keys: ${JSON.stringify(queueLeft)}`,
      ...open.map((j) => `  open job ${j.id}: ${j.status} on ${j.backendId ?? '-'}, attempts ${j.attempts}`),
      ...workers.map((w) => w.tail(3)),
    ].join('\n');
    stuck = detail;
    log(`${policy}: STUCK\n${detail}`);
  }

  const figures = computeFigures(jobs, sims, config.steps, firstSubmitAt, finalSubmitAt, WORKER_TUNING.queueAhead);
  const result: PhaseResult = {
    policy,
    figures,
    gapSplit: gapSplit(jobs, sims, config.steps, figures.overheadMs.p50 ?? 0, leaseStarts, firstSubmitAt),
    overheadSplit: overheadSplit(jobs, sims, config.steps),
    sampled: sampledUtilization(samples, sims),
    submitErrors,
    submitErrorSample,
    delayedEvents,
    stalledEvents,
    announcedFrees,
    leasesLeftAfter: leaseCounts.reduce((a, b) => a + b, 0),
    rrCounter: rrRaw === null ? null : Number(rrRaw),
    queueLeft,
    warnings: [api, ...workers].reduce((s, p) => s + p.warnCount, 0),
    warningSample: [api, ...workers].flatMap((p) => p.warnings.map((w) => `[${p.name}] ${w}`)).slice(0, 5),
    stuck,
    cpu,
    workerCommands: commandCount ? sumCounts(Object.values(await commandCount.stop(workers))) : null,
  };
  log(`${policy}: makespan ${(figures.makespanMs / 1000).toFixed(1)} s; stopping its processes`);
  for (const t of phaseTasks.reverse()) await t();
  return { result, sims };
}

/** Each prompt's end on its gpu-sim (`GET /gpu-sim/executions`): where a worker frees its slot. */
/** Each prompt's own start and end on its gpu-sim (its execution record), by prompt id. */
async function backendTimesOf(sims: Sim[]): Promise<Map<string, { startedAt: number; finishedAt: number }>> {
  const times = new Map<string, { startedAt: number; finishedAt: number }>();
  for (const sim of sims) {
    const res = await fetch(`${sim.url}/gpu-sim/executions`);
    if (!res.ok) throw new Error(`gpu-sim ${sim.id}: GET /gpu-sim/executions answered ${res.status}`);
    const { executions } = (await res.json()) as { executions: Array<{ prompt_id: string; started_at: number; finished_at: number }> };
    for (const e of executions) times.set(e.prompt_id, { startedAt: e.started_at, finishedAt: e.finished_at });
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtMs = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const trio = (s: Summary) => `${fmtMs(s.p50)} / ${fmtMs(s.p95)} / ${fmtMs(s.p99)}`;
const duo = (s: Summary) => (s.count ? `${fmtMs(s.p50)} / ${fmtMs(s.p95)}` : 'n/a');

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function report(results: PhaseResult[], sims: Sim[]): void {
  const f = (fn: (r: PhaseResult) => string) => results.map(fn);
  const rows: string[][] = [
    ['jobs succeeded / failed / unfinished' + (results.some((r) => r.figures.unfinished) ? ' (INCOMPLETE)' : ''), ...f((r) => `${r.figures.succeeded} / ${r.figures.failed} / ${r.figures.unfinished}`)],
    ['submit: all jobs accepted after', ...f((r) => fmtMs(r.figures.submitMs) + (r.submitErrors ? ` (${r.submitErrors} refused)` : ''))],
    ['makespan (first submit → last finish)', ...f((r) => fmtMs(r.figures.makespanMs))],
    ['lower bound (sampler work / fleet speed)', ...f((r) => fmtMs(r.figures.lowerBoundMs))],
    ['makespan / lower bound', ...f((r) => `${r.figures.ratio.toFixed(2)}x`)],
    ['per-job overhead p50 (slot held: dispatch → the backend\'s end, − steps)', ...f((r) => fmtMs(r.figures.overheadMs.p50))],
    ['  the job: dispatch → success recorded, − steps p50 / p95', ...f((r) => duo(r.figures.jobOverheadMs))],
    ['  bookkeeping after the backend\'s end (→ success recorded) p50 / p95', ...f((r) => duo(r.figures.bookkeepingMs))],
    ['bound with that overhead; makespan / it', ...f((r) => `${fmtMs(r.figures.lowerBoundWithOverheadMs)}; ${r.figures.ratioWithOverhead.toFixed(2)}x`)],
    [
      '  its excess: start / gaps queued / gaps idle / tail / overhead > p50',
      ...f((r) => {
        const l = r.figures.loss;
        return [l.start, l.gapsUnderBacklog, l.gapsOther, l.tail, l.overheadAboveP50].map((v) => v.toFixed(3)).join(' / ') + (l.otherIdle ? ` (+${l.otherIdle.toFixed(3)} cap>1)` : '');
      }),
    ],
    ['per-job overhead mean / p95', ...f((r) => `${fmtMs(r.figures.overheadMs.mean)} / ${fmtMs(r.figures.overheadMs.p95)}`)],
    ['  dispatch → running p50 / mean / p95', ...f((r) => `${fmtMs(r.overheadSplit.toRunning.p50)} / ${fmtMs(r.overheadSplit.toRunning.mean)} / ${fmtMs(r.overheadSplit.toRunning.p95)}`)],
    ['  running → finished beyond the steps p50 / mean / p95', ...f((r) => `${fmtMs(r.overheadSplit.afterSteps.p50)} / ${fmtMs(r.overheadSplit.afterSteps.mean)} / ${fmtMs(r.overheadSplit.afterSteps.p95)}`)],
    ['  inside the backend (its run beyond the steps) p50 / mean / p95', ...f((r) => `${fmtMs(r.overheadSplit.inBackend.p50)} / ${fmtMs(r.overheadSplit.inBackend.mean)} / ${fmtMs(r.overheadSplit.inBackend.p95)}`)],
    ['  Gantry\'s part (dispatch → backend start, backend end → success) p50 / mean / p95', ...f((r) => `${fmtMs(r.overheadSplit.gantry.p50)} / ${fmtMs(r.overheadSplit.gantry.mean)} / ${fmtMs(r.overheadSplit.gantry.p95)}`)],
    ['    dispatch → backend start (a prompt queued behind a running one waits here) p50 / mean / p95', ...f((r) => `${fmtMs(r.overheadSplit.toBackendStart.p50)} / ${fmtMs(r.overheadSplit.toBackendStart.mean)} / ${fmtMs(r.overheadSplit.toBackendStart.p95)}`)],
    ['  last 8 taken: backend (ms/step) and finish after the last take', ...f((r) => r.figures.lastTaken.map((t) => `${config.sims.find((s) => s.id === t.backendId)?.stepMs ?? '?'}:${fmtMs(t.finishedAfterMs)}`).join(' '))],
    ['throughput (jobs/s)', ...f((r) => r.figures.throughputJobsPerS.toFixed(1))],
    ['backlog phase / drain tail', ...f((r) => `${fmtMs(r.figures.backlogMs)} / ${fmtMs(r.figures.drainMs)}`)],
    ['utilization: slot held / makespan', ...f((r) => pct(r.figures.utilization))],
    ['utilization while jobs queued (db)', ...f((r) => pct(r.figures.backlogUtilization))],
    ['utilization while jobs queued (leases)', ...f((r) => pct(r.sampled.backlog))],
    ['sampler busy (steps × ms/step) / makespan', ...f((r) => pct(r.figures.samplerUtilization))],
    ['queue wait p50 / p95 / p99', ...f((r) => trio(r.figures.queueWaitMs))],
    ['overtaken by later jobs p50 / p99 / max', ...f((r) => `${r.figures.overtakenBy.p50 ?? 'n/a'} / ${r.figures.overtakenBy.p99 ?? 'n/a'} / ${r.figures.overtakenBy.max ?? 'n/a'}`)],
    ['idle gap under backlog p50 / p95', ...f((r) => duo(r.figures.idleGapMs))],
    ['GPU idle between prompts under backlog (backend\'s end → next start) p50 / p95', ...f((r) => duo(r.figures.gpuIdleBetweenPromptsMs))],
    ['  of which slot free (the backend\'s end → next dispatch) p50 / p95', ...f((r) => duo(r.figures.slotIdleGapMs))],
    [
      '  slot free → next lease / lease → dispatch p50 / p95 (excess; gaps matched)',
      ...f((r) => {
        const g = r.gapSplit;
        return `${duo(g.freeToLease)} (${g.lossFreeToLease.toFixed(3)}) / ${duo(g.leaseToDispatch)} (${g.lossLeaseToDispatch.toFixed(3)}); ${g.matched}/${g.gaps}`;
      }),
    ],
    ['jobs taken by workers without a slot mean / max', ...f((r) => (r.sampled.heldWithoutSlot ? `${r.sampled.heldWithoutSlot.mean} / ${r.sampled.heldWithoutSlot.max}` : 'n/a'))],
    ['hand-backs + retry delays (BullMQ)', ...f((r) => String(r.delayedEvents))],
    ['slots freed and announced (not handed over on the same backend) per job', ...f((r) => (r.announcedFrees / Math.max(1, r.figures.jobs)).toFixed(2))],
    ['  handed straight to a waiting job on the same backend per job (1 − announced; retries aside)', ...f((r) => Math.max(0, 1 - r.announcedFrees / Math.max(1, r.figures.jobs)).toFixed(2))],
    ...(results.some((r) => r.workerCommands)
      ? [['workers\' Redis commands per job (MONITOR)', ...f((r) => (r.workerCommands ? perJobText(r.workerCommands, Math.max(1, r.figures.jobs), 8) : 'n/a'))]]
      : []),
    ['stalled jobs / retried jobs', ...f((r) => `${r.stalledEvents} / ${r.figures.retried}`)],
    ['over capacity (db: dispatch → the backend\'s end / lease samples)', ...f((r) => `${r.figures.overCapacity.length ? r.figures.overCapacity.join(' ') : 'none'} / ${r.sampled.overCapacity}`)],
    ['leases left 1 s after the last job', ...f((r) => String(r.leasesLeftAfter))],
    ['round-robin counter = lease attempts (policy evidence)', ...f((r) => (r.rrCounter === null ? 'absent' : String(r.rrCounter)))],
    ['warn/error log lines', ...f((r) => String(r.warnings))],
    ['CPU s: api / workers / gpu-sim / postgres / bench', ...f((r) => `${r.cpu.apiS} / ${r.cpu.workersS} / ${r.cpu.simsS} / ${r.cpu.postgresS} / ${r.cpu.benchS}`)],
    [`box CPU busy (${results[0]?.cpu.cores ?? '?'} cores); load avg 1 min`, ...f((r) => `${pct(r.cpu.boxBusy)}; ${r.cpu.loadavg1[0]} → ${r.cpu.loadavg1[1]}`)],
    ['CPU s used by other processes on the box', ...f((r) => String(r.cpu.otherS))],
  ];
  console.log('');
  console.log(
    `Scheduling: ${config.jobs} jobs × ${config.steps} steps (${config.size}x${config.size}), ${config.workers} workers sharing ${sims.length} simulated GPUs in 1 gpu-sim process ` +
      `(ms/step: ${sims.map((s) => (s.capacity > 1 ? `${s.stepMs}:${s.capacity}` : String(s.stepMs))).join(',')}), ${config.concurrency} parallel submits, ` +
      `${config.warmup < 0 ? 2 * sims.reduce((n, s) => n + s.capacity, 0) : config.warmup} warm-up jobs before` +
      (WORKER_TUNING.leadMs ? `; workers with GANTRY_SLOT_LEAD_MS=${WORKER_TUNING.leadMs}${WORKER_TUNING.queueAhead ? ', GANTRY_QUEUE_AHEAD=true' : ''}` : ''),
  );
  const code = provenance();
  console.log(`code: ${code.commit}${code.modifiedFiles ? ` + ${code.modifiedFiles} modified tracked files` : ''}`);
  console.log('');
  console.log(table(['figure', ...results.map((r) => r.policy)], rows));
  console.log('');
  const head = ['backend', 'ms/step', 'cap', 'ideal jobs'];
  for (const r of results) {
    const t = r.policy === 'least-connections' ? 'LC' : 'RR';
    head.push(`jobs ${t}`, `util ${t}`, `sampler ${t}`, `gap p50/p95 ${t}`);
  }
  const per = sims.map((s, i) => {
    const cells = [s.id, String(s.stepMs), String(s.capacity), String(results[0]?.figures.backends[i]?.idealJobs ?? '')];
    for (const r of results) {
      const b = r.figures.backends[i];
      cells.push(String(b?.jobs ?? ''), pct(b?.utilization), pct(b?.samplerUtilization), b ? duo(b.idleGap) : '');
    }
    return cells;
  });
  console.log(table(head, per));
  for (const r of results) {
    if (r.stuck) console.log(`\n${r.policy}: STUCK: ${r.stuck}`);
    if (r.submitErrorSample.length) console.log(`\n${r.policy}: submit errors, e.g.:\n  ${r.submitErrorSample.join('\n  ')}`);
    if (r.warningSample.length) console.log(`\n${r.policy}: ${r.warnings} warn/error log lines, e.g.:\n  ${r.warningSample.join('\n  ')}`);
  }
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'scheduling',
      at: new Date().toISOString(),
      code: provenance(),
      config: { ...config, sims: sims.map(({ id, stepMs, capacity }) => ({ id, stepMs, capacity })) },
      results: results.map((r) => ({ ...r, warningSample: undefined, figures: r.figures })),
    }),
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const base = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
  const results: PhaseResult[] = [];
  let sims: Sim[] = [];
  for (const policy of config.policies) {
    const phase = await runPhase(policy, base);
    results.push(phase.result);
    sims = phase.sims;
  }
  await cleanupAll();
  report(results, sims);
  incomplete = results.some((r) => r.stuck !== null || r.figures.unfinished > 0);
  log(`done in ${round((Date.now() - started) / 1000, 1)} s`);
  for (const p of problems) log(`cleanup problem: ${p}`);
}

let incomplete = false;
main().then(
  () => process.exit(problems.length || incomplete ? 1 : 0),
  async (err: unknown) => {
    if (interrupted) return; // the signal handler cleans up and exits
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanupAll();
    for (const p of problems) log(`cleanup problem: ${p}`);
    process.exit(1);
  },
);
