// The reconnect-storm mode of `npm run bench:ws -- --storm N1,N2 --storm-jobs M1,M2` (not part of
// Gantry). No worker: M real jobs are submitted and stay queued (active). Per (N, M): N raw TCP
// subscribers (bench/lib/raw-subscribers.mjs) connect at once and subscribe `all`, as they do when an
// API instance restarts or a load balancer drops its connections; measured until every socket has
// its M snapshots: the time, the API's CPU and event-loop delay, GET /jobs/{id} meanwhile, and the
// PostgreSQL transactions the database counted (pg_stat_database; every statement of the API is
// its own transaction). The baseline, in the same run: the minimal durable work, one read of the
// tenant's active jobs as one statement (timed here), so the ratios say what the gateway adds.
import { loadavg } from 'node:os';
import pg from 'pg';
import { procCpuMs, mainThreadWaitMs } from './stats.mjs';

/** The one statement a storm needs at least: the snapshot read (the gateway's, packages/db/src/reads/job-list-read.ts, readTenantActiveJobViews). */
const MINIMAL_READ = `SELECT j.id, j.status, j.last_seq, (SELECT count(*) FROM artifacts a WHERE a.job_id = j.id), (SELECT count(*) FROM job_inputs i WHERE i.job_id = j.id)
  FROM (SELECT id FROM jobs ORDER BY id DESC LIMIT 100) page JOIN jobs j ON j.id = page.id WHERE j.status NOT IN ('succeeded', 'failed', 'canceled')`;

export async function runStorm(ctx) {
  const { stack, cfg, log, http, pool, sleep, getProbe, apiLoop, results, workflow } = ctx;
  const r = (results.storm = { steps: [] });
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const xacts = async () => {
    await sleep(1200); // the statistics of a backend are flushed at most once a second
    await db.query('SELECT pg_stat_clear_snapshot()');
    return Number((await db.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n);
  };
  try {
    const tenant = process.env.GANTRY_DEFAULT_TENANT || 'default';
    const readKey = (await http('POST', '/api/v1/api-keys', { tenant, scopes: ['read'], name: 'bench-storm' })).key;
    const subs = stack.launch('raw-subs-0', 'bench/lib/raw-subscribers.mjs', { BENCH_API_URL: stack.apiUrl, BENCH_READ_KEY: readKey });
    await stack.nextMessage(subs, 'rawSubsReady', 60_000);
    const ask = async (op, field, extra = {}) => {
      const reply = stack.nextMessage(subs, field, 600_000);
      subs.proc.send({ rawSubs: op, ...extra });
      return reply;
    };
    const ids = [];
    // `--storm-by job`: each socket resumes the M jobs by id, each at the lastSeq it has (a client
    // reconnecting to the jobs it watches); `all` (default): each subscribes to everything.
    const subscribeFor = async (jobs) => {
      if (cfg.stormBy !== 'job') return { type: 'subscribe', all: true };
      const sinceByJob = {};
      for (const id of jobs) sinceByJob[id] = (await http('GET', `/api/v1/jobs/${id}/events?since=0`)).lastSeq;
      return { type: 'subscribe', jobIds: jobs, sinceByJob };
    };
    for (const m of [...cfg.stormJobs].sort((a, b) => a - b)) {
      await pool([...Array(m - ids.length).keys()], cfg.submitConcurrency, async () => {
        ids.push((await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-storm' } })).id);
      });
      // Warm-up: a few sockets, so the code is compiled before measuring.
      await ask('mark', 'rawSubsMarked');
      await ask('connect', 'rawSubsConnected', { n: 10, concurrency: 10, subscribe: await subscribeFor(ids.slice(0, m)) });
      await ask('close', 'rawSubsClosed');
      for (const n of cfg.storm) {
        results.phase = `storm ${n} x ${m}`;
        await sleep(1000);
        // Baseline: the minimal durable work, the one read (median of 5).
        const reads = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          await db.query(MINIMAL_READ);
          reads.push(performance.now() - t);
        }
        const minimalMs = reads.sort((a, b) => a - b)[2];
        const subscribe = await subscribeFor(ids.slice(0, m));
        // The GET probe's own statements (a GET of a queued job also reads its wait estimate), with
        // no socket, for as long as the last storm step took: subtracted from the storm's count.
        const q0 = await xacts();
        const quietProbe = await getProbe(ids[0]);
        await sleep(Math.min(10_000, Math.max(2000, (r.steps.at(-1)?.seconds ?? 2) * 1000)));
        const quietGet = await quietProbe.stop();
        const perGet = ((await xacts()) - q0) / Math.max(1, quietGet.ms.count);
        const x0 = await xacts();
        await stack.api.ask('loop-reset');
        const cpu0 = procCpuMs(stack.api.pid);
        const wait0 = mainThreadWaitMs(stack.api.pid);
        await ask('mark', 'rawSubsMarked');
        const probe = await getProbe(ids[0]);
        const start = Date.now();
        const connected = await ask('connect', 'rawSubsConnected', { n, concurrency: n, subscribe });
        const connectSeconds = (Date.now() - start) / 1000;
        let snapshots = 0;
        const until = Date.now() + cfg.stormWaitSeconds * 1000;
        while ((snapshots = (await ask('snapshots', 'rawSubsSnapshots'))) < connected.connected * m && Date.now() < until) await sleep(50);
        const seconds = (Date.now() - start) / 1000;
        const get = await probe.stop();
        const apiCpuMs = procCpuMs(stack.api.pid) - cpu0;
        const { loop } = await apiLoop();
        const waitMs = mainThreadWaitMs(stack.api.pid) - wait0;
        await ask('close', 'rawSubsClosed');
        await sleep(500);
        const transactions = (await xacts()) - x0;
        const row = {
          by: cfg.stormBy,
          sockets: n,
          jobs: m,
          connected: connected.connected,
          failures: connected.failures,
          connectSeconds,
          seconds,
          snapshots,
          complete: snapshots >= connected.connected * m,
          apiCpuMs,
          apiCpuPct: apiCpuMs / 10 / seconds,
          apiRunQueueWaitPct: waitMs / 10 / seconds,
          apiLoopMs: loop,
          get: get.ms,
          getFailed: get.failed,
          transactions,
          perGet,
          quietGet: quietGet.ms,
          transactionsLessProbe: Math.max(0, transactions - perGet * get.ms.count),
          minimalReadMs: minimalMs,
          loadavg: loadavg()[0],
        };
        log(
          `storm ${n} sockets x ${m} jobs: ${snapshots}/${connected.connected * m} snapshots in ${seconds.toFixed(2)} s (connects ${connectSeconds.toFixed(2)} s); ` +
            `PostgreSQL transactions ${transactions}, less the GET probe's ~${Math.round(row.transactionsLessProbe)} (minimal 1 read of ${minimalMs.toFixed(1)} ms); API CPU ${apiCpuMs.toFixed(0)} ms, loop max ${loop.max} ms; ` +
            `GET p50 ${get.ms.p50} p99 ${get.ms.p99} max ${get.ms.max} ms (${get.ms.count}); load ${row.loadavg.toFixed(1)}`,
        );
        r.steps.push(row);
      }
    }
    results.phase = 'done';
  } finally {
    await db.end().catch(() => undefined);
  }
}

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));

/** Report rows of the storm mode (for stats.table). */
export function stormRows(s) {
  const rows = [];
  for (const p of s.steps) {
    rows.push(`storm: ${p.sockets} sockets at once ${p.by === 'job' ? 'each resuming the jobs by id (jobIds + sinceByJob)' : 'subscribing `all`'}, ${p.jobs} active jobs; load ${p.loadavg.toFixed(1)}`);
    rows.push(['every snapshot received', `${p.complete ? 'yes' : 'NO'}: ${p.snapshots} of ${p.connected * p.jobs} in ${fmt(p.seconds, 2)} s (connects done at ${fmt(p.connectSeconds, 2)} s; ${JSON.stringify(p.failures)} connect failures)`]);
    rows.push(['PostgreSQL transactions', `${p.transactions}; less the GET probe's (${fmt(p.perGet, 1)} per GET, measured with no socket): ~${fmt(p.transactionsLessProbe)} / minimal 1 (x${fmt(p.transactionsLessProbe)})`]);
    rows.push(['time / the minimal read alone', `${fmt(p.seconds * 1000)} / ${fmt(p.minimalReadMs, 1)} ms (x${fmt((p.seconds * 1000) / p.minimalReadMs, 0)})`]);
    rows.push(['API CPU', `${fmt(p.apiCpuMs)} ms (${fmt(p.apiCpuPct)}%, waiting for a CPU ${fmt(p.apiRunQueueWaitPct)}%); ${fmt((p.apiCpuMs * 1000) / Math.max(1, p.connected), 0)} µs per socket`]);
    rows.push(['API event-loop delay', `p99 ${p.apiLoopMs.p99} / max ${p.apiLoopMs.max} ms`]);
    rows.push(['GET /jobs/{id} during the storm / none', `p50 ${p.get.p50} / ${p.quietGet.p50}, p99 ${p.get.p99} / ${p.quietGet.p99} (x${fmt(p.get.p99 / Math.max(1, p.quietGet.p99), 1)}), max ${p.get.max} / ${p.quietGet.max} ms (${p.get.count} / ${p.quietGet.count}, ${p.getFailed} failed)`]);
  }
  return rows;
}
