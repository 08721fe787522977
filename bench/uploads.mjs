// Uploads benchmark (issue 10 "Measure"): N concurrent uploads of a big image to POST
// /api/v1/uploads (throughput, the API's RSS while they stream) against a raw node:http baseline
// streaming the same bytes to a file, in the same run; then an img2img job on gpu-sim end to end
// (upload + submit → succeeded) against the same job without inputs. Prints figures, asserts nothing.
//
//   npm run bench:uploads                          # 20 x 50 MB, 10 jobs each way
//   npm run bench:uploads -- --count 10 --mb 20 --jobs 5
import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { BenchStack, ROOT } from './lib/stack.mjs';
import { procMemory } from './lib/stats.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg('count', 20);
const MB = arg('mb', 50);
const JOBS = arg('jobs', 10);
const log = (...a) => console.log(...a);

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}
function png(width, height, rgb, padBytes = 0, tag = 0) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const pad = Buffer.alloc(padBytes, 0x5a);
  if (padBytes >= 4) pad.writeUInt32BE(tag, 0); // each upload its own bytes (no dedupe)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(padBytes ? [chunk('gaNt', pad)] : []), // a private ancillary chunk: a valid, big PNG
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** POSTs `body` with node:http in 64 KiB writes (chunked, no Content-Length), honouring backpressure. */
function postStreamed(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    let at = 0;
    const write = () => {
      while (at < body.length) {
        const ok = req.write(body.subarray(at, at + 65_536));
        at += 65_536;
        if (!ok) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

/** Sends `count` bodies of `bytes` each at once, streamed in 64 KiB chunks, sampling `pid`'s RSS. */
async function blast(url, headers, bodies, pid) {
  const samples = [];
  const sampler = setInterval(() => {
    const m = procMemory(pid);
    if (m) samples.push(m.rss);
  }, 50);
  const before = procMemory(pid).rss;
  const started = performance.now();
  const results = await Promise.all(bodies.map((body) => postStreamed(url, headers, body)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const total = bodies.reduce((s, b) => s + b.length, 0);
  return { statuses: [...new Set(results)], seconds, mbPerS: total / 1e6 / seconds, rssBeforeMb: before / 1e6, rssPeakMb: Math.max(...samples, before) / 1e6 };
}

async function main() {
  const stack = new BenchStack({ log });
  const rawDir = mkdtempSync(path.join(tmpdir(), 'gantry-bench-raw-'));
  let raw;
  const stop = async () => {
    raw?.kill();
    rmSync(rawDir, { recursive: true, force: true });
    await stack.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop().then(() => process.exit(130)));
  try {
    await stack.createDatabase();
    const sims = await stack.startSims(1, 5);
    await stack.startWorker(sims);
    await stack.startApi({ GANTRY_UPLOAD_MAX_BYTES: String((MB + 1) * 1024 * 1024) });
    raw = fork(path.join(ROOT, 'bench/lib/raw-upload-server.mjs'), [], { env: { ...process.env, RAW_DIR: rawDir } });
    const rawPort = await new Promise((resolve) => raw.on('message', (m) => m?.benchRawPort && resolve(m.benchRawPort)));
    const bodies = Array.from({ length: COUNT }, (_, i) => png(64, 64, [i * 10, 100, 200], MB * 1_000_000, i + 1));
    const auth = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'image/png' };
    // Warm-up: one small upload each way.
    await blast(`${stack.apiUrl}/api/v1/uploads`, auth, [png(8, 8, [1, 2, 3])], stack.api.pid);
    await blast(`http://127.0.0.1:${rawPort}/`, {}, [png(8, 8, [1, 2, 3])], raw.pid);
    log(`\n${COUNT} concurrent uploads of ${MB} MB (${((COUNT * MB) / 1000).toFixed(1)} GB), streamed in 64 KiB chunks`);
    const baseline = await blast(`http://127.0.0.1:${rawPort}/`, {}, bodies, raw.pid);
    const api = await blast(`${stack.apiUrl}/api/v1/uploads`, auth, bodies, stack.api.pid);
    const row = (name, r) => log(`  ${name.padEnd(34)} ${r.seconds.toFixed(2).padStart(6)} s  ${r.mbPerS.toFixed(0).padStart(5)} MB/s  RSS ${r.rssBeforeMb.toFixed(0)} → peak ${r.rssPeakMb.toFixed(0)} MB  (statuses ${r.statuses.join(',')})`);
    row('raw node:http → file (baseline)', baseline);
    row('POST /api/v1/uploads', api);
    log(`  ratio API/raw: ${(api.seconds / baseline.seconds).toFixed(2)}x time; RSS growth API ${(api.rssPeakMb - api.rssBeforeMb).toFixed(0)} MB vs raw ${(baseline.rssPeakMb - baseline.rssBeforeMb).toFixed(0)} MB for ${((COUNT * MB) / 1000).toFixed(1)} GB`);

    // img2img end to end vs the same job without inputs.
    const img2img = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/img2img-workflow.json'), 'utf8'));
    const plain = JSON.parse(readFileSync(path.join(ROOT, 'apps/gpu-sim/fixtures/default-workflow.json'), 'utf8'));
    plain['3'].inputs.steps = img2img['3'].inputs.steps;
    Object.assign(plain['5'].inputs, { width: 64, height: 64 });
    const call = async (method, p, body, headers = {}) => {
      const res = await fetch(`${stack.apiUrl}${p}`, { method, headers: { authorization: `Bearer ${stack.adminKey}`, ...(body && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}), ...headers }, body: body instanceof Uint8Array ? body : body ? JSON.stringify(body) : undefined });
      return res.json();
    };
    const runJob = async (withInput, i) => {
      const started = performance.now();
      let body = { workflow: plain };
      if (withInput) {
        const up = await call('POST', '/api/v1/uploads', png(64, 64, [i, 50, 50]));
        body = { workflow: img2img, inputs: { photo: { upload: up.id } } };
      }
      const job = await call('POST', '/api/v1/jobs', body);
      for (;;) {
        const view = await call('GET', `/api/v1/jobs/${job.id}`);
        if (['succeeded', 'failed', 'canceled'].includes(view.status)) {
          if (view.status !== 'succeeded') throw new Error(`job ${job.id} ${view.status}: ${JSON.stringify(view.error)}`);
          return performance.now() - started;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await runJob(false, 0);
    await runJob(true, 0);
    const times = { plain: [], img2img: [] };
    for (let i = 1; i <= JOBS; i++) {
      times.plain.push(await runJob(false, i));
      times.img2img.push(await runJob(true, i));
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    log(`\n${JOBS} jobs each, one at a time, 64x64, 4 steps of 5 ms on one gpu-sim (submit → succeeded, polled every 10 ms)`);
    log(`  without inputs (txt2img workflow):            median ${median(times.plain).toFixed(0)} ms`);
    log(`  img2img (upload + submit, worker uploads it): median ${median(times.img2img).toFixed(0)} ms`);
    log(`  ratio: ${(median(times.img2img) / median(times.plain)).toFixed(2)}x`);
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
