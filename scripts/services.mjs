// Makes sure PostgreSQL and Redis answer before the stack or the tests start. When one is down on
// this machine and can be started here (Debian's pg_ctlcluster, a redis-server binary), it is
// started; otherwise the message says what to install or which URL to set.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';

function probe(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host, port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await probe(host, port, 250)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function isLocal(host) {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function startPostgres() {
  if (!has('pg_ctlcluster') || !existsSync('/etc/postgresql')) return false;
  for (const version of readdirSync('/etc/postgresql')) {
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
  return true;
}

function startRedis(port) {
  if (!has('redis-server')) return false;
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'inherit',
  });
  return true;
}

async function ensure(name, url, defaultPort, start, install) {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const p = Number(port || defaultPort);
  if (await probe(host, p)) return;
  if (isLocal(host) && start(p)) {
    if (await waitFor(host, p, 20)) {
      console.log(`[services] started ${name} on ${host}:${p}`);
      return;
    }
  }
  throw new Error(
    `${name} is not reachable at ${host}:${p}. ${isLocal(host) ? install : ''}` +
      `Or point ${name === 'PostgreSQL' ? 'DATABASE_URL' : 'REDIS_URL'} at a running server.`,
  );
}

/** Ensures both services; throws an Error with an actionable message otherwise. */
export async function ensureServices({ databaseUrl, redisUrl }) {
  await ensure('PostgreSQL', databaseUrl, 5432, startPostgres, 'Install PostgreSQL 14+ (Debian: apt-get install postgresql). ');
  await ensure('Redis', redisUrl, 6379, startRedis, 'Install Redis 6.2+ (Debian: apt-get install redis-server). ');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureServices({
    databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gantry',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  }).then(
    () => console.log('[services] PostgreSQL and Redis are up'),
    (err) => {
      console.error(`[services] ${err.message}`);
      process.exit(1);
    },
  );
}
