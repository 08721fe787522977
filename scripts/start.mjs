// `npm start`: the whole local stack. Checks (and where it can, starts) PostgreSQL and Redis,
// generates the Prisma client, migrates, then runs two simulated GPUs, one worker and the API.
// Ctrl-C stops everything cleanly.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { apiNodeFlags } from './api-node-flags.mjs';
import { ensureServices } from './services.mjs';
import { ROOT, runTs } from './run-ts.mjs';

if (existsSync(path.join(ROOT, '.env'))) process.loadEnvFile(path.join(ROOT, '.env'));
const env = process.env;
const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gantry';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const port = Number(env.PORT ?? 8080);
const simPorts = (env.GANTRY_SIM_PORTS ?? '8188,8189').split(',').map(Number);

function adminKey() {
  if (env.GANTRY_ADMIN_KEY) return env.GANTRY_ADMIN_KEY;
  // A stable development key, kept out of git in .data/, so restarts keep working clients.
  const file = path.join(ROOT, '.data', 'admin-key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `gty_dev_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

function webhookSecret() {
  if (env.GANTRY_WEBHOOK_SECRET) return env.GANTRY_WEBHOOK_SECRET;
  // Like the admin key: a stable development secret in .data/, so receivers keep verifying across restarts.
  const file = path.join(ROOT, '.data', 'webhook-secret');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

async function waitHttp(url, seconds) {
  for (let i = 0; i < seconds * 5; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready within ${seconds}s`);
}

const children = [];
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\n[gantry] stopping...');
  for (const c of [...children].reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 15_000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => {
    clearTimeout(force);
    process.exit(code);
  });
}
function launch(entry, name, extraEnv, nodeArgs = []) {
  const child = runTs(entry, { name, env: extraEnv, nodeArgs });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[gantry] ${name} exited (${signal ?? code}); stopping the stack`);
      stopAll(1);
    }
  });
  children.push(child);
  return child;
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

try {
  await ensureServices({ databaseUrl, redisUrl });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/prisma-generate.mjs')], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/migrate.mjs')], { stdio: 'inherit', env: { ...env, DATABASE_URL: databaseUrl } });
  const key = adminKey();
  const shared = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  simPorts.forEach((p, i) => launch('apps/gpu-sim/src/main.ts', `gpu-sim-${i}`, { GPU_SIM_PORT: String(p), GPU_SIM_NAME: `sim${i}` }));
  await Promise.all(simPorts.map((p) => waitHttp(`http://127.0.0.1:${p}/system_stats`, 30)));
  launch('apps/worker/src/main.ts', 'worker', {
    ...shared,
    GANTRY_BACKENDS: env.GANTRY_BACKENDS ?? simPorts.map((p, i) => `sim${i}=http://127.0.0.1:${p}`).join(' '),
    GANTRY_WEBHOOK_SECRET: webhookSecret(),
  });
  // With the API's Node.js flags (apps/api/node-flags), as the image runs it.
  launch('apps/api/src/main.ts', 'api', { ...shared, GANTRY_ADMIN_KEY: key, PORT: String(port) }, apiNodeFlags());
  await waitHttp(`http://127.0.0.1:${port}/api/v1/health`, 60);
  console.log(`
[gantry] ready: API http://127.0.0.1:${port}/api/v1  (admin key: ${env.GANTRY_ADMIN_KEY ? 'GANTRY_ADMIN_KEY' : '.data/admin-key'})
  Dashboard: http://127.0.0.1:${port}/dashboard  (sign in with the admin key)
  Submit the default workflow:
    curl -s -X POST http://127.0.0.1:${port}/api/v1/jobs -H "Authorization: Bearer $(cat .data/admin-key)" \\
      -H 'Content-Type: application/json' -d "{\\"workflow\\": $(cat apps/gpu-sim/fixtures/default-workflow.json)}"
  Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`[gantry] ${err.message}`);
  stopAll(1);
}
