// Container health probe (the image's HEALTHCHECK and docker-compose.yml run it): exits 0 when
// healthy, 1 otherwise. Uses only Node built-ins, so it works in the pruned runtime image.
//
//   HEALTHCHECK_URL set  -> GET that URL; healthy on a 2xx answer.
//   otherwise, by the process this container runs (found in /proc, see role()):
//     api      -> GET http://127.0.0.1:$PORT/api/v1/health   (PORT default 8080)
//     gpu-sim  -> GET http://127.0.0.1:$GPU_SIM_PORT/system_stats   (default 8188)
//     worker   -> TCP connect to REDIS_URL (the worker has no HTTP endpoint)
//     anything else (migrate, a shell) -> healthy
//
// HEALTHCHECK_TIMEOUT_MS (default 4000) bounds the whole probe.
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';

const env = process.env;
const timeoutMs = Number(env.HEALTHCHECK_TIMEOUT_MS || 4000);

const ENTRIES = {
  api: 'apps/api/dist/main.js',
  worker: 'apps/worker/dist/main.js',
  'gpu-sim': 'apps/gpu-sim/dist/main.js',
};

/** Which Gantry process runs in this container (PID 1 normally; any process under `docker run --init`). */
function role() {
  if (process.argv[2]) return process.argv[2];
  let pids;
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return 'unknown';
  }
  for (const pid of pids.sort((a, b) => Number(a) - Number(b))) {
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    for (const [name, entry] of Object.entries(ENTRIES)) if (cmdline.includes(entry)) return name;
  }
  return 'unknown';
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`${url} answered ${res.status}`);
}

function tcpOk(urlText, defaultPort) {
  const url = new URL(urlText);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || defaultPort);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (err) => {
      socket.destroy();
      reject(new Error(`${host}:${port}: ${err.message}`));
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('timed out')));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

async function probe() {
  if (env.HEALTHCHECK_URL) return httpOk(env.HEALTHCHECK_URL);
  switch (role()) {
    case 'api':
      return httpOk(`http://127.0.0.1:${env.PORT || 8080}/api/v1/health`);
    case 'gpu-sim':
      return httpOk(`http://127.0.0.1:${env.GPU_SIM_PORT || 8188}/system_stats`);
    case 'worker':
      return tcpOk(env.REDIS_URL || 'redis://127.0.0.1:6379', 6379);
    default:
      return undefined;
  }
}

const timer = setTimeout(() => {
  console.error('unhealthy: probe timed out');
  process.exit(1);
}, timeoutMs + 1000);
timer.unref();

probe().then(
  () => process.exit(0),
  (err) => {
    const cause = err?.cause?.code ?? err?.cause?.message;
    console.error(`unhealthy: ${err instanceof Error ? err.message : err}${cause ? ` (${cause})` : ''}`);
    process.exit(1);
  },
);
