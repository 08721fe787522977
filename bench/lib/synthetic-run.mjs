// The saturated mode of `npm run bench:ws -- --synthetic-rate R1,R2,...` (not part of Gantry).
// No worker and no gpu-sims: the jobs are submitted through the API (real rows, left queued), and
// bench/lib/synthetic-publisher.ts stores and publishes progress events of them at each rate, far
// above what the worker produces. The subscribers are raw TCP clients (bench/lib/raw-subscribers.mjs,
// own processes) that only count frames, so they cost less per delivery than the API and the API's
// fan-out is what saturates. Phases: no subscribers (GET baseline at the top rate), subscribers
// connected and one window per rate, the drain, the completeness check, no subscribers again.
import { loadavg } from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Histogram, mainThreadWaitMs, procCpuMs } from './stats.mjs';
import { pubsubBacklog, redisPortsOf } from './redis-backlog.mjs';

/**
 * ctx: { stack, cfg, log, http, pool, sleep, getProbe, apiLoop, sliceCounts, results, deadline, workflow }.
 * Fills ctx.results.synthetic.
 */
export async function runSynthetic(ctx) {
  const { stack, cfg, log, http, pool, sleep, getProbe, apiLoop, sliceCounts, results, workflow } = ctx;
  const r = (results.synthetic = { rates: cfg.syntheticRates, seconds: cfg.syntheticSeconds, baselines: [], steps: [] });
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const redis = new Redis(stack.redisUrl);
  try {
    const tenant = process.env.GANTRY_DEFAULT_TENANT || 'default';
    const readKey = (await http('POST', '/api/v1/api-keys', { tenant, scopes: ['read'], name: 'bench-subscribers' })).key;
    // Real jobs through the API; no worker runs, so they stay queued and only the synthetic
    // publisher appends their (progress) events. Two sets: the first for the warm-up and the
    // baseline before, canceled before the subscribers connect (an `all` subscription follows
    // every active job of its tenant, a snapshot each: thousands of sockets times tens of jobs
    // would keep the database busy long after); the second, submitted once they are subscribed,
    // for the saturated windows and the baseline after.
    const submit = async () => {
      const ids = [];
      await pool([...Array(cfg.jobs).keys()], cfg.submitConcurrency, async () => {
        ids.push((await http('POST', '/api/v1/jobs', { workflow: workflow(), metadata: { bench: 'ws-synthetic' } })).id);
      });
      return ids;
    };
    const before = await submit();
    const stored = async () => Number((await db.query('SELECT coalesce(sum(last_seq), 0) AS n FROM jobs')).rows[0].n);

    const publisher = stack.launch('synth-publisher', 'bench/lib/synthetic-publisher.ts', stack.common());
    log(`synthetic publisher: ${await stack.nextMessage(publisher, 'synthReady', 60_000)} jobs`);
    const subs = Array.from({ length: cfg.rawProcs }, (_, i) =>
      stack.launch(`raw-subs-${i}`, 'bench/lib/raw-subscribers.mjs', { BENCH_API_URL: stack.apiUrl, BENCH_READ_KEY: readKey }),
    );
    await Promise.all(subs.map((s) => stack.nextMessage(s, 'rawSubsReady', 60_000)));
    const ask = async (child, op, field, extra = {}) => {
      const reply = stack.nextMessage(child, field, 600_000);
      child.proc.send({ rawSubs: op, ...extra });
      return reply;
    };
    const delivered = async () => (await Promise.all(subs.map((s) => ask(s, 'total', 'rawSubsTotal')))).reduce((a, b) => a + b, 0);
    const published = async () => {
      const reply = stack.nextMessage(publisher, 'synthCount', 30_000);
      publisher.proc.send({ synth: 'count' });
      return reply;
    };
    const redisPort = Number(new URL(stack.redisUrl).port || 6379);
    const apiRedisPorts = redisPortsOf(stack.api.pid, redisPort);
    // The API says when its fan-out falls behind (it pauses its event subscription) and catches up.
    const pauses = { paused: 0, resumed: 0 };
    const onLine = stack.api.onLine.bind(stack.api);
    stack.api.onLine = (line) => {
      if (line.includes('event subscription paused')) pauses.paused += 1;
      else if (line.includes('event subscription resumed')) pauses.resumed += 1;
      onLine(line);
    };
    const subsCpu = () => subs.reduce((a, s) => a + procCpuMs(s.pid), 0);
    const subsWait = () => subs.reduce((a, s) => a + mainThreadWaitMs(s.pid), 0);

    /** Publishes at `rate` for the set seconds with the GET probe on; `open` sockets subscribed. */
    const phase = async (label, rate, open, base, jobIds) => {
      results.phase = label;
      await stack.api.ask('loop-reset');
      const slices0 = await sliceCounts();
      const cpu0 = procCpuMs(stack.api.pid);
      const wait0 = mainThreadWaitMs(stack.api.pid);
      const subsCpu0 = subsCpu();
      const subsWait0 = subsWait();
      const pub0 = await published();
      const del0 = open ? await delivered() : 0;
      const start = Date.now();
      const probe = await getProbe(jobIds[0]);
      const ran = stack.nextMessage(publisher, 'synthRan', (cfg.syntheticSeconds + 300) * 1000);
      publisher.proc.send({ synth: 'run', rate, seconds: cfg.syntheticSeconds, jobIds });
      // The timeline: every second, what was published and delivered, and what Redis holds for the API.
      const timeline = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await sleep(1000);
          const [p, d, b, st] = await Promise.all([published(), open ? delivered() : 0, pubsubBacklog(redis, apiRedisPorts).catch(() => null), base ? stored() : 0]);
          const t = (Date.now() - start) / 1000;
          // Deliveries owed: every event stored since the mark, to every socket, less what arrived.
          const owed = base ? (st - base.stored) * open - d : 0;
          timeline.push({ t: Math.round(t * 10) / 10, published: p - pub0, delivered: d - del0, owed, redisOmem: b?.omem ?? null, apiCpuPct: null });
        }
      })();
      const done = await ran;
      if (done.error) throw new Error(`synthetic publisher: ${done.error}`);
      sampling = false;
      await sampler;
      const get = await probe.stop();
      const seconds = (Date.now() - start) / 1000;
      const { loop, gc } = await apiLoop();
      const slices1 = await sliceCounts();
      const pub1 = await published();
      const del1 = open ? await delivered() : 0;
      const apiCpuMs = procCpuMs(stack.api.pid) - cpu0;
      const d = (k) => (slices0 && slices1 ? slices1[k] - slices0[k] : NaN);
      const row = {
        label,
        rate,
        open,
        seconds,
        published: pub1 - pub0,
        publishedPerSecond: (pub1 - pub0) / seconds,
        publisherLateTicks: done.lateTicks,
        offeredPerSecond: ((pub1 - pub0) * open) / seconds,
        delivered: del1 - del0,
        deliveredPerSecond: (del1 - del0) / seconds,
        owedAtEnd: base ? ((await stored()) - base.stored) * open - del1 : 0,
        timeline,
        get: get.ms,
        getHistogram: get.histogram,
        getFailed: get.failed,
        probeLoopMs: get.probeLoopMs,
        probeWaitPct: get.probeWaitPct,
        apiLoopMs: loop,
        apiGc: gc,
        apiCpuMs,
        apiCpuPct: apiCpuMs / 10 / seconds,
        apiRunQueueWaitPct: (mainThreadWaitMs(stack.api.pid) - wait0) / 10 / seconds,
        apiCpuUsPerDelivery: del1 - del0 > 0 ? (apiCpuMs * 1000) / (del1 - del0) : null,
        subsCpuPct: (subsCpu() - subsCpu0) / 10 / seconds,
        subsWaitPct: (subsWait() - subsWait0) / 10 / seconds,
        subsCpuUsPerDelivery: del1 - del0 > 0 ? ((subsCpu() - subsCpu0) * 1000) / (del1 - del0) : null,
        slices: slices0 && slices1 ? { count: d('count'), meanMs: (d('sum') * 1000) / Math.max(1, d('count')), over10: d('count') - d('le10'), over25: d('count') - d('le25'), over50: d('count') - d('le50'), over100: d('count') - d('le100') } : null,
        redisOmemMax: Math.max(0, ...timeline.map((x) => x.redisOmem ?? 0)),
        pauses: { ...pauses },
        loadavg: loadavg()[0],
      };
      const last = timeline.at(-1);
      log(
        `${label}: published ${row.published} (${row.publishedPerSecond.toFixed(0)}/s), delivered ${row.delivered} (${row.deliveredPerSecond.toFixed(0)}/s of ${row.offeredPerSecond.toFixed(0)}/s offered), owed ${row.owedAtEnd}; ` +
          `GET p50 ${get.ms.p50} p99 ${get.ms.p99} max ${get.ms.max} ms (${get.ms.count}); API loop max ${loop.max} ms, CPU ${row.apiCpuPct.toFixed(0)}%; Redis omem ${last?.redisOmem ?? '-'}; load ${row.loadavg.toFixed(1)}`,
      );
      return row;
    };

    const topRate = Math.max(...cfg.syntheticRates);
    // Warm-up: a few sockets and a short burst, so the fan-out's code is compiled before measuring.
    results.phase = 'warm-up';
    await ask(subs[0], 'connect', 'rawSubsConnected', { n: 20, concurrency: 20 });
    publisher.proc.send({ synth: 'run', rate: 200, seconds: 3, jobIds: before });
    await stack.nextMessage(publisher, 'synthRan', 120_000);
    await sleep(1000);
    await ask(subs[0], 'close', 'rawSubsClosed');
    await sleep(1000);

    r.baselines.push(await phase('no subscribers (before)', topRate, 0, null, before));
    await pool(before, cfg.submitConcurrency, (id) => http('POST', `/api/v1/jobs/${id}/cancel`));

    results.phase = 'connect';
    const t0 = Date.now();
    const per = Math.ceil(cfg.subscribers / subs.length);
    const conns = await Promise.all(
      subs.map((s, i) => ask(s, 'connect', 'rawSubsConnected', { n: Math.max(0, Math.min(per, cfg.subscribers - i * per)), concurrency: Math.ceil(cfg.connectConcurrency / subs.length) })),
    );
    const open = conns.reduce((a, c) => a + c.connected, 0);
    r.connect = { open, seconds: (Date.now() - t0) / 1000, failures: conns.map((c) => c.failures) };
    log(`${open}/${cfg.subscribers} raw subscribers connected in ${r.connect.seconds.toFixed(1)} s`);
    await sleep(cfg.idleMs);

    const drops0 = await dropCounts(stack.apiUrl);
    await Promise.all(subs.map((s) => ask(s, 'mark', 'rawSubsMarked')));
    const base = { published: await published(), stored: await stored() };
    const apiCpu0 = procCpuMs(stack.api.pid);
    const subsCpu0 = subsCpu();
    const ids = await submit();
    for (const rate of cfg.syntheticRates) r.steps.push(await phase(`${rate} events/s x ${open} sockets`, rate, open, base, ids));

    // The drain: until every socket has every event published, or nothing moves for 15 s.
    results.phase = 'drain';
    const drainStart = Date.now();
    const publishedTotal = (await published()) - base.published;
    const storedTotal = (await stored()) - base.stored;
    let last = -1;
    let still = Date.now();
    for (;;) {
      const d = await delivered();
      if (d >= storedTotal * open) break;
      if (d !== last) {
        last = d;
        still = Date.now();
      } else if (Date.now() - still > 15_000) break;
      if (Date.now() > ctx.deadline - 60_000) break;
      await sleep(500);
    }
    r.drainSeconds = (Date.now() - drainStart) / 1000;
    await sleep(1000); // stragglers (duplicates would show)
    const apiCpuMs = procCpuMs(stack.api.pid) - apiCpu0;
    const subsCpuMs = subsCpu() - subsCpu0;

    const drops1 = await dropCounts(stack.apiUrl);
    r.gatewayDrops = Object.fromEntries(Object.keys(drops1).map((k) => [k, drops1[k] - (drops0[k] ?? 0)]).filter(([, v]) => v));
    // Completeness: every socket's count against what the publisher published and the table holds.
    const counts = await Promise.all(subs.map((s) => ask(s, 'counts', 'rawSubsCounts')));
    const perSocket = counts.flatMap((c) => c.perSocket);
    const storedDelta = (await stored()) - base.stored;
    const total = perSocket.reduce((a, b) => a + b, 0);
    r.completeness = {
      published: publishedTotal,
      stored: storedDelta,
      jobs: ids.length,
      sockets: perSocket.length,
      stillOpen: counts.reduce((a, c) => a + c.open, 0),
      complete: perSocket.filter((n) => n === storedDelta).length,
      short: perSocket.filter((n) => n < storedDelta).length,
      over: perSocket.filter((n) => n > storedDelta).length,
      missing: perSocket.reduce((a, n) => a + Math.max(0, storedDelta - n), 0),
      delivered: total,
      closes: counts.map((c) => c.closes),
      checker: counts[0].checker,
    };
    r.whole = {
      delivered: total,
      apiCpuMs,
      apiCpuUsPerDelivery: (apiCpuMs * 1000) / Math.max(1, total),
      subsCpuUsPerDelivery: (subsCpuMs * 1000) / Math.max(1, total),
      pauses: { ...pauses },
    };
    log(
      `drain ${r.drainSeconds.toFixed(1)} s; ${r.completeness.complete}/${perSocket.length} sockets got all ${storedDelta} stored events (published ${publishedTotal}); missing ${r.completeness.missing}; ` +
        `API ${r.whole.apiCpuUsPerDelivery.toFixed(2)} µs CPU per delivery, subscribers ${r.whole.subsCpuUsPerDelivery.toFixed(2)} µs`,
    );
    await Promise.all(subs.map((s) => ask(s, 'close', 'rawSubsClosed')));
    await sleep(2000);
    r.baselines.push(await phase('no subscribers (after)', topRate, 0, null, ids));
    results.phase = 'done';
  } finally {
    redis.disconnect();
    await db.end().catch(() => undefined);
  }
}

/**
 * The gateway's own count of what it dropped, from /metrics: slow consumers (4408) and
 * disconnects by close code (1006: cut off without a close handshake, e.g. by the heartbeat).
 */
async function dropCounts(apiUrl) {
  const text = await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(60_000) }).then((res) => res.text()).catch(() => '');
  const out = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('gantry_ws_slow_consumer_drops_total')) out.slowConsumer = Number(line.split(' ').pop());
    const code = /^gantry_ws_disconnects_total\{[^}]*code="([^"]+)"/.exec(line);
    if (code) out[`close ${code[1]}`] = Number(line.split(' ').pop());
  }
  return out;
}

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));

/** Report rows of the saturated mode (for stats.table). */
export function syntheticRows(s, { getFigures, loopFigures, gcFigures, ratio, ms }) {
  const rows = [];
  if (s.connect) rows.push(['raw subscribers', `${s.connect.open} connected in ${s.connect.seconds.toFixed(1)} s`]);
  const all = [...s.baselines.slice(0, 1), ...s.steps, ...s.baselines.slice(1)];
  for (const p of all) {
    rows.push(`${p.label}: load ${p.loadavg.toFixed(1)}`);
    if (p.open) {
      rows.push(['published / offered / delivered', `${fmt(p.publishedPerSecond)} events/s (${p.publisherLateTicks} late ticks) / ${fmt(p.offeredPerSecond)} / ${fmt(p.deliveredPerSecond)} deliveries/s; owed at the end ${p.owedAtEnd}`]);
      rows.push(['owed deliveries over time', p.timeline.filter((_, i) => i % 2 === 1).map((x) => `${x.t}s ${x.owed}`).join(', ')]);
      rows.push(['Redis output buffer for the API (max)', `${(p.redisOmemMax / 1024).toFixed(0)} KiB; API pauses/resumes so far ${p.pauses.paused}/${p.pauses.resumed}`]);
    } else rows.push(['published', `${fmt(p.publishedPerSecond)} events/s, nobody subscribed`]);
    rows.push(['GET /jobs/{id}', `${getFigures(p.get)}, ${p.getFailed} failed`]);
    rows.push(['API event-loop delay', loopFigures(p.apiLoopMs)]);
    rows.push(['API GC pauses', gcFigures(p.apiGc)]);
    if (p.slices) rows.push(['fan-out slices', `${p.slices.count}, mean ${p.slices.meanMs.toFixed(2)} ms; > 10 / 25 / 50 / 100 ms: ${p.slices.over10} / ${p.slices.over25} / ${p.slices.over50} / ${p.slices.over100}`]);
    rows.push(['CPU', `API ${fmt(p.apiCpuPct)}% (waiting for a CPU ${fmt(p.apiRunQueueWaitPct)}%), subscribers ${fmt(p.subsCpuPct)}% (waiting ${fmt(p.subsWaitPct)}%)${p.open ? `; per delivery: API ${fmt(p.apiCpuUsPerDelivery, 2)} µs, subscribers ${fmt(p.subsCpuUsPerDelivery, 2)} µs` : ''}`]);
    rows.push(['the probe process itself', `event-loop delay p99 ${p.probeLoopMs?.p99} / max ${p.probeLoopMs?.max} ms; waiting for a CPU ${fmt(p.probeWaitPct)}%`]);
  }
  if (s.completeness) {
    const c = s.completeness;
    rows.push('completeness (after the drain)');
    rows.push(['drain', `${s.drainSeconds.toFixed(1)} s`]);
    rows.push(['events published / stored', `${c.published} by the synthetic publisher / ${c.stored} stored (with each job's \`queued\` event, published by the API)`]);
    rows.push(['sockets with every event', `${c.complete} of ${c.sockets} (short ${c.short}, over ${c.over}; ${c.missing} deliveries missing; ${c.stillOpen} still open; closes ${JSON.stringify(c.closes)})`]);
    rows.push(['the gateway\'s drops (its /metrics)', JSON.stringify(s.gatewayDrops ?? {})]);
    rows.push(['checker socket (parses all)', `${c.checker.events} events of ${c.checker.jobs} jobs, gaps ${c.checker.gaps}, duplicates ${c.checker.duplicates}, other messages ${JSON.stringify(c.checker.other)}`]);
    rows.push(['CPU per delivery, whole saturated run', `API ${s.whole.apiCpuUsPerDelivery.toFixed(2)} µs, raw subscribers ${s.whole.subsCpuUsPerDelivery.toFixed(2)} µs (${s.whole.delivered} deliveries)`]);
  }
  const quiet = new Histogram();
  for (const b of s.baselines) if (b.getHistogram) quiet.merge(b.getHistogram);
  const loaded = new Histogram();
  for (const p of s.steps) if (p.getHistogram) loaded.merge(p.getHistogram);
  if (quiet.count && loaded.count) {
    const q = quiet.summary();
    const l = loaded.summary();
    rows.push(['GET saturated (all steps) / none', `p50 ${ms(l.p50)} / ${ms(q.p50)} (${ratio(l.p50, q.p50)}), p99 ${ms(l.p99)} / ${ms(q.p99)} (${ratio(l.p99, q.p99)}), max ${ms(l.max)} / ${ms(q.max)}; ${l.count} / ${q.count} requests`]);
    s.getSaturated = l;
    s.getQuiet = q;
  }
  for (const p of all) delete p.getHistogram; // not for the JSON line
  return rows;
}
