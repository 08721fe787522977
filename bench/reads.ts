/**
 * `npm run bench:reads`: the API's reads at 1M jobs against the raw SQL of the same rows through
 * node-postgres, measured interleaved in the same run (bench/README.md, "Reads").
 *
 *   npm run bench:reads                               1M jobs, 1000 rounds
 *   npm run bench:reads -- --jobs 200000 --rounds 300
 *   npm run bench:reads -- --api in-process           the API in this process (the figures before 2026-12-05)
 *   npm run bench:reads -- --cpu-prof /tmp/prof       the API process's CPU profile (node --cpu-prof) into that directory
 *   npm run bench:reads -- --compare-root /tmp/base   also an API from that checkout, measured in the same rounds ("before")
 *
 * Seeds a throwaway database with generate_series INSERTs (bench/lib/reads-seed.ts: three large
 * tenants, one small one every 1000th job, mixed statuses, events, an artifact per succeeded job),
 * starts the API in its own process (apps/api/src/main.ts through ProcessHarness of @gantry/testing,
 * no rate limits, logs silent; `--api in-process`: the stack's API in this process, sharing the
 * client's event loop and CPU) and, round after round, sends each read once over HTTP (keep-alive, one socket) and runs
 * its raw query once (a pg.Client of its own), and the same path to a raw HTTP server (issue 12's
 * yardstick: node:http + a pg pool + the same SQL, its own process: bench/lib/reads-raw-http.mjs),
 * in a shuffled order. Then, for the job
 * view alone, the API's statement through the pool vs Prisma's $queryRawUnsafe vs the Prisma reads
 * main sent (findFirst + two findMany): why the hot reads go through the pool. With the API in its
 * own process, its CPU time per request of each read too (/proc, in blocks of `--rounds` requests).
 * Prints p50/p99 and ratios with the load average; asserts nothing. Needs PostgreSQL and Redis
 * like `npm test`.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPrisma, JOB_VIEW_TEXT, readTenantJobView } from '@gantry/db';
import { startStack, apiClient, ProcessHarness, REPO_ROOT, stackEnv, type ApiProcess } from '@gantry/testing';
import { QUEUE_PLACE } from '../apps/api/src/services/queue-place-script.js';
import { startApiFrom, type ComparedApi } from './lib/reads-compare.js';
import { seedJobs } from './lib/reads-seed.js';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '1000' },
    api: { type: 'string', default: 'process' },
    'cpu-prof': { type: 'string' },
    'compare-root': { type: 'string' },
  },
});
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);
const API_MODE = values.api;
if (API_MODE !== 'process' && API_MODE !== 'in-process') throw new Error('--api process|in-process');
const CPU_PROF = values['cpu-prof'];
if (CPU_PROF !== undefined && API_MODE !== 'process') throw new Error('--cpu-prof profiles the API process: not with --api in-process');
/** Another checkout whose API is measured in the same rounds (before/after under the same load). */
const COMPARE_ROOT = values['compare-root'] === undefined ? undefined : resolve(values['compare-root']);
if (COMPARE_ROOT !== undefined && API_MODE !== 'process') throw new Error('--compare-root compares API processes: not with --api in-process');
if (COMPARE_ROOT !== undefined && CPU_PROF !== undefined) throw new Error('--cpu-prof profiles one API only: not with --compare-root (the profiler would load one side)');
if (!(JOBS >= 10_000 && JOBS <= 5_000_000) || !(ROUNDS >= 10 && ROUNDS <= 100_000)) throw new Error('--jobs 10000..5000000, --rounds 10..100000');
const WARMUP = Math.min(100, ROUNDS);

/** A fixed-seed shuffle (xorshift), so a run's order is random but the same from run to run. */
let seed = 0x9e3779b9;
function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const j = (seed >>> 0) % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** What the API shows of a job, as a plain query would ask for it. */
const SHOWN = `j.id, j.kind, j.status, j.priority, j.progress, j.attempts, j.backend_id, j.requirements, j.metadata, j.timeout_seconds,
  j.webhook_url, j.webhook_events, j.created_at, j.started_at, j.finished_at, j.error_code, j.error_message, j.error_details,
  j.retry_of, j.reused_from, j.last_error`;
const ARTIFACT = 'a.id AS artifact_id, a.filename, a.content_type, a.bytes, a.node_id';
/** The raw query of one job: its shown columns and its artifacts (the bench has no inputs). */
const RAW_ONE = `SELECT ${SHOWN}, ${ARTIFACT} FROM jobs j LEFT JOIN artifacts a ON a.job_id = j.id WHERE j.id = $1 AND j.tenant_id = $2 ORDER BY a.id`;
/**
 * The raw query of a page: 51 jobs (a page of 50 and the one that says a next page exists) with
 * their artifacts. The page's ids come from the index alone, then the rows: the plain
 * `SELECT ... ORDER BY id DESC LIMIT 51` is planned on the primary key and can skip thousands of
 * rows (bench/README.md, "Reads"), which would make a slow baseline.
 */
const rawPage = (where: string) =>
  `SELECT ${SHOWN}, ${ARTIFACT} FROM (SELECT id FROM jobs j WHERE ${where} ORDER BY j.id DESC LIMIT 51) p
   JOIN jobs j ON j.id = p.id LEFT JOIN artifacts a ON a.job_id = j.id ORDER BY j.id DESC, a.id`;

interface Case {
  name: string;
  path: string;
  key: string;
  raw: { text: string; values: unknown[] };
  /**
   * A queued job's view also reads its place in the queue (Redis): the raw HTTP server answers
   * `/place` + path with the row and that place, read as the API reads it (the same Lua, one
   * EVAL, beside the row's query), timed into `rawHttpPlace`: the same reads without the framework.
   */
  place?: { keys: [string, string]; member: string };
  rawHttpPlace?: number[];
  http: number[];
  rawMs: number[];
  /** The raw HTTP server's times (node:http + a pg pool + the same SQL) of the same rounds. */
  rawHttp: number[];
  /** The compared API's (--compare-root) HTTP times of the same rounds. */
  before: number[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One GET over the kept-alive socket; resolves with the body's byte count once it has all arrived. */
function get(base: URL, path: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: base.hostname, port: base.port, path, agent, headers: key ? { authorization: `Bearer ${key}` } : {}, timeout: 30_000 }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p99: pct(sorted, 99) };
}

/**
 * The raw HTTP baseline (bench/lib/reads-raw-http.mjs) in its own process, answering each case's
 * path with its raw query's rows: issue 12's "node:http + pg pool + the same SQL".
 */
async function startRawHttp(databaseUrl: string, redisUrl: string, cases: Case[], floor: Case): Promise<{ url: URL; pid: number; stop(): Promise<void> }> {
  // The floor's path answers a fixed body without a query, as GET /livez does.
  const reads = {
    ...Object.fromEntries(cases.map((c) => [c.path, c.raw])),
    ...Object.fromEntries(cases.flatMap((c) => (c.place ? [[`/place${c.path}`, { ...c.raw, place: { ...c.place, lua: QUEUE_PLACE.lua } }]] : []))),
    [floor.path]: { body: { status: 'alive', uptimeSeconds: 1 } },
  };
  const child = fork(resolve('bench/lib/reads-raw-http.mjs'), [], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, RAW_READS: JSON.stringify(reads) },
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    child.on('message', (m: { rawReadsPort?: number }) => m.rawReadsPort && done(m.rawReadsPort));
    child.once('exit', (code) => fail(new Error(`the raw HTTP server exited (${code})`)));
  });
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A process's CPU time in ms, all its threads (JavaScript, GC helpers, libuv's pool), from each
 * thread's /proc schedstat (nanoseconds, not /proc stat's 10 ms ticks; threads that ended are not
 * counted, so a block's figure is its live threads' time); NaN when it cannot be read.
 */
function cpuNsMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

const f = (v: number) => v.toFixed(2);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const stack = await startStack({ worker: false, gpus: 0 });
  // The measured API: its own process (GANTRY_REPO_ROOT picks the checkout it runs from, e.g. a
  // fork point's worktree for a before/after), or the stack's, in this process.
  const procs = API_MODE === 'process' ? await ProcessHarness.create('bench-reads') : null;
  let apiProc: ApiProcess | null = null;
  /** The measured API when comparing: started exactly as the compared one (an A/A run measured the harness's start faster). */
  let measured: ComparedApi | null = null;
  let compared: ComparedApi | null = null;
  let rawHttp: Awaited<ReturnType<typeof startRawHttp>> | null = null;
  const raw = new pg.Client({ connectionString: stack.databaseUrl });
  const prisma = createPrisma(stack.databaseUrl, { poolSize: 1, applicationName: 'gantry-bench-reads' });
  try {
    await raw.connect();
    const admin = apiClient(stack.url, stack.adminKey);
    const keys: Record<string, string> = {};
    for (const tenant of ['big-a', 'big-b', 'big-c', 'small']) {
      const res = await admin('POST', '/api/v1/api-keys', { tenant, scopes: ['read'] });
      if (res.status !== 201) throw new Error(`key for ${tenant}: HTTP ${res.status}`);
      keys[tenant] = res.body.key;
    }
    const tenants = Object.fromEntries(
      (await raw.query<{ name: string; id: string }>(`SELECT name, id FROM tenants WHERE name LIKE 'big-%' OR name = 'small'`)).rows.map((r) => [r.name, r.id]),
    );
    // A fleet of four backends for the wait estimate to judge (health unknown: none in Redis).
    await raw.query(
      `INSERT INTO backends (id, kind, url, capacity, tags, updated_at) SELECT 'gpu-' || i, 'comfyui', 'http://127.0.0.1:' || (9000 + i), 2, '{}', now() FROM generate_series(0, 3) i`,
    );
    const started = Date.now();
    console.log(`seeding ${JOBS} jobs (load ${load()})`);
    await seedJobs(
      stack.databaseUrl,
      { jobs: JOBS, large: [tenants['big-a']!, tenants['big-b']!, tenants['big-c']!], small: tenants.small!, smallEvery: 1000, workflow: JSON.parse(readFileSync('apps/gpu-sim/fixtures/default-workflow.json', 'utf8')) },
      (line) => console.log(`${line} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
    );

    const a = tenants['big-a']!;
    const one = async (sql: string, v: unknown[]) => (await raw.query<{ id: string }>(sql, v)).rows[0]!.id;
    const queued = await one(`SELECT id FROM jobs WHERE tenant_id = $1 AND status = 'queued' ORDER BY id DESC LIMIT 1`, [a]);
    const finished = await one(`SELECT id FROM jobs WHERE tenant_id = $1 AND status = 'succeeded' ORDER BY id LIMIT 1 OFFSET $2`, [a, Math.floor(JOBS / 6)]);
    // Deep: 90% of the way down the tenant's history.
    const deep = await one(`SELECT id FROM jobs WHERE tenant_id = $1 ORDER BY id LIMIT 1 OFFSET $2`, [a, Math.floor(JOBS / 30)]);
    const deepFailed = await one(`SELECT id FROM jobs WHERE tenant_id = $1 AND status = 'failed' ORDER BY id LIMIT 1 OFFSET $2`, [a, Math.floor(JOBS / 400)]);
    const cursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
    const cases: Case[] = [
      {
        name: 'job by id, queued (+ wait estimate)',
        path: `/api/v1/jobs/${queued}`,
        key: keys['big-a']!,
        raw: { text: RAW_ONE, values: [queued, a] },
        place: { keys: [stack.apiResources.deps.queue.toKey('prioritized'), stack.apiResources.deps.queue.toKey('active')], member: queued },
        rawHttpPlace: [],
        http: [],
        rawMs: [],
        rawHttp: [],
        before: [],
      },
      { name: 'job by id, succeeded', path: `/api/v1/jobs/${finished}`, key: keys['big-a']!, raw: { text: RAW_ONE, values: [finished, a] }, http: [], rawMs: [], rawHttp: [], before: [] },
      { name: 'list, first page', path: '/api/v1/jobs?limit=50', key: keys['big-a']!, raw: { text: rawPage('j.tenant_id = $1'), values: [a] }, http: [], rawMs: [], rawHttp: [], before: [] },
      {
        name: 'list, deep cursor',
        path: `/api/v1/jobs?limit=50&cursor=${cursor(deep)}`,
        key: keys['big-a']!,
        raw: { text: rawPage('j.tenant_id = $1 AND j.id < $2'), values: [a, deep] },
        http: [],
        rawMs: [],
        rawHttp: [],
        before: [],
      },
      {
        name: 'list, status=failed, deep cursor',
        path: `/api/v1/jobs?limit=50&status=failed&cursor=${cursor(deepFailed)}`,
        key: keys['big-a']!,
        raw: { text: rawPage(`j.tenant_id = $1 AND j.status = 'failed' AND j.id < $2`), values: [a, deepFailed] },
        http: [],
        rawMs: [],
        rawHttp: [],
        before: [],
      },
      { name: 'list, status=succeeded', path: '/api/v1/jobs?limit=50&status=succeeded', key: keys['big-a']!, raw: { text: rawPage(`j.tenant_id = $1 AND j.status = 'succeeded'`), values: [a] }, http: [], rawMs: [], rawHttp: [], before: [] },
      { name: 'list, small tenant', path: '/api/v1/jobs?limit=50', key: keys.small!, raw: { text: rawPage('j.tenant_id = $1'), values: [tenants.small] }, http: [], rawMs: [], rawHttp: [], before: [] },
    ];
    const floor: Case = { name: 'HTTP floor: GET /livez', path: '/livez', key: '', raw: { text: 'SELECT 1', values: [] }, http: [], rawMs: [], rawHttp: [], before: [] };
    // --cpu-prof (not allowed in NODE_OPTIONS): a preload profiles the API and writes the profile
    // when the process exits, so it is stopped with SIGTERM below.
    const profEnv =
      CPU_PROF === undefined ? {} : { NODE_OPTIONS: `--import=${pathToFileURL(resolve('bench/lib/cpu-profile.mjs')).href}`, GANTRY_CPU_PROF_DIR: resolve(CPU_PROF) };
    const apiEnv = { ...stackEnv(stack), GANTRY_ADMIN_KEY: stack.adminKey, LOG_LEVEL: 'silent' };
    if (COMPARE_ROOT !== undefined) {
      // Both APIs started the same way, with the environment ProcessHarness gives an API (rate limits off, as in startApi).
      const noLimits = { GANTRY_RATE_LIMIT_PER_MINUTE: '0', GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '0', GANTRY_IP_RATE_LIMIT_PER_MINUTE: '0', GANTRY_WS_UPGRADES_PER_MINUTE: '0' };
      compared = await startApiFrom(COMPARE_ROOT, { ...noLimits, ...apiEnv });
      measured = await startApiFrom(REPO_ROOT, { ...noLimits, ...apiEnv, ...profEnv });
      console.log(`compared API ("before"): ${COMPARE_ROOT}, pid ${compared.pid}; measured ("after"): ${REPO_ROOT}, pid ${measured.pid}`);
    } else if (procs) apiProc = await procs.startApi({ env: { ...apiEnv, ...profEnv } });
    const api = measured ?? apiProc;
    const base = new URL(api ? api.url : stack.url);
    console.log(`API: ${api ? `its own process (pid ${api.pid})` : 'in this process'}`);
    const beforeBase = compared ? new URL(compared.url) : null;
    rawHttp = await startRawHttp(stack.databaseUrl, stack.redisUrl, cases, floor);
    const rawBase = rawHttp.url;
    console.log(`raw HTTP baseline (node:http + pg pool + the same SQL): pid ${rawHttp.pid}`);

    console.log(`\nmeasuring ${ROUNDS} rounds (+${WARMUP} warm-up) of ${cases.length + 1} reads, HTTP and raw interleaved (load ${load()})`);
    const loadBefore = load();
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const c of [...cases, floor]) {
        const ways: [number[], () => Promise<unknown>][] = [
          [c.http, () => get(base, c.path, c.key)],
          [c.rawMs, () => raw.query(c.raw.text, c.raw.values)],
          [c.rawHttp, () => get(rawBase, c.path, c.key)],
          ...(c.rawHttpPlace ? [[c.rawHttpPlace, () => get(rawBase, `/place${c.path}`, c.key)] as [number[], () => Promise<unknown>]] : []),
          ...(beforeBase ? [[c.before, () => get(beforeBase, c.path, c.key)] as [number[], () => Promise<unknown>]] : []),
        ];
        // Shuffle which goes first, so none always meets a warmer cache, a quieter moment or the
        // tail of another process's work.
        shuffle(ways);
        const times: [number[], number][] = [];
        for (let i = 0; i < ways.length; i++) {
          const [samples, fn] = ways[(round + i) % ways.length]!;
          times.push([samples, await timed(fn)]);
        }
        if (round >= WARMUP) for (const [samples, ms] of times) samples.push(ms);
      }
    }
    const loadAfter = load();

    console.log(`\nreads at ${JOBS} jobs, ${ROUNDS} rounds; load average before ${loadBefore}, after ${loadAfter} (${process.env.npm_lifecycle_event ?? 'bench/reads.ts'})\n`);
    // The CPU per request of each read in each server process: ROUNDS requests each, in
    // CPU_SLICES slices whose order is shuffled from slice to slice (so a burst of load elsewhere
    // falls on each process alike), each process's CPU read from /proc schedstat around its slice.
    const cpuPerRequest = new Map<Case, number>();
    const cpuRawHttp = new Map<Case, number>();
    const cpuBefore = new Map<Case, number>();
    const CPU_SLICES = 10;
    if (api) {
      for (const c of [...cases, floor]) {
        type Server = [Map<Case, number>, number, URL];
        const servers: Server[] = [
          [cpuPerRequest, api.pid ?? -1, base],
          [cpuRawHttp, rawHttp.pid, rawBase],
        ];
        if (compared && beforeBase) servers.push([cpuBefore, compared.pid, beforeBase]);
        const spent = new Map<Map<Case, number>, number>();
        for (let slice = 0; slice < CPU_SLICES; slice++) {
          shuffle(servers);
          for (const [into, pid, url] of servers) {
            const n = Math.floor(ROUNDS / CPU_SLICES);
            const before = cpuNsMs(pid);
            for (let i = 0; i < n; i++) await get(url, c.path, c.key);
            spent.set(into, (spent.get(into) ?? 0) + cpuNsMs(pid) - before);
          }
        }
        for (const [into] of servers) into.set(c, spent.get(into)! / (Math.floor(ROUNDS / CPU_SLICES) * CPU_SLICES));
      }
    }
    const cpuHead = api ? ' API CPU/request |' : '';
    console.log('against the raw query alone (a pg.Client in this process: no HTTP)\n');
    console.log(`| read | HTTP p50 | HTTP p99 | raw p50 | raw p99 | ratio p50 | ratio p99 |${cpuHead}`);
    console.log(`|---|---|---|---|---|---|---|${api ? '---|' : ''}`);
    for (const c of [...cases, floor]) {
      const h = summary(c.http);
      const r = summary(c.rawMs);
      const cpu = api ? ` ${f(cpuPerRequest.get(c)!)} ms |` : '';
      console.log(`| ${c.name} | ${f(h.p50)} ms | ${f(h.p99)} ms | ${f(r.p50)} ms | ${f(r.p99)} ms | ${f(h.p50 / r.p50)}x | ${f(h.p99 / r.p99)}x |${cpu}`);
    }
    console.log('\nagainst the raw HTTP server (node:http + pg pool + the same SQL, its own process: issue 12\'s yardstick)\n');
    console.log(`| read | HTTP p50 | HTTP p99 | raw HTTP p50 | raw HTTP p99 | ratio p50 | ratio p99 |${cpuHead} raw HTTP CPU/request |`);
    console.log(`|---|---|---|---|---|---|---|${api ? '---|' : ''}---|`);
    for (const c of [...cases, floor]) {
      const h = summary(c.http);
      const r = summary(c.rawHttp);
      const cpu = api ? ` ${f(cpuPerRequest.get(c)!)} ms |` : '';
      console.log(`| ${c.name} | ${f(h.p50)} ms | ${f(h.p99)} ms | ${f(r.p50)} ms | ${f(r.p99)} ms | ${f(h.p50 / r.p50)}x | ${f(h.p99 / r.p99)}x |${cpu} ${f(cpuRawHttp.get(c)!)} ms |`);
    }
    for (const c of cases.filter((k) => k.rawHttpPlace)) {
      const h = summary(c.http);
      const r = summary(c.rawHttpPlace!);
      console.log(
        `\n${c.name} against the raw HTTP server reading its row and its place in the queue (the same Lua in one EVAL, beside the row's query): raw ${f(r.p50)} / ${f(r.p99)} ms, ratio p50 ${f(h.p50 / r.p50)}x, p99 ${f(h.p99 / r.p99)}x`,
      );
    }
    if (compared) {
      console.log(`\nbefore (${COMPARE_ROOT}) → after (this checkout), the same rounds and raw samples\n`);
      console.log('| read | HTTP p50 before → after | ratio p50 before → after | HTTP p99 before → after | ratio p99 before → after | raw HTTP p50 / p99 | ratio p50 to raw HTTP before → after | ratio p99 to raw HTTP before → after | API CPU/request before → after |');
      console.log('|---|---|---|---|---|---|---|---|---|');
      for (const c of [...cases, floor]) {
        const b = summary(c.before);
        const h = summary(c.http);
        const r = summary(c.rawMs);
        const rh = summary(c.rawHttp);
        console.log(
          `| ${c.name} | ${f(b.p50)} → ${f(h.p50)} ms | ${f(b.p50 / r.p50)}x → ${f(h.p50 / r.p50)}x | ${f(b.p99)} → ${f(h.p99)} ms | ${f(b.p99 / r.p99)}x → ${f(h.p99 / r.p99)}x | ${f(rh.p50)} / ${f(rh.p99)} ms | ${f(b.p50 / rh.p50)}x → ${f(h.p50 / rh.p50)}x | ${f(b.p99 / rh.p99)}x → ${f(h.p99 / rh.p99)}x | ${f(cpuBefore.get(c)!)} → ${f(cpuPerRequest.get(c)!)} ms |`,
        );
      }
    }

    // The job view's statement three ways, interleaved: why the hot reads use the pool.
    const statement = async (): Promise<void> => void (await readTenantJobView(prisma, a, finished));
    const viaQueryRaw = async (): Promise<void> => {
      // The same SQL text and parameters readTenantJobView sends, through Prisma's raw query path.
      await prisma.$queryRawUnsafe(`SELECT ${JOB_VIEW_TEXT} FROM jobs j WHERE j.id = $1::uuid AND j.tenant_id = $2::uuid`, finished, a, false, false, true);
    };
    const viaPrismaReads = async (): Promise<void> => {
      await prisma.job.findFirst({ where: { id: finished, tenantId: a } });
      await prisma.artifact.findMany({ where: { jobId: finished }, orderBy: { id: 'asc' } });
      await prisma.jobInput.findMany({ where: { jobId: finished }, orderBy: { name: 'asc' } });
    };
    const ways: [string, () => Promise<void>, number[]][] = [
      ['pool.query (readTenantJobView)', statement, []],
      ['Prisma $queryRawUnsafe, same SQL', viaQueryRaw, []],
      ["Prisma reads (main's: findFirst + 2 findMany)", viaPrismaReads, []],
    ];
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const [, fn, samples] of round % 2 === 0 ? ways : [...ways].reverse()) {
        const ms = await timed(fn);
        if (round >= WARMUP) samples.push(ms);
      }
    }
    const first = summary(ways[0]![2]);
    console.log(`\njob view's reads in the API process, ${ROUNDS} rounds (load ${load()})\n`);
    console.log('| way | p50 | p99 | vs pool p50 |');
    console.log('|---|---|---|---|');
    for (const [name, , samples] of ways) {
      const s = summary(samples);
      console.log(`| ${name} | ${f(s.p50)} ms | ${f(s.p99)} ms | ${f(s.p50 / first.p50)}x |`);
    }
  } finally {
    agent.destroy();
    await compared?.stop();
    await measured?.stop();
    await rawHttp?.stop();
    if (CPU_PROF !== undefined && apiProc) console.log(`API stopped for its CPU profile (${CPU_PROF}): ${JSON.stringify(await apiProc.terminate())}`);
    await procs?.cleanup();
    await raw.end().catch(() => undefined);
    await prisma.$disconnect();
    await stack.close();
  }
}

runMain(main);
