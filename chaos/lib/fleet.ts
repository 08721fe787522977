/**
 * The Gantry processes of one scenario, as real child processes from source (through
 * @gantry/testing's ProcessHarness: readiness checks, one log file each, every child killed at
 * cleanup and killing itself if the suite dies): 3 gpu-sims, each behind its own FaultProxy, one
 * API and 3 workers serving all three backends through the proxies. Everything runs at Gantry's
 * defaults except what a test installation must set: connection URLs, ports, the artifact
 * directory, worker ids, the admin key, and no API rate limits (one client submits the whole
 * burst with one key; the default 120 submits per minute would refuse it).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ENTRIES, ProcessHarness, type ApiProcess, type GpuSimProcess, type ManagedProcess } from '@gantry/testing';
import { onCleanup, stopRequested } from './cleanup.js';
import { sleep } from './poll.js';
import { FaultProxy } from './tcp-proxy.js';

export interface FleetOptions {
  label: string;
  databaseUrl: string;
  redisUrl: string;
  sims: number;
  workers: number;
  /** gpu-sim milliseconds per sampler step (the simulated GPU's speed, not a Gantry setting). */
  stepMs: number;
  /** Scenario-specific worker settings (e.g. GANTRY_SHUTDOWN_GRACE_MS=0). */
  workerEnv?: Record<string, string>;
}

/** Startup is slow on a loaded 2-core machine (each child compiles its TypeScript with tsx). */
const READY_TIMEOUT_MS = 120_000;

export class Fleet {
  private readonly starting = new Set<ManagedProcess>();

  private constructor(
    readonly harness: ProcessHarness,
    readonly adminKey: string,
    readonly sims: GpuSimProcess[],
    readonly proxies: FaultProxy[],
    readonly api: ApiProcess,
    readonly workers: ManagedProcess[],
    readonly journalFiles: string[],
    private readonly undo: () => Promise<void>,
  ) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const harness = await ProcessHarness.create(`chaos-${options.label}`);
    const proxies: FaultProxy[] = [];
    const undo = onCleanup(`processes of ${options.label}`, async () => {
      await Promise.all(proxies.map((p) => p.close()));
      const { leftovers } = await harness.cleanup();
      if (leftovers.length > 0) console.error(`[chaos] killed leftover processes ${leftovers.join(', ')}`);
    });
    const artifactDir = path.join(harness.dir, 'artifacts');
    const adminKey = `chaos-admin-${randomBytes(16).toString('hex')}`;
    const common = { DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl, GANTRY_ARTIFACT_DIR: artifactDir };
    try {
      const journalFiles = Array.from({ length: options.sims }, (_, i) => path.join(harness.dir, `sim${i}.executions.jsonl`));
      const sims = await Promise.all(
        journalFiles.map((file, i) =>
          harness.startGpuSim({ name: `sim${i}`, stepMs: options.stepMs, env: { GPU_SIM_EXECUTIONS_FILE: file } }),
        ),
      );
      for (const sim of sims) proxies.push(await FaultProxy.start({ host: '127.0.0.1', port: sim.port }));
      // Backend ids are the sims' names; the workers reach each one only through its proxy.
      const backends = sims.map((sim, i) => `${sim.name}=${proxies[i]!.url}`).join(' ');
      const [api, ...workers] = await Promise.all([
        harness.startApi({ env: { ...common, GANTRY_ADMIN_KEY: adminKey } }),
        ...Array.from({ length: options.workers }, (_, i) =>
          harness.start({
            name: `worker${i}`,
            entry: ENTRIES.worker,
            env: { ...common, LOG_LEVEL: 'info', GANTRY_WORKER_ID: `worker${i}`, GANTRY_WORKER_HTTP_PORT: '0', GANTRY_BACKENDS: backends, ...options.workerEnv },
            ready: { log: /"msg":"worker ready"/ },
            readyTimeoutMs: READY_TIMEOUT_MS,
          }),
        ),
      ]);
      return new Fleet(harness, adminKey, sims, proxies, api as ApiProcess, workers as ManagedProcess[], journalFiles, undo);
    } catch (err) {
      if (!stopRequested()) console.error(harness.report(30));
      await undo();
      throw err;
    }
  }

  /** Stops every process and proxy and removes the logs, artifacts and journals (kept with GANTRY_KEEP_PROCESS_LOGS=1). */
  close(): Promise<void> {
    return this.undo();
  }

  /**
   * A supervisor: starts `proc` again after `delayMs`, in the background. The promise is already
   * handled (an unhandled rejection would end the suite); awaiting it still reports a failed start.
   */
  restartLater(proc: ManagedProcess, delayMs: number): Promise<void> {
    this.starting.add(proc);
    const restarted = sleep(delayMs)
      .then(() => proc.start())
      .then(() => undefined)
      .finally(() => this.starting.delete(proc));
    restarted.catch(() => undefined);
    return restarted;
  }

  /** Workers up and ready (not dead, not being started again). */
  readyWorkers(): ManagedProcess[] {
    return this.workers.filter((w) => w.running && !this.starting.has(w));
  }

  /**
   * The ready worker that holds the most in-flight jobs (of `inFlight`), judged by its own
   * "dispatching to backend" log lines: the one whose death orphans the most work.
   */
  busiestWorker(inFlight: Set<string>): { worker: ManagedProcess; jobs: number } {
    const ready = this.readyWorkers();
    if (ready.length === 0) throw new Error('no worker is up to inject the fault into');
    const owner = new Map<string, { worker: ManagedProcess; time: number }>();
    for (const worker of ready) {
      for (const line of worker.currentOutput().split('\n')) {
        if (!line.includes('"msg":"dispatching to backend"')) continue;
        try {
          const entry = JSON.parse(line) as { jobId: string; time: string };
          const time = Date.parse(entry.time); // pino's ISO time
          if ((owner.get(entry.jobId)?.time ?? -1) < time) owner.set(entry.jobId, { worker, time });
        } catch {
          /* a line cut in the middle */
        }
      }
    }
    const counts = new Map<ManagedProcess, number>(ready.map((w) => [w, 0]));
    for (const id of inFlight) {
      const o = owner.get(id);
      if (o && counts.has(o.worker)) counts.set(o.worker, counts.get(o.worker)! + 1);
    }
    const [worker, jobs] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
    return { worker, jobs };
  }
}
