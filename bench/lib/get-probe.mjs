// The HTTP probe of `npm run bench:ws`, in its own process so that its timings are not the bench
// clients' queueing: one GET /api/v1/jobs/{id} at a time, every BENCH_PROBE_EVERY_MS, between a
// `start` and a `stop` message from the bench; `stop` is answered with every request's time (ms)
// and the failures. Not part of Gantry.
const url = process.env.BENCH_API_URL;
const key = process.env.BENCH_API_KEY;
const everyMs = Number(process.env.BENCH_PROBE_EVERY_MS ?? 100);
let running = null;
let on = false;

async function loop(jobId, times, errors) {
  while (on) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/api/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(120_000) });
      await res.arrayBuffer();
      if (res.ok) times.push(performance.now() - t0);
      else errors.count += 1;
    } catch {
      errors.count += 1;
    }
    const wait = everyMs - (performance.now() - t0);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

process.on('message', async (msg) => {
  if (msg?.getProbe === 'start') {
    on = true;
    const times = [];
    const errors = { count: 0 };
    running = loop(msg.jobId, times, errors).then(() => ({ times, failed: errors.count }));
    process.send?.({ getProbeStarted: true });
  } else if (msg?.getProbe === 'stop' && running) {
    on = false;
    const result = await running;
    running = null;
    process.send?.({ getProbeResult: result });
  }
});
// The IPC channel is unref'd by the preloaded probe: this timer keeps the process waiting for work
// (it stops when the bench does: SIGTERM, or the channel closing).
setInterval(() => undefined, 1 << 30);
process.send?.({ getProbeReady: true });
