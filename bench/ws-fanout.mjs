#!/usr/bin/env node
// WebSocket fan-out benchmark of /api/v1/stream: `npm run bench:ws [-- --subscribers 5000 --jobs 40]`.
//
// Starts its own stack (fresh database, random Redis prefix, gpu-sims, one worker process, one API
// process), connects N subscribers (most follow `all` jobs of the tenant, the rest one job each),
// measures the API process's memory per idle connection, then runs M jobs and measures how fast
// and how correctly their events reach every subscriber. Prints figures; asserts nothing.
// With --synthetic-rate there is no worker: a synthetic publisher and raw TCP subscribers saturate
// the API's fan-out (bench/lib/synthetic-run.mjs).
// See bench/README.md for what each figure means.
import { execSync, spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureServices } from '../scripts/services.mjs';
import { BenchStack, ROOT } from './lib/stack.mjs';
import { connectAll, Observations, Subscriber } from './lib/subscribers.mjs';
import { runSynthetic, syntheticRows } from './lib/synthetic-run.mjs';
import { runStorm, stormRows } from './lib/synthetic-storm.mjs';
import { Histogram, kib, mainThreadWaitMs, mib, ms, procCpuMs, procMemory, procSocketCount, table } from './lib/stats.mjs';

const OPTIONS = {
  subscribers: { type: 'string', default: '5000', help: 'WebSocket subscribers to connect' },
  jobs: { type: 'string', default: '40', help: 'jobs to run while they are connected' },
  'job-share': { type: 'string', default: '0.2', help: 'fraction of subscribers that follow one job (the rest: all)' },
  gpus: { type: 'string', default: '3', help: 'simulated GPUs (capacity 1 each)' },
  'step-ms': { type: 'string', default: '20', help: 'milliseconds per sampler step in the sims' },
  steps: { type: 'string', default: '20', help: 'sampler steps per job' },
  size: { type: 'string', default: '64', help: 'image width and height' },
  'connect-concurrency': { type: 'string', default: '100', help: 'handshakes in flight at once (until ready)' },
  'connect-timeout': { type: 'string', default: '30', help: 'seconds one connect may take before it is retried' },
  'submit-concurrency': { type: 'string', default: '4', help: 'job submissions in flight at once' },
  'probe-every': { type: 'string', default: '20', help: 'milliseconds between GET /jobs/{id} probes (one at a time, own process)' },
  idle: { type: 'string', default: '3', help: 'seconds to let the connected subscribers idle before measuring' },
  drain: { type: 'string', default: '30', help: 'seconds to wait, after the last job ended, for its events to arrive everywhere' },
  timeout: { type: 'string', default: '300', help: 'overall limit in seconds' },
  'no-raw': { type: 'boolean', default: false, help: 'skip the raw ws baseline (plain ws fanning out the same jobs)' },
  'synthetic-rate': { type: 'string', default: '', help: 'events/s, comma-separated steps (e.g. 100,200,400): the saturated mode (no worker: a synthetic publisher stores and publishes progress events of real jobs; raw TCP subscribers count frames; see bench/README.md)' },
  'synthetic-seconds': { type: 'string', default: '20', help: 'seconds per --synthetic-rate step (and per baseline phase with no subscribers)' },
  'raw-procs': { type: 'string', default: '1', help: 'processes the raw TCP subscribers of --synthetic-rate are spread over' },
  storm: { type: 'string', default: '', help: 'sockets, comma-separated (e.g. 300,1000,3000): the reconnect-storm mode (no worker: that many raw `all` subscribers connect at once while --storm-jobs jobs are queued; time until every socket has its snapshots, API CPU and loop, GET, PostgreSQL transactions; see bench/README.md)' },
  'storm-jobs': { type: 'string', default: '10', help: 'active (queued) jobs during each --storm step, comma-separated (e.g. 10,100)' },
  'storm-by': { type: 'string', default: 'all', help: "how each --storm socket subscribes: 'all' (every job of the tenant) or 'job' (the --storm-jobs jobs by id, each with the lastSeq it has, as a client reconnecting to the jobs it watches; at most 100)" },
  'storm-wait': { type: 'string', default: '120', help: 'seconds one --storm step may wait for every snapshot' },
  'api-cpu-prof': { type: 'string', default: '', help: 'directory: run the API with --cpu-prof and write its CPU profile there (on exit)' },
  help: { type: 'boolean', default: false, help: 'this text' },
};

function usage() {
  const lines = Object.entries(OPTIONS).map(([k, o]) => `  --${k.padEnd(20)} ${o.help}${o.type === 'string' ? ` (default ${o.default})` : ''}`);
  return `usage: npm run bench:ws -- [options]\n${lines.join('\n')}\nEnvironment: DATABASE server from TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres), REDIS_URL.\nGANTRY_WS_* variables are passed to the API process.`;
}

let values;
try {
  values = parseArgs({ options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, default: o.default }])) }).values;
} catch (err) {
  console.error(`${err.message}\n${usage()}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage());
  process.exit(0);
}
const num = (name, min = 0) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) {
    console.error(`--${name} must be a number >= ${min}`);
    process.exit(2);
  }
  return v;
};
const cfg = {
  subscribers: Math.floor(num('subscribers', 1)),
  jobs: Math.floor(num('jobs', 1)),
  jobShare: Math.min(1, num('job-share')),
  gpus: Math.floor(num('gpus', 1)),
  stepMs: num('step-ms'),
  steps: Math.floor(num('steps', 1)),
  size: Math.floor(num('size', 8)),
  connectConcurrency: Math.floor(num('connect-concurrency', 1)),
  connectTimeoutMs: num('connect-timeout', 1) * 1000,
  submitConcurrency: Math.floor(num('submit-concurrency', 1)),
  probeEveryMs: num('probe-every', 1),
  idleMs: num('idle') * 1000,
  drainMs: num('drain') * 1000,
  timeoutMs: num('timeout', 10) * 1000,
  noRaw: values['no-raw'],
  apiCpuProf: values['api-cpu-prof'] ? path.resolve(values['api-cpu-prof']) : null,
  syntheticRates: values['synthetic-rate'] ? values['synthetic-rate'].split(',').map(Number) : null,
  syntheticSeconds: num('synthetic-seconds', 1),
  rawProcs: Math.floor(num('raw-procs', 1)),
  storm: values.storm ? values.storm.split(',').map(Number) : null,
  stormJobs: values['storm-jobs'].split(',').map(Number),
  stormWaitSeconds: num('storm-wait', 1),
  stormBy: values['storm-by'],
};
if (cfg.storm && (!['all', 'job'].includes(cfg.stormBy) || (cfg.stormBy === 'job' && cfg.stormJobs.some((n) => n > 100)))) {
  console.error("--storm-by must be 'all' or 'job' (by job: --storm-jobs at most 100, the ids one subscribe may name)");
  process.exit(2);
}
if (cfg.storm && [...cfg.storm, ...cfg.stormJobs].some((n) => !Number.isInteger(n) || n <= 0)) {
  console.error('--storm and --storm-jobs must be positive integers, comma-separated');
  process.exit(2);
}
if (cfg.storm) cfg.subscribers = Math.max(...cfg.storm);
if (cfg.syntheticRates?.some((r) => !Number.isFinite(r) || r <= 0)) {
  console.error('--synthetic-rate must be positive numbers, comma-separated');
  process.exit(2);
}
const command = `npm run bench:ws${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

const t0 = Date.now();
const log = (msg) => console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

// --- file descriptors: every subscriber is one fd here and one in the API process ---------------
// Node raises its soft limit to the hard limit at start, so what counts is the hard limit, which
// only a privileged shell (root, CAP_SYS_RESOURCE) can raise: try that, else run fewer subscribers.
function ulimit(flag) {
  const out = execSync(`ulimit ${flag}`, { shell: '/bin/sh' }).toString().trim();
  return out === 'unlimited' ? Infinity : Number(out);
}
function canRaise(target) {
  try {
    execSync(`ulimit -n ${target}`, { shell: '/bin/sh', stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
{
  const soft = ulimit('-n');
  const hard = ulimit('-Hn');
  const need = cfg.subscribers * 2 + 100;
  log(`ulimit -n: ${soft} (hard ${hard}); ${cfg.subscribers} subscribers need ${need} (one fd each in this process and in the API, plus margin)`);
  if (soft < need) {
    const target = [Math.max(need, 65536), need].find((t) => !process.env.BENCH_WS_REEXEC && canRaise(t));
    if (target) {
      log(`raising the limit: re-running through sh -c "ulimit -n ${target}; exec node ..."`);
      const child = spawn('/bin/sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_WS_REEXEC: '1' },
      });
      // The terminal's Ctrl-C reaches the child too; this process only waits for it.
      process.on('SIGINT', () => undefined);
      process.on('SIGTERM', () => child.kill('SIGTERM'));
      child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
      await new Promise(() => undefined);
    }
    const reduced = Math.max(1, Math.floor((soft - 100) / 2));
    log(
      `WARNING: the fd limit ${soft} is below ${need} and cannot be raised here; lowering --subscribers from ${cfg.subscribers} to ${reduced}. ` +
        `For the full count raise the hard limit (as root: ulimit -Hn ${need}, or nofile in /etc/security/limits.conf).`,
    );
    cfg.subscribers = reduced;
  }
}

// --- the run ---------------------------------------------------------------------------------------
const stack = new BenchStack({ log });
const obs = new Observations();
const subs = [];
const results = { command, config: cfg, phase: 'start', loadavgAtStart: loadavg()[0] };
let finished = false;

async function shutdown(code, why) {
  if (finished) return;
  finished = true;
  if (why) log(why);
  for (const s of subs) s.close();
  if (results.phase !== 'done' && (results.connect || results.synthetic || results.storm)) printReport(results, true);
  log('cleaning up: stopping processes, dropping the database, deleting Redis keys');
  const problems = await stack.cleanup();
  for (const p of problems) log(`cleanup problem: ${p}`);
  if (!problems.length) log(`cleaned up (database ${stack.dbName}, Redis prefix ${stack.prefix}:*)`);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130, 'interrupted'));
process.on('SIGTERM', () => void shutdown(143, 'terminated'));
process.on('SIGHUP', () => void shutdown(129, 'terminal closed'));
// Whatever goes wrong, the database, the Redis keys and the processes are still cleaned up; a
// closed output pipe (`| head`) must not kill the bench before that.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
process.on('uncaughtException', (err) => void shutdown(1, `unexpected error: ${err?.stack ?? err}`));
process.on('unhandledRejection', (err) => void shutdown(1, `unexpected rejection: ${err?.stack ?? err}`));
const overall = setTimeout(() => void shutdown(3, `overall timeout of ${cfg.timeoutMs / 1000} s reached; figures so far follow`), cfg.timeoutMs);
overall.unref();
const deadline = t0 + cfg.timeoutMs;

const sleep = (msDelay) => new Promise((r) => setTimeout(r, msDelay));

/** The default workflow fixture; a distinct seed per job, or the sim (like ComfyUI) serves it from its cache. */
let seed = Math.floor(Math.random() * 1e12);
function workflow() {
  const wf = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8'));
  for (const node of Object.values(wf)) {
    if (node.class_type === 'KSampler') Object.assign(node.inputs, { steps: cfg.steps, seed: seed++ });
    if (node.class_type === 'EmptyLatentImage') Object.assign(node.inputs, { width: cfg.size, height: cfg.size });
  }
  return wf;
}

async function http(method, urlPath, body, key = stack.adminKey, timeoutMs = 30_000) {
  const res = await fetch(`${stack.apiUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${text.slice(0, 300)}`);
  return parsed;
}

/** Runs `fn` over items with at most `limit` at once. */
async function pool(items, limit, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) {
      const index = i++;
      await fn(items[index], index);
    }
  }));
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/**
 * Waits until every job is finished: as the subscribers saw it (a terminal state event), or as
 * GET /jobs/{id} says. The API may take very long to answer HTTP while it fans out, so a slow or
 * failed poll is only counted and retried.
 */
async function waitJobsDone(ids, untilMs, seen = new Map()) {
  const status = new Map();
  let lastPoll = 0;
  for (;;) {
    for (const id of ids) if (seen.has(id)) status.set(id, seen.get(id));
    const open = ids.filter((id) => !TERMINAL.has(status.get(id)));
    if (open.length === 0) return status;
    if (Date.now() > untilMs) throw new Error(`${open.length} job(s) still not finished`);
    if (Date.now() - lastPoll > 1000) {
      lastPoll = Date.now();
      await pool(open.slice(0, 8), 8, async (id) => {
        try {
          status.set(id, (await http('GET', `/api/v1/jobs/${id}`)).status);
        } catch {
          httpErrors += 1;
        }
      });
    }
    await sleep(100);
  }
}
let httpErrors = 0;

/** API memory: after a forced GC (heap figures) and RSS from /proc. */
async function apiMemory() {
  const { mem } = await stack.api.ask('mem', { gc: true });
  const proc = procMemory(stack.api.pid);
  return { rss: proc?.rss ?? NaN, hwm: proc?.hwm ?? NaN, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers };
}

/**
 * GET /jobs/{id} one at a time, every --probe-every ms, until stopped: how HTTP answers meanwhile.
 * From its own process (bench/lib/get-probe.mjs): timed here, the bench clients' own queueing
 * would count. The probe process's own event-loop delay and CPU wait come back with the times, so
 * a slow answer can be told from a probe that was not running.
 */
async function getProbe(jobId) {
  const probe = stack.getProbe ?? (await stack.startGetProbe(cfg.probeEveryMs));
  const started = stack.nextMessage(probe, 'getProbeStarted', 30_000);
  await probe.ask('loop-reset');
  const wait0 = mainThreadWaitMs(probe.pid);
  const t = Date.now();
  probe.proc.send({ getProbe: 'start', jobId });
  await started;
  return {
    stop: async () => {
      const result = stack.nextMessage(probe, 'getProbeResult', 180_000);
      probe.proc.send({ getProbe: 'stop' });
      const { times, failed } = await result;
      const histogram = new Histogram();
      for (const x of times) histogram.add(x);
      const { loop } = await probe.ask('loop');
      const waitPct = (mainThreadWaitMs(probe.pid) - wait0) / 10 / Math.max(0.001, (Date.now() - t) / 1000);
      return { ms: { ...histogram.summary(), p90: histogram.percentile(90) }, failed, histogram, probeLoopMs: loop, probeWaitPct: waitPct };
    },
  };
}

/** The API's event-loop delay histogram and GC pauses since the last `loop-reset` (bench/lib/child-probe.mjs). */
async function apiLoop() {
  const { loop, gc } = await stack.api.ask('loop');
  return { loop, gc };
}

/** The fan-out's slice histogram from the API's /metrics (null when this API has none). */
async function sliceCounts() {
  const text = await fetch(`${stack.apiUrl}/metrics`, { signal: AbortSignal.timeout(60_000) }).then((r) => r.text()).catch(() => '');
  // Lines carry the registry's default labels (service, instance_id) besides `le`.
  const series = (suffix, le) =>
    text.split('\n').find((l) => l.startsWith(`gantry_ws_fanout_slice_seconds_${suffix}`) && (le === undefined || l.includes(`le="${le}"`)));
  const value = (suffix, le) => Number(series(suffix, le)?.split(' ').pop() ?? NaN);
  const count = value('count');
  if (!Number.isFinite(count)) return null;
  return { count, sum: value('sum'), le10: value('bucket', '0.01'), le25: value('bucket', '0.025'), le50: value('bucket', '0.05'), le100: value('bucket', '0.1') };
}

/** Every GET of the quiet phases together: the baseline of the fan-out's GET figures. */
const quietGets = new Histogram();

/**
 * The HTTP baseline, interleaved with the fan-out (before the subscribers connect and after they
 * left): the same jobs run with no subscriber, and the same GET probe times the API meanwhile.
 * The worker must be running.
 */
async function quietPhase(label) {
  await stack.api.ask('loop-reset');
  const cpu0 = procCpuMs(stack.api.pid);
  const wait0 = mainThreadWaitMs(stack.api.pid);
  const start = Date.now();
  const ids = [(await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-quiet' } })).id];
  const probe = await getProbe(ids[0]);
  await pool([...Array(cfg.jobs - 1).keys()], cfg.submitConcurrency, async () => {
    ids.push((await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-quiet' } })).id);
  });
  await waitJobsDone(ids, Math.min(deadline, Date.now() + 120_000));
  const get = await probe.stop();
  quietGets.merge(get.histogram);
  const seconds = (Date.now() - start) / 1000;
  const { loop, gc } = await apiLoop();
  const r = {
    label,
    seconds,
    get: get.ms,
    getFailed: get.failed,
    probeLoopMs: get.probeLoopMs,
    probeWaitPct: get.probeWaitPct,
    apiLoopMs: loop,
    apiGc: gc,
    apiCpuPct: (procCpuMs(stack.api.pid) - cpu0) / 10 / seconds,
    apiRunQueueWaitPct: (mainThreadWaitMs(stack.api.pid) - wait0) / 10 / seconds,
    loadavg: loadavg()[0],
  };
  log(`quiet phase (${label}, no subscribers): ${cfg.jobs} jobs in ${seconds.toFixed(1)} s, GET p50 ${ms(r.get.p50)} p99 ${ms(r.get.p99)} (${r.get.count}), API loop max ${r.apiLoopMs.max} ms`);
  return r;
}

/**
 * The raw baseline: plain ws fanning out the same bus to as many sockets, for the same jobs;
 * its CPU per delivery is what the machine charges for a delivery done the obvious way right now.
 */
async function rawPhase(simUrls) {
  const url = await stack.startRawFanout();
  const rawObs = new Observations();
  const n = results.idle.open;
  const clients = Array.from({ length: n }, (_, i) => new Subscriber(i, 'all', rawObs));
  await connectAll(clients, { wsUrl: url, key: 'raw', concurrency: cfg.connectConcurrency, timeoutMs: cfg.connectTimeoutMs, retries: 3, deadline });
  const open = clients.filter((c) => c.ready).length;
  await stack.raw.ask('loop-reset');
  const cpu0 = procCpuMs(stack.raw.pid);
  const ids = [];
  await pool([...Array(cfg.jobs).keys()], cfg.submitConcurrency, async () => {
    ids.push((await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-raw' } })).id);
  });
  await waitJobsDone(ids, deadline, rawObs.terminal);
  const until = Math.min(deadline, Date.now() + cfg.drainMs);
  while (rawObs.doneStreams < open * cfg.jobs && Date.now() < until) await sleep(100);
  const seconds = Math.max(0.001, (Date.now() - (rawObs.firstEventAt ?? Date.now())) / 1000);
  const cpuMs = procCpuMs(stack.raw.pid) - cpu0;
  const delivered = rawObs.delivered.all;
  const loop = (await stack.raw.ask('loop')).loop;
  for (const c of clients) c.close();
  await stack.raw.stop();
  const r = {
    sockets: open,
    delivered,
    cpuMs,
    cpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, delivered),
    deliveredPerSecond: delivered / seconds,
    latency: rawObs.latency.all.summary(),
    loopMs: loop,
    gaps: rawObs.gaps,
    loadavg: loadavg()[0],
  };
  log(`raw ws baseline: ${delivered} deliveries to ${open} sockets, ${r.cpuUsPerDelivery.toFixed(1)} µs CPU each, loop max ${loop.max} ms`);
  return r;
}

async function main() {
  const wsUrl = () => `${stack.apiUrl.replace(/^http/, 'ws')}/api/v1/stream`;
  await ensureServices({ databaseUrl: stack.serverUrl, redisUrl: stack.redisUrl });
  log(`creating database ${stack.dbName}; Redis prefix ${stack.prefix}`);
  await stack.createDatabase();
  if (cfg.storm) {
    // The reconnect-storm mode: no worker, no sims (bench/lib/synthetic-storm.mjs).
    results.phase = 'stack';
    await stack.startApi({}, cfg.apiCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cfg.apiCpuProf}`] : []);
    log(`API up at ${stack.apiUrl} (pid ${stack.api.pid})`);
    return runStorm({ stack, cfg, log, http, pool, sleep, getProbe, apiLoop, results, workflow });
  }
  if (cfg.syntheticRates) {
    // The saturated mode: no worker, no sims (bench/lib/synthetic-run.mjs).
    results.phase = 'stack';
    await stack.startApi({}, cfg.apiCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cfg.apiCpuProf}`] : []);
    log(`API up at ${stack.apiUrl} (pid ${stack.api.pid})`);
    return runSynthetic({ stack, cfg, log, http, pool, sleep, getProbe, apiLoop, sliceCounts, results, deadline, workflow });
  }
  results.phase = 'stack';
  const simUrls = await stack.startSims(cfg.gpus, cfg.stepMs);
  log(`${cfg.gpus} gpu-sims up (step ${cfg.stepMs} ms): ${simUrls.join(' ')}`);
  await stack.startWorker(simUrls);
  await stack.startApi({}, cfg.apiCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cfg.apiCpuProf}`] : []);
  log(`API up at ${stack.apiUrl} (pid ${stack.api.pid}); worker pid ${stack.worker.pid}; sims pid ${stack.sims.pid}`);
  log(`API command: ${stack.api.command}`);

  // Subscribers use a read-only key of the tenant the admin key submits to.
  const tenant = process.env.GANTRY_DEFAULT_TENANT || 'default';
  const readKey = (await http('POST', '/api/v1/api-keys', { tenant, scopes: ['read'], name: 'bench-subscribers' })).key;

  // Warm-up: code paths of the API (HTTP, WebSocket, fan-out, replay) and of the worker are loaded
  // and JIT-compiled before the baseline is taken, so they are not counted as per-connection cost.
  results.phase = 'warm-up';
  const warmObs = new Observations();
  const warm = Array.from({ length: 20 }, (_, i) => new Subscriber(i, i % 2 ? 'all' : 'job', warmObs));
  await connectAll(warm, { wsUrl: wsUrl(), key: readKey, concurrency: 20, timeoutMs: 30_000, retries: 1, deadline });
  const warmJobs = [];
  for (let i = 0; i < Math.min(3, cfg.gpus + 1); i++) warmJobs.push((await http('POST', '/api/v1/jobs', { workflow: workflow() })).id);
  warm.filter((s) => s.mode === 'job').forEach((s, i) => s.subscribeJob(warmJobs[i % warmJobs.length]));
  await waitJobsDone(warmJobs, Math.min(deadline, Date.now() + 120_000));
  await sleep(1000);
  warm.forEach((s) => s.close());
  log(`warm-up: ${warmJobs.length} jobs done, ${warmObs.delivered.all + warmObs.delivered.job} events to ${warm.length} clients`);
  results.phase = 'quiet-before';
  results.quiet = [await quietPhase('before')];
  // The measured jobs are queued while no worker runs, so that every subscriber, the per-job ones
  // too, is subscribed before their first event is published; a fresh worker starts them all.
  await stack.worker.stop();
  await sleep(2000);

  // Baseline.
  results.phase = 'baseline';
  const before = await apiMemory();
  const socketsBefore = procSocketCount(stack.api.pid);
  results.before = before;
  log(`baseline: API RSS ${mib(before.rss)}, heap ${mib(before.heapUsed)}, ${socketsBefore} socket fds`);

  // Connect.
  results.phase = 'connect';
  const nJob = Math.round(cfg.subscribers * cfg.jobShare);
  for (let i = 0; i < cfg.subscribers; i++) subs.push(new Subscriber(i, i < cfg.subscribers - nJob ? 'all' : 'job', obs));
  // In two halves (same mix each): memory is also read at the half-way mark, and the second half's
  // growth is the per-connection figure. The first connections also absorb one-off changes (V8
  // heap growth, allocator arenas, RSS given back after the warm-up) that would blur a plain
  // (connected - baseline) / N at this size.
  const order = [...subs.filter((_, i) => i % 2 === 0), ...subs.filter((_, i) => i % 2 === 1)];
  const halves = [order.slice(0, Math.floor(order.length / 2)), order.slice(Math.floor(order.length / 2))];
  let cpuConnect = 0;
  let connectMs = 0;
  let connected = 0;
  const failed = [];
  let shown = 0;
  let mid = null;
  for (const [h, half] of halves.entries()) {
    const cpu0 = procCpuMs(stack.api.pid);
    const start = Date.now();
    const done = await connectAll(half, {
      wsUrl: wsUrl(),
      key: readKey,
      concurrency: cfg.connectConcurrency,
      timeoutMs: cfg.connectTimeoutMs,
      retries: 3,
      deadline,
      onProgress: (n) => {
        const total = connected + n;
        if (total >= ((shown + 1) * cfg.subscribers) / 10) {
          shown = Math.floor((total * 10) / cfg.subscribers);
          log(`connected ${total}/${cfg.subscribers}`);
        }
      },
    });
    connectMs += Date.now() - start;
    cpuConnect += procCpuMs(stack.api.pid) - cpu0;
    connected += done.connected;
    failed.push(...done.failed);
    if (h === 0) {
      await sleep(Math.min(cfg.idleMs, 2000));
      mid = { ...(await apiMemory()), open: subs.filter((x) => x.ready).length, bench: process.memoryUsage().rss };
    }
  }
  const connectSecs = connectMs / 1000;
  results.connect = {
    connected,
    failed: failed.length,
    seconds: connectSecs,
    perSecond: connected / connectSecs,
    readyMs: obs.connectMs.summary(),
    retries: obs.retries,
    failures: Object.fromEntries(obs.connectFailures),
    apiCpuPct: cpuConnect / 10 / connectSecs,
  };
  log(`connected ${connected}/${cfg.subscribers} in ${connectSecs.toFixed(1)} s (${failed.length} failed, ${obs.retries} retries)`);

  // Idle, then measure.
  results.phase = 'idle';
  await sleep(cfg.idleMs);
  const open = subs.filter((s) => s.ready);
  const idle = await apiMemory();
  const socketsIdle = procSocketCount(stack.api.pid);
  const benchIdle = process.memoryUsage();
  const secondHalf = Math.max(1, open.length - mid.open);
  results.idle = {
    ...idle,
    open: open.length,
    apiSocketsDelta: socketsIdle - socketsBefore,
    mid,
    // Whole run: (connected - baseline) / N.
    perConnRssTotal: (idle.rss - before.rss) / open.length,
    perConnHeapTotal: (idle.heapUsed - before.heapUsed) / open.length,
    // Second half only: the growth per added connection (the figure to plan with).
    perConnRss: (idle.rss - mid.rss) / secondHalf,
    perConnHeap: (idle.heapUsed - mid.heapUsed) / secondHalf,
    perConnExternal: (idle.external - mid.external) / secondHalf,
    benchRss: benchIdle.rss,
    benchPerConnRss: (benchIdle.rss - mid.bench) / secondHalf,
  };
  log(`idle: ${open.length} open, API RSS ${mib(idle.rss)} (+${kib(results.idle.perConnRss)}/conn), heap ${mib(idle.heapUsed)} (+${kib(results.idle.perConnHeap)}/conn)`);

  // Jobs.
  results.phase = 'submit';
  const jobSubsByIndex = new Map();
  const jobSubs = open.filter((s) => s.mode === 'job');
  jobSubs.forEach((s, i) => {
    const k = i % cfg.jobs;
    if (!jobSubsByIndex.has(k)) jobSubsByIndex.set(k, []);
    jobSubsByIndex.get(k).push(s);
  });
  const jobIds = new Array(cfg.jobs);
  const submitMs = new Histogram();
  const submitStart = Date.now();
  await pool([...Array(cfg.jobs).keys()], cfg.submitConcurrency, async (k) => {
    const s0 = Date.now();
    const job = await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-fanout', index: k } });
    submitMs.add(Date.now() - s0);
    jobIds[k] = job.id;
    for (const s of jobSubsByIndex.get(k) ?? []) s.subscribeJob(job.id);
  });
  const ackUntil = Math.min(deadline, Date.now() + 60_000);
  while (obs.jobAcks < jobSubs.length && Date.now() < ackUntil) await sleep(50);
  log(`submitted ${cfg.jobs} jobs in ${((Date.now() - submitStart) / 1000).toFixed(1)} s (no worker yet); ${obs.jobAcks}/${jobSubs.length} per-job subscriptions acknowledged`);

  // Run them: start the worker. CPU and event-loop figures count from here (the API is idle now;
  // it would not even answer the probe during the first burst of fan-out).
  results.phase = 'jobs';
  obs.firstEventAt = null;
  const deliveredBefore = obs.delivered.all + obs.delivered.job;
  // The scrape first: /metrics walks every socket's handle and file descriptor (prom-client's
  // process metrics), tens of ms with 5000 sockets, which is not the fan-out's doing.
  const slices0 = await sliceCounts();
  await stack.api.ask('loop-reset');
  const loopBench = monitorEventLoopDelay({ resolution: 5 });
  loopBench.enable();
  const cpuApi0 = procCpuMs(stack.api.pid);
  const waitApi0 = mainThreadWaitMs(stack.api.pid);
  const cpuBench0 = process.cpuUsage();
  const launched = Date.now();
  await stack.startWorker(simUrls);
  while (obs.firstEventAt === null && Date.now() < Math.min(deadline, launched + 120_000)) await sleep(5);
  if (obs.firstEventAt === null) throw new Error(`no event within 120 s of starting the worker:\n${stack.worker.tail()}`);
  const jobsStart = obs.firstEventAt;
  const cpuWorker0 = procCpuMs(stack.worker.pid);
  log(`worker up (pid ${stack.worker.pid}) after ${((jobsStart - launched) / 1000).toFixed(1)} s; events flowing`);
  // How the HTTP API answers while it fans out: one GET at a time, every 100 ms (as in the quiet phases).
  const probe = await getProbe(jobIds[0]);
  const statuses = await waitJobsDone(jobIds, deadline, obs.terminal);
  const jobsEnd = Date.now();
  // Until every event reached every client: the fan-out is what is measured, not the jobs.
  const drainUntilProbe = Math.min(deadline, Date.now() + cfg.drainMs);
  const streamsWanted = open.filter((s) => s.mode === 'all').length * cfg.jobs + jobSubs.length;
  while (obs.doneStreams < streamsWanted && Date.now() < drainUntilProbe) await sleep(100);
  const probed = await probe.stop();
  httpErrors += probed.failed;
  const openAll = open.filter((s) => s.mode === 'all').length;
  const expectedStreams = openAll * cfg.jobs + jobSubs.length;
  log(`jobs finished in ${((jobsEnd - jobsStart) / 1000).toFixed(1)} s; waiting for their events to reach every subscriber`);
  const drainUntil = Math.min(deadline, Date.now() + cfg.drainMs);
  while (obs.doneStreams < expectedStreams && Date.now() < drainUntil) await sleep(100);
  const drainedAt = Date.now();
  await sleep(300); // late stragglers (duplicates would show here)
  const window = Math.max(1, obs.lastEventAt - obs.firstEventAt);
  const cpuWall = (drainedAt - jobsStart) / 1000;
  const apiCpuMs = procCpuMs(stack.api.pid) - cpuApi0;
  // Time the API's event-loop thread was ready to run but no CPU was free (the clients, the
  // worker, PostgreSQL, Redis and anything else on the machine had them).
  const apiRunQueueWaitMs = mainThreadWaitMs(stack.api.pid) - waitApi0;
  const benchCpu = process.cpuUsage(cpuBench0);

  // Completeness: every (client, job) stream against the job's persisted events.
  const lastSeq = new Map();
  await pool(jobIds, 8, async (id) => lastSeq.set(id, (await http('GET', `/api/v1/jobs/${id}/events?since=0`)).lastSeq));
  const firstSeen = new Map();
  for (const s of open) if (s.mode === 'all') for (const [id, st] of s.streams) firstSeen.set(id, Math.min(firstSeen.get(id) ?? Infinity, st.first));
  let expectedEvents = 0;
  let missingTail = 0;
  let lateStart = 0;
  let missingStreams = 0;
  for (const s of open) {
    const ids = s.mode === 'all' ? jobIds : s.jobId ? [s.jobId] : [];
    for (const id of ids) {
      const first = s.mode === 'all' ? (firstSeen.get(id) ?? 1) : 1;
      const last = lastSeq.get(id);
      expectedEvents += last - first + 1;
      const st = s.streams.get(id);
      if (!st) {
        missingStreams += 1;
        continue;
      }
      lateStart += Math.max(0, st.first - first);
      missingTail += Math.max(0, last - st.last);
    }
  }
  const delivered = obs.delivered.all + obs.delivered.job;
  const published = jobIds.reduce((sum, id) => sum + lastSeq.get(id) - (firstSeen.get(id) ?? 1) + 1, 0);
  // How long the jobs emitted events: first to last publish time seen (the bench's own view of the
  // job ends comes late when delivery lags).
  const publishSeconds = Math.max(0.001, (obs.maxPublishedAt - obs.minPublishedAt) / 1000);
  const latencyAll = new Histogram().merge(obs.latency.all).merge(obs.latency.job);
  const { loop: loopApi, gc: gcApi } = await apiLoop();
  const slices1 = await sliceCounts();
  const sliceDelta = slices0 && slices1 ? Object.fromEntries(Object.keys(slices1).map((k) => [k, slices1[k] - slices0[k]])) : null;
  const q = (h, p) => h.percentile(p) / 1e6;
  results.jobs = {
    jobs: cfg.jobs,
    statuses: [...statuses.values()].reduce((acc, st) => ((acc[st] = (acc[st] ?? 0) + 1), acc), {}),
    seconds: publishSeconds,
    seenDoneAfterSeconds: (jobsEnd - jobsStart) / 1000,
    submitMs: submitMs.summary(),
    httpDuringFanoutMs: probed.ms,
    httpErrors,
    probeLoopMs: probed.probeLoopMs,
    probeWaitPct: probed.probeWaitPct,
    eventsPerJob: [...lastSeq.values()].reduce((a, b) => a + b, 0) / cfg.jobs,
    delivered,
    deliveredAll: obs.delivered.all,
    deliveredJob: obs.delivered.job,
    expected: expectedEvents,
    replayed: obs.replayed,
    deliveredPerSecond: (delivered - deliveredBefore) / (window / 1000),
    published,
    publishedPerSecond: published / publishSeconds,
    offeredPerSecond: (expectedEvents - obs.replayed) / publishSeconds, // live deliveries asked for while the jobs ran
    saturated: undefined,
    windowSeconds: window / 1000,
    latency: latencyAll.summary(),
    latencyAll: obs.latency.all.summary(),
    latencyJob: obs.latency.job.summary(),
    negativeLatencies: latencyAll.negative,
    gaps: obs.gaps,
    duplicates: obs.duplicates,
    lateStart,
    missingTail,
    missingStreams,
    streamsDone: obs.doneStreams,
    streamsExpected: expectedStreams,
    snapshots: obs.snapshots,
    errors: Object.fromEntries(obs.errors),
    closes: Object.fromEntries(obs.closes),
    stillOpen: subs.filter((s) => s.ready).length,
    apiCpuMs,
    apiCpuUsPerDelivery: (apiCpuMs * 1000) / delivered,
    apiCpuPct: apiCpuMs / 10 / cpuWall,
    apiRunQueueWaitPct: apiRunQueueWaitMs / 10 / cpuWall,
    workerCpuPct: (procCpuMs(stack.worker.pid) - cpuWorker0) / 10 / cpuWall,
    benchCpuUsPerDelivery: (benchCpu.user + benchCpu.system) / delivered,
    benchCpuPct: (benchCpu.user + benchCpu.system) / 1e4 / cpuWall,
    apiLoopMs: loopApi,
    apiGc: gcApi,
    // Fan-out slices during the jobs (gantry_ws_fanout_slice_seconds): how many, and how many held the loop longer than 10/25/50/100 ms.
    slices: sliceDelta && { count: sliceDelta.count, meanMs: (sliceDelta.sum * 1000) / Math.max(1, sliceDelta.count), over10: sliceDelta.count - sliceDelta.le10, over25: sliceDelta.count - sliceDelta.le25, over50: sliceDelta.count - sliceDelta.le50, over100: sliceDelta.count - sliceDelta.le100 },
    benchLoopMs: { p50: Math.round(q(loopBench, 50) * 100) / 100, p99: Math.round(q(loopBench, 99) * 100) / 100, max: Math.round((loopBench.max / 1e6) * 100) / 100 },
  };
  loopBench.disable();
  results.jobs.saturated = results.jobs.deliveredPerSecond < 0.9 * results.jobs.offeredPerSecond;
  const afterJobs = await apiMemory();
  results.afterJobs = { ...afterJobs, heapDeltaVsIdle: afterJobs.heapUsed - idle.heapUsed };

  // Disconnect everyone; what the API keeps afterwards is a leak.
  results.phase = 'disconnect';
  for (const s of subs) s.close();
  const closeUntil = Date.now() + 15_000;
  while (procSocketCount(stack.api.pid) > socketsBefore + 5 && Date.now() < closeUntil) await sleep(200);
  await sleep(1000);
  const afterClose = await apiMemory();
  results.afterClose = { ...afterClose, heapDeltaVsBaseline: afterClose.heapUsed - before.heapUsed, sockets: procSocketCount(stack.api.pid) - socketsBefore };
  results.phase = 'quiet-after';
  results.quiet.push(await quietPhase('after'));
  if (!cfg.noRaw) {
    results.phase = 'raw';
    results.raw = await rawPhase(simUrls);
  }
  results.phase = 'done';
}

const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** A GET summary, with how many requests the p99 rests on (below 200 it is one of the slowest two). */
function getFigures(g) {
  const slowest = Math.max(1, g.count - Math.ceil(0.99 * g.count) + 1);
  const thin = g.count < 200 ? `; FEW SAMPLES: p99 is the slowest ${slowest}` : '';
  return `p50 ${ms(g.p50)}, p90 ${ms(g.p90)}, p99 ${ms(g.p99)}, max ${ms(g.max)} (${g.count} requests${thin})`;
}

/** The event-loop delay histogram of monitorEventLoopDelay (5 ms resolution; samples = timer turns). */
function loopFigures(l) {
  if (!l) return 'n/a';
  return `p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99}, p99.9 ${l.p999}, max ${l.max} ms; turns later than 10 / 25 / 50 ms: ${l.over10} / ${l.over25} / ${l.over50} of ${l.count}`;
}

function gcFigures(g) {
  if (!g) return 'n/a';
  const kinds = Object.entries(g.byKind).map(([k, v]) => `${k} ${v.count} (max ${v.maxMs} ms)`).join(', ');
  return `${g.count} pauses, ${g.totalMs} ms in all, longest ${g.maxMs} ms (${g.maxKind ?? '-'}); over 10 / 25 / 50 ms: ${g.over10} / ${g.over25} / ${g.over50}; ${kinds}`;
}

/** The probe's own delay: a GET it timed includes it. */
function probeFigures(x) {
  return `event-loop delay p99 ${x.probeLoopMs?.p99} / max ${x.probeLoopMs?.max} ms; waiting for a free CPU ${Math.round(x.probeWaitPct)}% of the time`;
}

function printReport(r, partial = false) {
  r.quietGet = quietGets.count ? quietGets.summary() : undefined;
  const rows = [];
  const c = r.config;
  r.loadavgAtEnd = loadavg()[0];
  if (r.storm) {
    rows.push(`setup: 1 API process, no worker; storm steps of ${c.storm.join(', ')} raw TCP ${c.stormBy === 'job' ? 'subscribers resuming the jobs by id' : '\`all\` subscribers'} connecting at once (one process) with ${c.stormJobs.join(', ')} queued jobs; GET probe every ${c.probeEveryMs} ms`);
  } else if (r.synthetic) {
    rows.push(`setup: 1 API process, no worker; ${c.jobs} queued jobs; synthetic publisher at ${c.syntheticRates.join(', ')} events/s for ${c.syntheticSeconds} s each (stored, then published as the worker does); ${c.subscribers} raw TCP subscribers (\`all\`, frames counted) in ${c.rawProcs} process(es); GET probe every ${c.probeEveryMs} ms`);
  } else rows.push(`setup: 1 API process, 1 worker, ${c.gpus} gpu-sims (step ${c.stepMs} ms), ${c.jobs} jobs x ${c.steps} steps ${c.size}x${c.size}; ${c.subscribers} subscribers (${Math.round((1 - c.jobShare) * 100)}% all, ${Math.round(c.jobShare * 100)}% one job with since 0); GET probe every ${c.probeEveryMs} ms`);
  const cores = cpus().length;
  const busy = Math.max(r.loadavgAtStart, r.loadavgAtEnd) > cores;
  rows.push(`machine: ${cores} cores, load average ${r.loadavgAtStart.toFixed(1)} at start, ${r.loadavgAtEnd.toFixed(1)} at end${busy ? '  (BUSY: other processes competed for the CPU; figures are pessimistic)' : ''}`);
  if (r.storm) rows.push(...stormRows(r.storm));
  if (r.synthetic) rows.push(...syntheticRows(r.synthetic, { getFigures, loopFigures, gcFigures, ratio, ms }));
  if (r.connect) {
    const k = r.connect;
    rows.push('connections');
    rows.push(['connected (ready received)', `${k.connected} / ${c.subscribers}${k.failed ? `  (${k.failed} FAILED)` : ''}`]);
    rows.push(['connect time', `${k.seconds.toFixed(1)} s, ${Math.round(k.perSecond)}/s at ${c.connectConcurrency} in flight; API CPU ${Math.round(k.apiCpuPct)}%`]);
    rows.push(['open -> ready (p50/p99/max)', `${ms(k.readyMs.p50)} / ${ms(k.readyMs.p99)} / ${ms(k.readyMs.max)}`]);
    rows.push(['retries / failures', `${k.retries} / ${Object.keys(k.failures).length ? JSON.stringify(k.failures) : 'none'}`]);
  }
  if (r.idle) {
    const i = r.idle;
    rows.push('API process memory (idle connections)');
    rows.push(['RSS baseline -> half -> all', `${mib(r.before.rss)} -> ${mib(i.mid.rss)} -> ${mib(i.rss)}`]);
    rows.push(['RSS per connection', `${kib(i.perConnRss)} (second half; whole run ${kib(i.perConnRssTotal)})${i.open < 2000 ? '  (too few connections: RSS noise dominates)' : ''}`]);
    rows.push(['heap used (after GC) per conn', `${kib(i.perConnHeap)} (second half; whole run ${kib(i.perConnHeapTotal)}; ${mib(r.before.heapUsed)} -> ${mib(i.heapUsed)})`]);
    rows.push(['external per connection', kib(i.perConnExternal)]);
    rows.push(['API socket fds (delta)', String(i.apiSocketsDelta)]);
    rows.push(['bench process RSS (clients)', `${mib(i.benchRss)} (${kib(i.benchPerConnRss)}/conn)`]);
  }
  if (r.jobs) {
    const j = r.jobs;
    rows.push('event delivery');
    rows.push(['jobs', `${JSON.stringify(j.statuses)}, events published over ${j.seconds.toFixed(1)} s; ${j.eventsPerJob.toFixed(1)} events/job`]);
    rows.push(['events delivered', `${j.delivered} of ${j.expected} expected (all: ${j.deliveredAll}, per-job: ${j.deliveredJob}; replayed from DB: ${j.replayed})`]);
    rows.push(['delivery rate', `${Math.round(j.deliveredPerSecond)} events/s over ${j.windowSeconds.toFixed(1)} s (first to last receipt)`]);
    rows.push(['offered load', `${j.published} events published (${j.publishedPerSecond.toFixed(1)}/s) x their subscribers = ${Math.round(j.offeredPerSecond)} deliveries/s`]);
    if (j.deliveredPerSecond < 0.9 * j.offeredPerSecond) {
      rows.push(['SATURATED', `the API delivered ${Math.round(j.deliveredPerSecond)}/s of ${Math.round(j.offeredPerSecond)}/s asked for: latencies below are mostly queueing (try --gpus 1)`]);
    }
    rows.push(['latency p50/p95/p99/max', `${ms(j.latency.p50)} / ${ms(j.latency.p95)} / ${ms(j.latency.p99)} / ${ms(j.latency.max)}  (${j.latency.count} live events)`]);
    rows.push(['  `all` subscribers', `${ms(j.latencyAll.p50)} / ${ms(j.latencyAll.p95)} / ${ms(j.latencyAll.p99)} / ${ms(j.latencyAll.max)}`]);
    rows.push(['  per-job subscribers', `${ms(j.latencyJob.p50)} / ${ms(j.latencyJob.p95)} / ${ms(j.latencyJob.p99)} / ${ms(j.latencyJob.max)}`]);
    rows.push(['order: gaps / duplicates', `${j.gaps} / ${j.duplicates}`]);
    rows.push(['missing: late start / tail / streams', `${j.lateStart} / ${j.missingTail} / ${j.missingStreams}  (streams complete ${j.streamsDone}/${j.streamsExpected})`]);
    rows.push(['server errors / unexpected closes', `${JSON.stringify(j.errors)} / ${JSON.stringify(j.closes)}`]);
    rows.push(['CPU during jobs (% of one core)', `API ${Math.round(j.apiCpuPct)}%, worker ${Math.round(j.workerCpuPct)}%, bench clients ${Math.round(j.benchCpuPct)}%`]);
    rows.push(['API waiting for a free CPU', `${Math.round(j.apiRunQueueWaitPct)}% of the time (runnable, not running: CPU contention on this machine)`]);
    rows.push(['CPU per delivered event', `API ${j.apiCpuUsPerDelivery.toFixed(1)} µs, bench clients ${j.benchCpuUsPerDelivery.toFixed(1)} µs`]);
    rows.push(['HTTP GET /jobs/{id} during fan-out', `${getFigures(j.httpDuringFanoutMs)}, ${j.httpErrors} failed; POST /jobs before it, API idle: p50 ${ms(j.submitMs.p50)}`]);
    rows.push(['  the probe process itself', probeFigures(j)]);
    rows.push(['API event-loop delay', loopFigures(j.apiLoopMs)]);
    rows.push(['API GC pauses', gcFigures(j.apiGc)]);
    rows.push(['bench clients event-loop delay p99/max', `${j.benchLoopMs.p99}/${j.benchLoopMs.max} ms`]);
    rows.push([
      'fan-out slices (API /metrics)',
      j.slices ? `${j.slices.count} slices, mean ${j.slices.meanMs.toFixed(2)} ms; longer than 10 / 25 / 50 / 100 ms: ${j.slices.over10} / ${j.slices.over25} / ${j.slices.over50} / ${j.slices.over100}` : 'n/a (this API does not slice its fan-out)',
    ]);
  }
  if (r.quiet?.length) {
    rows.push('against the baselines of the same run (load average when each ended)');
    for (const q of r.quiet) {
      rows.push([`no subscribers (${q.label}): GET /jobs/{id}`, `${getFigures(q.get)}; load ${q.loadavg.toFixed(1)}`]);
      rows.push(['  API event-loop delay', loopFigures(q.apiLoopMs)]);
      rows.push(['  API GC pauses', gcFigures(q.apiGc)]);
      if (q.probeLoopMs) rows.push(['  the probe process itself', probeFigures(q)]);
      if (Number.isFinite(q.apiRunQueueWaitPct)) rows.push(['  API waiting for a free CPU', `${Math.round(q.apiRunQueueWaitPct)}% of the time (API CPU ${Math.round(q.apiCpuPct)}%)`]);
    }
    if (r.jobs && r.quietGet?.count) {
      const f = r.jobs.httpDuringFanoutMs;
      rows.push(['GET during fan-out / no subscribers', `p50 ${ratio(f.p50, r.quietGet.p50)}, p99 ${ratio(f.p99, r.quietGet.p99)} (${ms(f.p50)} / ${ms(r.quietGet.p50)}, ${ms(f.p99)} / ${ms(r.quietGet.p99)}; ${f.count} / ${r.quietGet.count} requests)`]);
      rows.push(['API event loop max: fan-out / none', `${r.jobs.apiLoopMs.max} / ${Math.max(...r.quiet.map((q) => q.apiLoopMs.max))} ms`]);
    }
    if (r.jobs && r.raw) {
      rows.push(['raw ws, same jobs, same sockets', `${r.raw.cpuUsPerDelivery.toFixed(1)} µs CPU per delivery (${r.raw.delivered} to ${r.raw.sockets} sockets), event loop max ${r.raw.loopMs.max} ms, latency p50 ${ms(r.raw.latency.p50)} p99 ${ms(r.raw.latency.p99)}; load ${r.raw.loadavg.toFixed(1)}`]);
      rows.push(['API CPU per delivery / raw ws', `${ratio(r.jobs.apiCpuUsPerDelivery, r.raw.cpuUsPerDelivery)} (${r.jobs.apiCpuUsPerDelivery.toFixed(1)} / ${r.raw.cpuUsPerDelivery.toFixed(1)} µs)`]);
    }
  }
  if (r.afterJobs) rows.push(['API heap after jobs (vs idle)', `${mib(r.afterJobs.heapUsed)} (+${mib(r.afterJobs.heapDeltaVsIdle)}; RSS ${mib(r.afterJobs.rss)}, peak ${mib(r.afterJobs.hwm)})`]);
  if (r.afterClose) rows.push(['API heap after all closed', `${mib(r.afterClose.heapUsed)} (${r.afterClose.heapDeltaVsBaseline >= 0 ? '+' : ''}${mib(r.afterClose.heapDeltaVsBaseline)} vs baseline; ${r.afterClose.sockets} sockets left)`]);
  console.log(`\n${table(`WebSocket fan-out benchmark${partial ? ` (PARTIAL: stopped during ${r.phase})` : ''}`, rows)}`);
  console.log(`\ncommand: ${r.command}`);
  console.log(`BENCH_WS_JSON ${JSON.stringify({ at: new Date().toISOString(), partial, node: process.version, cores: cpus().length, ...r })}`);
}

main().then(
  async () => {
    printReport(results);
    await shutdown(0);
  },
  async (err) => {
    log(`failed: ${err?.stack ?? err}`);
    for (const child of stack.children) if (child.lines.length) log(`last output of ${child.name}:\n${child.tail(10)}`);
    await shutdown(1);
  },
);
