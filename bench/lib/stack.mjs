// The processes of the WebSocket benchmark: a fresh database, simulated GPUs, one worker and one
// API, each in its own process (the API's memory is what the bench measures), plus their cleanup.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { apiNodeFlags } from '../../scripts/api-node-flags.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = pathToFileURL(path.join(ROOT, 'bench/lib/child-probe.mjs')).href;

/** A free TCP port on 127.0.0.1 (the OS picks it; it is released right away). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The server URL with another database name. */
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A child process running a TypeScript entry point with tsx, with the bench's probe preloaded. */
class Child {
  constructor(name, entry, env, { exposeGc = false, nodeArgs = [], log }) {
    this.name = name;
    this.lines = [];
    this.printed = 0;
    this.log = log;
    this.exited = false;
    this.pending = new Map();
    this.nextId = 1;
    const args = [
      ...(exposeGc ? ['--expose-gc'] : []),
      ...nodeArgs,
      '--conditions=@gantry/source',
      '--import',
      'tsx',
      '--import',
      PROBE,
      path.join(ROOT, entry),
    ];
    this.command = `node ${args.map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a.startsWith('file:') ? path.relative(ROOT, fileURLToPath(a)) : a)).join(' ')}`;
    this.proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.pid = this.proc.pid;
    this.exit = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.exited = true;
        for (const { reject } of this.pending.values()) reject(new Error(`${name} exited`));
        this.pending.clear();
        resolve({ code, signal });
      }),
    );
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.onLine(line);
      });
    }
    this.proc.on('message', (msg) => {
      if (msg?.benchProbe && this.pending.has(msg.id)) {
        this.pending.get(msg.id).resolve(msg);
        this.pending.delete(msg.id);
      } else this.proc.emit('bench-message', msg);
    });
  }

  /** Keeps the last lines for error reports; echoes warnings (bounded) so problems show. */
  onLine(line) {
    if (!line.trim()) return;
    this.lines.push(line);
    if (this.lines.length > 200) this.lines.shift();
    if (/"level":(40|50|60)|Error|error/.test(line)) {
      if (this.printed < 20) this.log(`[${this.name}] ${line.slice(0, 400)}`);
      else if (this.printed === 20) this.log(`[${this.name}] (more output suppressed)`);
      this.printed += 1;
    }
  }

  /** One request to the preloaded probe. */
  ask(op, extra = {}, timeoutMs = 30_000) {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: probe ${op} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.proc.send({ benchProbe: true, id, op, ...extra });
    });
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 8000) {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  tail(n = 15) {
    return this.lines.slice(-n).join('\n');
  }
}

/**
 * Everything the bench starts, and its cleanup. Every step records what it created, so cleanup()
 * undoes exactly that, whenever it is called (error, timeout, Ctrl-C), and only once.
 */
export class BenchStack {
  constructor({ log }) {
    this.log = log;
    this.children = [];
    this.redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    // Server on which to create (and drop) the bench database.
    this.serverUrl = process.env.TEST_DATABASE_URL || process.env.BENCH_DATABASE_SERVER_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
    const tag = randomBytes(5).toString('hex');
    this.dbName = `gantry_bench_${tag}`;
    this.databaseUrl = withDatabase(this.serverUrl, this.dbName);
    this.prefix = `gantry-bench-${tag}`;
    this.adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
    this.dbCreated = false;
    this.artifactDir = null;
    this.cleaning = null;
  }

  async createDatabase() {
    const client = new pg.Client({ connectionString: this.serverUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${this.dbName}"`);
      this.dbCreated = true;
    } finally {
      await client.end();
    }
    const migrate = spawnSync(process.execPath, [path.join(ROOT, 'scripts/migrate.mjs'), '--url', this.databaseUrl], { cwd: ROOT, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(`migration failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }

  common() {
    if (!this.artifactDir) this.artifactDir = mkdtempSync(path.join(tmpdir(), 'gantry-bench-artifacts-'));
    return {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redisUrl,
      GANTRY_QUEUE_PREFIX: this.prefix,
      GANTRY_ARTIFACT_DIR: this.artifactDir,
      LOG_LEVEL: 'warn',
    };
  }

  launch(name, entry, env, options = {}) {
    const child = new Child(name, entry, env, { ...options, log: this.log });
    this.children.push(child);
    return child;
  }

  async startSims(count, stepMs) {
    const sims = this.launch('gpu-sims', 'bench/lib/gpu-sims.ts', { BENCH_GPUS: String(count), GPU_SIM_STEP_MS: String(stepMs) });
    const urls = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gpu-sims did not start within 60 s\n${sims.tail()}`)), 60_000);
      sims.proc.on('bench-message', (msg) => {
        if (msg?.benchSims) {
          clearTimeout(timer);
          resolve(msg.benchSims);
        }
      });
      sims.exit.then(({ code }) => reject(new Error(`gpu-sims exited (${code})\n${sims.tail()}`)));
    });
    this.sims = sims;
    return urls;
  }

  async startWorker(simUrls, extraEnv = {}) {
    this.worker = this.launch('worker', 'apps/worker/src/main.ts', {
      ...this.common(),
      GANTRY_BACKENDS: simUrls.map((u, i) => `sim${i}=${u}`).join(' '),
      GANTRY_SHUTDOWN_GRACE_MS: '2000',
      GANTRY_WORKER_HTTP_PORT: '0',
      ...extraEnv,
    });
    return this.worker;
  }

  /**
   * `nodeArgs`: extra node flags for the API process only (e.g. `--cpu-prof`), after the API's own
   * (apps/api/node-flags, as every start path runs it). GANTRY_API_NODE_FLAGS, when set, replaces
   * the API's own flags (space-separated; empty: none), for a paired run with and without them.
   */
  async startApi(extraEnv = {}, nodeArgs = []) {
    const own = apiNodeFlags(ROOT);
    this.apiNodeFlags = own;
    const port = await freePort();
    this.apiEnv = { ...this.common(), PORT: String(port), HOST: '127.0.0.1', GANTRY_ADMIN_KEY: this.adminKey, GANTRY_RATE_LIMIT_PER_MINUTE: '0', GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '0', GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE: '0',
      // Thousands of sockets from one address and one key: the stream's abuse limits are off.
      GANTRY_WS_MAX_SOCKETS_PER_KEY: '0', GANTRY_WS_MAX_SOCKETS_PER_IP: '0', GANTRY_WS_UPGRADES_PER_MINUTE: '0', ...extraEnv };
    this.api = this.launch('api', 'apps/api/src/main.ts', this.apiEnv, { exposeGc: true, nodeArgs: [...own, ...nodeArgs] });
    this.apiUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (this.api.exited) throw new Error(`the API exited at start:\n${this.api.tail()}`);
      try {
        const res = await fetch(`${this.apiUrl}/api/v1/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the API did not become healthy within 90 s:\n${this.api.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.api;
  }

  /** The GET probe in its own process (bench/lib/get-probe.mjs); resolves once it listens for work. */
  async startGetProbe(everyMs) {
    const probe = this.launch('get-probe', 'bench/lib/get-probe.mjs', { BENCH_API_URL: this.apiUrl, BENCH_API_KEY: this.adminKey, BENCH_PROBE_EVERY_MS: String(everyMs) });
    await this.nextMessage(probe, 'getProbeReady', 60_000);
    this.getProbe = probe;
    return probe;
  }

  /** The next IPC message of a child that has `field`. */
  nextMessage(child, field, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${child.name}: no ${field} within ${timeoutMs / 1000} s\n${child.tail()}`)), timeoutMs);
      const onMessage = (msg) => {
        if (msg?.[field] === undefined) return;
        clearTimeout(timer);
        child.proc.off('bench-message', onMessage);
        resolve(msg[field]);
      };
      child.proc.on('bench-message', onMessage);
      child.exit.then(({ code }) => reject(new Error(`${child.name} exited (${code})\n${child.tail()}`)));
    });
  }

  /** The raw baseline: plain ws fanning out the same bus (bench/lib/raw-ws-fanout.mjs); resolves with its URL. */
  async startRawFanout() {
    const port = await freePort();
    this.raw = this.launch('raw-ws', 'bench/lib/raw-ws-fanout.mjs', { ...this.common(), PORT: String(port) }, { exposeGc: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw ws server did not start within 60 s\n${this.raw.tail()}`)), 60_000);
      this.raw.proc.on('bench-message', (msg) => {
        if (msg?.benchRawReady) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.raw.exit.then(({ code }) => reject(new Error(`raw ws server exited (${code})\n${this.raw.tail()}`)));
    });
    return `ws://127.0.0.1:${port}`;
  }

  /** Stops the processes, drops the database, deletes the prefix's Redis keys and the artifacts. */
  cleanup() {
    this.cleaning ??= this.doCleanup();
    return this.cleaning;
  }

  async doCleanup() {
    const problems = [];
    // Worker first (it holds jobs), then the API, then the sims.
    const order = ['get-probe', 'worker', 'api', 'raw-ws', 'gpu-sims'];
    const children = [...this.children].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    for (const child of children) await child.stop().catch((err) => problems.push(`${child.name}: ${err.message}`));
    if (this.dbCreated) {
      const client = new pg.Client({ connectionString: this.serverUrl });
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${this.dbName}" WITH (FORCE)`);
        this.dbCreated = false;
      } catch (err) {
        problems.push(`drop database ${this.dbName}: ${err.message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } catch (err) {
      problems.push(`redis cleanup of ${this.prefix}:*: ${err.message}`);
    } finally {
      redis.disconnect();
    }
    if (this.artifactDir) rmSync(this.artifactDir, { recursive: true, force: true });
    return problems;
  }
}
