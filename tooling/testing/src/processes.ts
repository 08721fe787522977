/**
 * Real Gantry processes for black-box fault tests: spawns workers, gpu-sims and APIs from their
 * TypeScript sources (as scripts/run-ts.mjs does: `node --conditions=@gantry/source --import tsx
 * <entry>`), waits until each is ready, signals them (SIGKILL, SIGTERM, restart), writes each
 * one's output to its own log file under a temp directory, prints the logs' tails when a test
 * fails, and always cleans up: every child is killed at cleanup (with its process group), the
 * temp dir is removed, and a child whose test process died anyway kills itself (it watches its
 * parent), so no test run leaves processes behind.
 *
 * @example
 * const procs = await ProcessHarness.create('kill-worker');
 * const sim = await procs.startGpuSim({ name: 'sim0', stepMs: 10 });
 * const worker = await procs.startWorker({ name: 'w1', env: { ...stackEnv(stack), GANTRY_BACKENDS: backendList([sim]) } });
 * await procs.guard(async () => {
 *   await worker.kill();            // SIGKILL, resolves once it is gone
 *   await worker.restart();         // same command and environment, same log file
 * });
 * await procs.cleanup();            // in afterAll: kills what is left, removes the temp dir
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseRedisTarget, redisKeyPrefix } from '@gantry/domain';
import { closeRedis, createRedis, createRenderQueue, redisTimeMs } from '@gantry/queue';
import { NO_RATE_LIMITS } from './rate-limits.js';
import { scanKeys } from './redis-keys.js';

/** The repository root (this file lives in tooling/testing/src or tooling/testing/dist). */
export const REPO_ROOT = process.env.GANTRY_REPO_ROOT ?? path.resolve(__dirname, '../../..');

/** Entry points of the Gantry processes, relative to the repository root. */
export const ENTRIES = {
  worker: 'apps/worker/src/main.ts',
  gpuSim: 'apps/gpu-sim/src/main.ts',
  api: 'apps/api/src/main.ts',
} as const;

/**
 * The Node.js flags the API runs with wherever it is started (apps/api/node-flags: one per line,
 * `#` comments, or GANTRY_API_NODE_FLAGS in their place; the same rule as
 * scripts/api-node-flags.mjs, which this TypeScript module cannot import under jest), so tests run
 * the API as it is deployed.
 */
function apiNodeFlags(): string[] {
  const override = process.env.GANTRY_API_NODE_FLAGS;
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  return readFileSync(path.join(REPO_ROOT, 'apps/api/node-flags'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Environment variable that marks every child of one harness (to find leftovers in /proc). */
const MARKER = 'GANTRY_HARNESS_RUN';

/**
 * Preloaded into every child: if the process that spawned it goes away (a test runner killed
 * mid-test), the child kills itself instead of lingering as an orphan.
 */
const PARENT_WATCH = `data:text/javascript;base64,${Buffer.from(
  'const p=process.ppid;const t=setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},250);t.unref();',
).toString('base64')}`;

/** How the harness decides that a started process is ready. All given checks must pass. */
export interface ReadyCheck {
  /** A line of its output (since this start) matches. */
  log?: RegExp;
  /** This URL answers with a 2xx status. */
  http?: string;
  /** Resolves true. */
  probe?: () => Promise<boolean>;
}

export interface ProcessSpec {
  /** Unique within the harness; names the log file. */
  name: string;
  /** TypeScript entry point relative to the repository root, e.g. ENTRIES.worker. */
  entry: string;
  /** The child's whole environment besides PATH/HOME/LANG (nothing else is inherited). */
  env?: Record<string, string | undefined>;
  ready?: ReadyCheck;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Node.js flags before the entry point (the API's own: apiNodeFlags). */
  nodeArgs?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall-clock time of the exit (Date.now()). */
  at: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (bound and released, so it can be given to a child up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * How long a child's output may stay open after it exited: a helper it spawned that inherited a
 * stream (tsx's esbuild service holds its stderr) closes it a moment later.
 */
const OUTPUT_CLOSE_BOUND_MS = 2_000;

/** Resolves once the child's stdout and stderr closed (every byte read), or after `boundMs`. */
function outputClosed(child: ChildProcess, boundMs: number): Promise<void> {
  const open = [child.stdout, child.stderr].filter((s): s is NonNullable<typeof s> => s !== null && !s.closed);
  if (open.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = open.length;
    const timer = setTimeout(resolve, boundMs);
    for (const stream of open) {
      stream.once('close', () => {
        left -= 1;
        if (left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}

/** One child process of the harness; can be signaled, waited for and restarted. */
export class ManagedProcess {
  readonly logFile: string;
  /** Extra environment applied on every (re)start, set by restart(envPatch). */
  private envPatch: Record<string, string | undefined> = {};
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private output = ''; // output of the current run, for readiness and waitForLog (kept to its last 4 MB)
  private history = ''; // what was written to the log file, all runs (its last 1 MB), for tails without waiting on the file
  private exitInfo: ExitInfo | null = null;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null, at: 0 });
  private starts = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly harness: { dir: string; runId: string },
  ) {
    this.logFile = path.join(harness.dir, `${spec.name}.log`);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Pid of the current run (undefined before the first start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the current run has not exited. */
  get running(): boolean {
    return this.child !== null && this.exitInfo === null;
  }

  /** How the last run ended; null while running or never started. */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /** Spawns the process and waits until it is ready; rejects (with its log tail) if it exits or times out first. */
  async start(): Promise<this> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.starts += 1;
    this.output = '';
    this.exitInfo = null;
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const env = { ...this.spec.env, ...this.envPatch };
    const fullEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
      [MARKER]: this.harness.runId,
    };
    for (const [k, v] of Object.entries(env)) if (v !== undefined) fullEnv[k] = v;
    const child = spawn(
      process.execPath,
      [...(this.spec.nodeArgs ?? []), '--conditions=@gantry/source', '--import', PARENT_WATCH, '--import', 'tsx', path.join(REPO_ROOT, this.spec.entry)],
      // Its own process group, so kill() also takes the helpers it spawned (tsx's esbuild service).
      { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.child = child;
    this.note(`\n----- [harness] start #${this.starts} of ${this.name}: pid ${child.pid} at ${new Date().toISOString()} -----\n`);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.note(text);
      this.output += text;
      if (this.output.length > 4_000_000) this.output = this.output.slice(-2_000_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      child.once('error', (err) => {
        this.note(`----- [harness] spawn error: ${err.message} -----\n`);
        if (!this.exitInfo) {
          this.exitInfo = { code: null, signal: null, at: Date.now() };
          resolve(this.exitInfo);
        }
      });
      child.once('exit', (code, signal) => {
        const info = { code, signal, at: Date.now() };
        this.exitInfo = info;
        // 'exit' may come before the last of its output was read (Node's child_process docs): the
        // exit is told once both streams closed and what they carried is in the log file, so a test
        // that waited for it reads the process's last lines (its "stopped" line, say).
        void outputClosed(child, OUTPUT_CLOSE_BOUND_MS).then(() =>
          this.note(`----- [harness] ${this.name} (pid ${child.pid}) exited: ${signal ?? `code ${code}`} at ${new Date(info.at).toISOString()} -----\n`, () => resolve(info)),
        );
      });
    });
    liveChildren.add(child);
    void this.exitPromise.then(() => liveChildren.delete(child));
    try {
      await this.waitReady();
    } catch (err) {
      if (this.running) await this.kill();
      throw new Error(`${this.name} did not become ready: ${(err as Error).message}\n${this.tail(40)}`);
    }
    return this;
  }

  /** Appends to the log file and the in-memory history; `written` once the file has it (and all written before). */
  private note(text: string, written?: () => void): void {
    if (this.log) this.log.write(text, () => written?.());
    else written?.();
    this.history += text;
    if (this.history.length > 2_000_000) this.history = this.history.slice(-1_000_000);
  }

  private async waitReady(): Promise<void> {
    const ready = this.spec.ready;
    const timeoutMs = this.spec.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`it exited (${this.exitInfo?.signal ?? `code ${this.exitInfo?.code}`}) before it was ready`);
      if (await this.isReady(ready)) return;
      if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  private async isReady(ready: ReadyCheck | undefined): Promise<boolean> {
    if (!ready) return true;
    if (ready.log && !ready.log.test(this.output)) return false;
    if (ready.http) {
      try {
        const res = await fetch(ready.http, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) return false;
      } catch {
        return false;
      }
    }
    if (ready.probe && !(await ready.probe().catch(() => false))) return false;
    return true;
  }

  /**
   * Sends a signal without waiting (no-op when not running). SIGKILL goes to the whole process
   * group (the process and its helpers, as when a machine's process dies); other signals go to
   * the process itself, which is expected to shut its helpers down.
   */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    if (signal === 'SIGKILL') {
      try {
        process.kill(-this.child!.pid!, 'SIGKILL');
        return;
      } catch {
        /* no such group: fall back to the process */
      }
    }
    this.child!.kill(signal);
  }

  /** Resolves when the current run has exited; rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<ExitInfo> {
    if (!this.child) throw new Error(`${this.name} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.waitForExit(10_000);
  }

  /**
   * SIGTERM and wait up to `timeoutMs` for the exit. A process still alive then is SIGKILLed and
   * `forced` is true. `elapsedMs` is the time from the signal to the exit.
   */
  async terminate(timeoutMs = 15_000): Promise<ExitInfo & { forced: boolean; elapsedMs: number }> {
    const sent = Date.now();
    this.signal('SIGTERM');
    try {
      const info = await this.waitForExit(timeoutMs);
      return { ...info, forced: false, elapsedMs: info.at - sent };
    } catch {
      const info = await this.kill();
      return { ...info, forced: true, elapsedMs: info.at - sent };
    }
  }

  /**
   * Stops the process if it runs (SIGKILL by default) and starts it again with the same command
   * and environment plus `envPatch`; appends to the same log file.
   */
  async restart(options: { envPatch?: Record<string, string | undefined>; stopWith?: 'SIGKILL' | 'SIGTERM' } = {}): Promise<this> {
    if (this.running) {
      if (options.stopWith === 'SIGTERM') await this.terminate();
      else await this.kill();
    }
    if (options.envPatch) this.envPatch = { ...this.envPatch, ...options.envPatch };
    return this.start();
  }

  /** Waits until a line of the current run's output matches; returns the match. */
  async waitForLog(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms\n${this.tail(30)}`);
      await sleep(50);
    }
  }

  /** Output of the current run so far. */
  currentOutput(): string {
    return this.output;
  }

  /** Everything this process wrote, over all its runs (the log file). */
  logText(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** The last `lines` lines of its log file, with a header naming it. */
  tail(lines = 40): string {
    const state = this.running ? `running, pid ${this.pid}` : this.exitInfo ? `exited ${this.exitInfo.signal ?? `code ${this.exitInfo.code}`}` : 'not started';
    const all = this.history.split('\n');
    return `===== ${this.name} (${state}) — ${this.logFile} — last ${lines} lines =====\n${all.slice(-lines - 1).join('\n')}`;
  }

  /** Closes the log file; the harness calls this at cleanup. */
  async closeLog(): Promise<void> {
    const log = this.log;
    this.log = null;
    if (log) await new Promise<void>((r) => log.end(r));
  }
}

/** A child serving HTTP on a fixed port of 127.0.0.1 (kept across restarts, so its URL stays valid). */
export class PortedProcess extends ManagedProcess {
  constructor(
    spec: ProcessSpec,
    harness: { dir: string; runId: string },
    readonly port: number,
  ) {
    super(spec, harness);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

/** A gpu-sim child on a fixed port (kept across restarts, so backend URLs stay valid). */
export class GpuSimProcess extends PortedProcess {
  /** Backend id used by backendList (the sim's name). */
  get id(): string {
    return this.name;
  }

  /** POST /gpu-sim/faults (merges; `clear: true` clears first). Returns the faults now active. */
  async setFaults(faults: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/gpu-sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`${this.name}: POST /gpu-sim/faults → ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  }

  clearFaults(): Promise<Record<string, unknown>> {
    return this.setFaults({ clear: true });
  }

  /** POST /gpu-sim/drop-sockets: closes every WebSocket now, as a network drop would. */
  async dropSockets(): Promise<void> {
    const res = await fetch(`${this.url}/gpu-sim/drop-sockets`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${this.name}: POST /gpu-sim/drop-sockets → ${res.status}`);
  }

  /** ComfyUI's GET /queue: `{queue_running, queue_pending}` (entries are [number, prompt_id, ...]). */
  async queue(): Promise<{ queue_running: unknown[][]; queue_pending: unknown[][] }> {
    const res = await fetch(`${this.url}/queue`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
  }
}

/** An API child on a fixed port. */
export class ApiProcess extends PortedProcess {}

export interface GpuSimProcessOptions {
  /** Process name and backend id, e.g. "sim0". */
  name: string;
  /** Milliseconds per sampler step (GPU_SIM_STEP_MS). Default 5. */
  stepMs?: number;
  /** Faults active from the start (GPU_SIM_FAULTS). */
  faults?: Record<string, unknown>;
  /** Default: a free port chosen now. */
  port?: number;
  /** More GPU_SIM_* variables. */
  env?: Record<string, string | undefined>;
}

export interface WorkerProcessOptions {
  /** Process name; also GANTRY_WORKER_ID unless env sets one. */
  name: string;
  /** The worker's environment: stackEnv(stack) plus GANTRY_BACKENDS and any GANTRY_* settings. */
  env: Record<string, string | undefined>;
  /** Default: the worker logs `worker ready`. */
  ready?: ReadyCheck;
}

export interface ApiProcessOptions {
  name?: string;
  /** stackEnv(stack) plus GANTRY_ADMIN_KEY and any GANTRY_* settings. */
  env: Record<string, string | undefined>;
}

/** The connection settings of a stack (or any database/prefix) as a child's environment. */
export function stackEnv(stack: { databaseUrl: string; prefix: string; artifactDir: string; redisUrl?: string }): Record<string, string> {
  return {
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.redisUrl ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    GANTRY_QUEUE_PREFIX: stack.prefix,
    GANTRY_ARTIFACT_DIR: stack.artifactDir,
  };
}

/** One GANTRY_BACKENDS short-form entry: `id=url;capacity[;tag,tag]`. */
export function backendEntry(sim: { id: string; url: string }, options: { capacity?: number; tags?: string[] } = {}): string {
  const tags = options.tags?.length ? `;${options.tags.join(',')}` : '';
  return `${sim.id}=${sim.url};${options.capacity ?? 1}${tags}`;
}

/**
 * GANTRY_BACKENDS for these sims (or ready-made backendEntry strings), separated by spaces.
 * Backends are registered fleet-wide (every worker whose GANTRY_WORKER_TAGS they cover serves
 * them), so give a backend a tag and its worker GANTRY_WORKER_TAGS to keep it to one worker.
 */
export function backendList(sims: (string | { id: string; url: string })[], capacity = 1): string {
  return sims.map((s) => (typeof s === 'string' ? s : backendEntry(s, { capacity }))).join(' ');
}

/** Child processes alive in this test process; killed synchronously if it exits (e.g. a jest timeout). */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
});

/** Owns a temp directory and the processes started through it. One per test file. */
export class ProcessHarness {
  readonly processes: ManagedProcess[] = [];

  private constructor(
    readonly dir: string,
    readonly runId: string,
  ) {}

  static async create(label = 'proc'): Promise<ProcessHarness> {
    const dir = await mkdtemp(path.join(tmpdir(), `gantry-${label}-`));
    await mkdir(path.join(dir, 'tmp'));
    return new ProcessHarness(dir, `${label}-${randomBytes(6).toString('hex')}`);
  }

  /** Starts a process and waits until it is ready. */
  async start(spec: ProcessSpec): Promise<ManagedProcess> {
    return this.add(new ManagedProcess(spec, this)).start();
  }

  /** A gpu-sim on 127.0.0.1; ready when /system_stats answers. Its outputs go under the temp dir. */
  async startGpuSim(options: GpuSimProcessOptions): Promise<GpuSimProcess> {
    const port = options.port ?? (await freePort());
    const spec: ProcessSpec = {
      name: options.name,
      entry: ENTRIES.gpuSim,
      env: {
        GPU_SIM_PORT: String(port),
        GPU_SIM_HOST: '127.0.0.1',
        GPU_SIM_STEP_MS: String(options.stepMs ?? 5),
        GPU_SIM_NAME: options.name,
        ...(options.faults ? { GPU_SIM_FAULTS: JSON.stringify(options.faults) } : {}),
        TMPDIR: path.join(this.dir, 'tmp'), // its output directory: removed with the harness even after SIGKILL
        ...options.env,
      },
      ready: { http: `http://127.0.0.1:${port}/system_stats` },
    };
    return this.add(new GpuSimProcess(spec, this, port)).start();
  }

  /** A worker (apps/worker); ready when it logs `worker ready`. LOG_LEVEL defaults to info. */
  async startWorker(options: WorkerProcessOptions): Promise<ManagedProcess> {
    return this.start({
      name: options.name,
      entry: ENTRIES.worker,
      // The HTTP server (/metrics, /livez, /readyz) on a free port unless the test picks one.
      env: { LOG_LEVEL: 'info', GANTRY_WORKER_ID: options.name, GANTRY_WORKER_HTTP_PORT: '0', ...options.env },
      ready: options.ready ?? { log: /"msg":"worker ready"/ },
    });
  }

  /** An API process on a free port; ready when /api/v1/health answers 200. */
  async startApi(options: ApiProcessOptions): Promise<ApiProcess> {
    const port = await freePort();
    const spec: ProcessSpec = {
      name: options.name ?? 'api',
      entry: ENTRIES.api,
      nodeArgs: apiNodeFlags(),
      env: { LOG_LEVEL: 'info', HOST: '127.0.0.1', ...NO_RATE_LIMITS, ...options.env, PORT: String(port) },
      ready: { http: `http://127.0.0.1:${port}/api/v1/health` },
    };
    return this.add(new ApiProcess(spec, this, port)).start();
  }

  private add<P extends ManagedProcess>(proc: P): P {
    if (this.processes.some((p) => p.name === proc.name)) throw new Error(`a process named ${proc.name} exists already`);
    this.processes.push(proc);
    return proc;
  }

  /**
   * Runs a test body; if it throws, prints every process's log tail, then rethrows. Wrap each test's body: `it('...', () => procs.guard(async () => { ... }))`.
   */
  async guard<T>(fn: () => Promise<T>, tailLines = 40): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const keep = process.env.GANTRY_KEEP_PROCESS_LOGS ? `kept in ${this.dir}` : 'set GANTRY_KEEP_PROCESS_LOGS=1 to keep them';
      console.error(`${(err as Error)?.message ?? err}\n\nprocess logs (${keep}):\n${this.report(tailLines)}`);
      throw err;
    }
  }

  /** Every process's log tail. */
  report(tailLines = 40): string {
    return this.processes.map((p) => p.tail(tailLines)).join('\n\n');
  }

  /** Pids of live processes started by this harness (any run), found by their marker in /proc. */
  leftovers(): number[] {
    const pids: number[] = [];
    if (!existsSync('/proc')) {
      return this.processes.filter((p) => p.running).map((p) => p.pid!);
    }
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'Z' && env.split('\0').includes(`${MARKER}=${this.runId}`)) pids.push(Number(entry));
      } catch {
        /* gone, or not ours to read */
      }
    }
    return pids;
  }

  /**
   * Stops every process still running (SIGKILL, or SIGTERM first when `graceMs` is given), waits
   * for them, gives their helpers up to 3 s to go, then kills any process still carrying this
   * harness's marker. Returns those leftovers (a correct run has none). Safe to call more than once.
   */
  async stopAll(options: { graceMs?: number } = {}): Promise<{ leftovers: number[] }> {
    await Promise.allSettled(
      this.processes.filter((p) => p.running).map((p) => (options.graceMs ? p.terminate(options.graceMs) : p.kill())),
    );
    // Helpers of a process that exited normally may take a moment to notice; give them 3 s.
    const deadline = Date.now() + 3000;
    while (this.leftovers().length > 0 && Date.now() < deadline) await sleep(100);
    const found = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const pids = this.leftovers();
      if (pids.length === 0) break;
      for (const pid of pids) {
        found.add(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await sleep(100);
    }
    return { leftovers: [...found] };
  }

  /**
   * stopAll(), then closes the log files and removes the temp dir (logs included: their tails
   * were printed if a test failed). Set GANTRY_KEEP_PROCESS_LOGS=1 to keep it. Call it in afterAll.
   */
  async cleanup(options: { graceMs?: number } = {}): Promise<{ leftovers: number[] }> {
    const result = await this.stopAll(options);
    await Promise.all(this.processes.map((p) => p.closeLog()));
    if (process.env.GANTRY_KEEP_PROCESS_LOGS) {
      process.stderr.write(`process logs kept in ${this.dir}\n`);
    } else {
      await rm(this.dir, { recursive: true, force: true });
    }
    return result;
  }
}

// ---------------------------------------------------------------------------------------------
// Black-box reads for verification: PostgreSQL rows and Redis keys, never the worker's objects.
// ---------------------------------------------------------------------------------------------

const TERMINAL = ['succeeded', 'failed', 'canceled'];

export interface StateEventRow {
  seq: number;
  status: string;
  attempt: number | null;
  backend: string | null;
  errorCode: string | null;
  at: Date;
}

/** One job as the database sees it, with its state events and artifact count. */
export interface JobLedgerEntry {
  id: string;
  status: string;
  attempts: number;
  backendId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** `state` events in sequence order. */
  states: StateEventRow[];
  /** How many of those are terminal (succeeded/failed/canceled): exactly 1 once the job ended. */
  terminalEvents: number;
  artifacts: number;
  /** Backends of the job's `dispatched` events, in order. */
  dispatchedTo: string[];
}

/** Reads jobs (all, or these ids), their state events and artifact counts straight from PostgreSQL. */
export async function readJobLedger(databaseUrl: string, ids?: string[]): Promise<Map<string, JobLedgerEntry>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const filter = ids ? 'WHERE j.id = ANY($1::uuid[])' : '';
    const params = ids ? [ids] : [];
    const jobs = await client.query(
      `SELECT j.id, j.status::text AS status, j.attempts, j.backend_id, j.error_code, j.error_message,
              (SELECT count(*)::int FROM artifacts a WHERE a.job_id = j.id) AS artifacts
         FROM jobs j ${filter}`,
      params,
    );
    const events = await client.query(
      `SELECT e.job_id, e.seq, e.payload, e.created_at FROM job_events e JOIN jobs j ON j.id = e.job_id
        ${filter} ${filter ? 'AND' : 'WHERE'} e.type = 'state' ORDER BY e.job_id, e.seq`,
      params,
    );
    const ledger = new Map<string, JobLedgerEntry>();
    for (const r of jobs.rows) {
      ledger.set(r.id, {
        id: r.id,
        status: r.status,
        attempts: r.attempts,
        backendId: r.backend_id,
        errorCode: r.error_code,
        errorMessage: r.error_message,
        states: [],
        terminalEvents: 0,
        artifacts: r.artifacts,
        dispatchedTo: [],
      });
    }
    for (const e of events.rows) {
      const entry = ledger.get(e.job_id);
      if (!entry) continue;
      const p = e.payload ?? {};
      const row: StateEventRow = {
        seq: e.seq,
        status: p.status,
        attempt: p.attempt ?? null,
        backend: p.backend ?? null,
        errorCode: p.error?.code ?? null,
        at: e.created_at,
      };
      entry.states.push(row);
      if (TERMINAL.includes(row.status)) entry.terminalEvents += 1;
      if (row.status === 'dispatched' && row.backend) entry.dispatchedTo.push(row.backend);
    }
    return ledger;
  } finally {
    await client.end();
  }
}

/** Jobs per status, straight from PostgreSQL. */
export async function countJobsByStatus(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT status::text AS status, count(*)::int AS n FROM jobs GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await client.end();
  }
}

/**
 * Live members (score = expiry > now) of every Redis sorted set matching `${prefix}:${pattern}`
 * for each pattern; by default the backend slot leases (`lease:*`) and the per-tenant running
 * sets (`tenant-running:*`). Keys with no live member are listed with 0. `prefix` is
 * GANTRY_QUEUE_PREFIX; on a cluster its hash-tagged form is what keys carry.
 */
export async function liveLeases(
  redisUrl: string,
  prefix: string,
  patterns: string[] = ['lease:*', 'tenant-running:*'],
): Promise<Record<string, number>> {
  const redis = createRedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    const out: Record<string, number> = {};
    const now = await redisTimeMs(redis); // lease expiry is judged by Redis's clock
    const keyPrefix = redisKeyPrefix(prefix, parseRedisTarget(redisUrl).mode);
    for (const pattern of patterns) {
      for (const key of await scanKeys(redis, `${keyPrefix}:${pattern}`)) {
        if ((await redis.type(key)) !== 'zset') continue;
        out[key] = await redis.zcount(key, `(${now}`, '+inf');
      }
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

/** Sum of liveLeases(). */
export async function totalLiveLeases(redisUrl: string, prefix: string, patterns?: string[]): Promise<number> {
  return Object.values(await liveLeases(redisUrl, prefix, patterns)).reduce((a, b) => a + b, 0);
}

/** BullMQ's counts for the render queue under `prefix` (active, waiting, delayed, ...). */
export async function renderQueueCounts(redisUrl: string, prefix: string): Promise<Record<string, number>> {
  const connection = createRedis(redisUrl);
  const queue = createRenderQueue({ connection, prefix: redisKeyPrefix(prefix, parseRedisTarget(redisUrl).mode) });
  try {
    return await queue.getJobCounts('active', 'wait', 'prioritized', 'delayed', 'waiting-children');
  } finally {
    await queue.close();
    await closeRedis(connection);
  }
}

/**
 * Polls PostgreSQL until every job in `ids` is terminal; returns the ledger. On timeout it
 * throws, listing the jobs that had not ended and their state histories.
 */
export async function waitForTerminalJobs(databaseUrl: string, ids: string[], timeoutMs = 30_000, everyMs = 250): Promise<Map<string, JobLedgerEntry>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ledger = await readJobLedger(databaseUrl, ids);
    const open = ids.filter((id) => !TERMINAL.includes(ledger.get(id)?.status ?? 'missing'));
    if (open.length === 0) return ledger;
    if (Date.now() > deadline) {
      const sample = open.slice(0, 8).map((id) => {
        const j = ledger.get(id);
        return `  ${id}: ${j?.status ?? 'missing'} attempts=${j?.attempts} backend=${j?.backendId} states=${j?.states.map((s) => `${s.status}@${s.backend ?? '-'}`).join(' > ')}`;
      });
      throw new Error(`${open.length} of ${ids.length} jobs not terminal after ${timeoutMs} ms:\n${sample.join('\n')}`);
    }
    await sleep(everyMs);
  }
}

/** What is still in flight: live slot leases, BullMQ's unfinished jobs, non-terminal job rows. */
export interface InFlight {
  leases: Record<string, number>;
  liveLeases: number;
  queue: Record<string, number>;
  unfinishedQueueJobs: number;
  jobStatuses: Record<string, number>;
  unfinishedJobs: number;
}

export async function readInFlight(options: { databaseUrl: string; redisUrl: string; prefix: string }): Promise<InFlight> {
  const leases = await liveLeases(options.redisUrl, options.prefix);
  const queue = await renderQueueCounts(options.redisUrl, options.prefix);
  const jobStatuses = await countJobsByStatus(options.databaseUrl);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    leases,
    liveLeases: sum(leases),
    queue,
    unfinishedQueueJobs: sum(queue),
    jobStatuses,
    unfinishedJobs: (jobStatuses.queued ?? 0) + (jobStatuses.dispatched ?? 0) + (jobStatuses.running ?? 0),
  };
}

/**
 * Waits (up to `timeoutMs`, e.g. the lease TTL plus a margin) until nothing is in flight: no live
 * lease, no active/waiting/delayed queue job, no queued/dispatched/running row. Returns the last
 * reading either way, so the caller asserts on it and sees what was left.
 */
export async function waitForQuiescence(
  options: { databaseUrl: string; redisUrl: string; prefix: string },
  timeoutMs: number,
): Promise<InFlight> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await readInFlight(options);
    if ((now.liveLeases === 0 && now.unfinishedQueueJobs === 0 && now.unfinishedJobs === 0) || Date.now() > deadline) return now;
    await sleep(200);
  }
}
