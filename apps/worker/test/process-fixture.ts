/**
 * What the worker's real-process tests (*.process.int.test.ts) share: an in-process stack with no
 * worker and no GPU (fresh database, own Redis prefix, the API), an admin client, a
 * ProcessHarness owning the gpu-sim and worker child processes, the workers' common settings,
 * and the black-box checks every test ends with.
 */
import {
  apiClient,
  backendList,
  ProcessHarness,
  readJobLedger,
  stackEnv,
  startStack,
  TEST_REDIS_URL,
  waitForQuiescence,
  waitForTerminalJobs,
  waitUntil,
  type GpuSimProcess,
  type GpuSimProcessOptions,
  type JobLedgerEntry,
  type ManagedProcess,
  type TestStack,
} from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** GANTRY_LEASE_TTL_MS of every worker started with workerEnv(): a dead worker's slot leases expire after it. */
export const LEASE_TTL_MS = 3000;

/** One line per job for failure messages: status, attempts, terminal events, outputs, error and state history. */
export const jobSummary = (j: JobLedgerEntry): string =>
  `${j.id} ${j.status} attempts=${j.attempts} terminalEvents=${j.terminalEvents} artifacts=${j.artifacts} error=${j.errorCode} states=${j.states.map((s) => `${s.status}@${s.backend ?? '-'}`).join('>')}`;

/** Every job succeeded, reached exactly one terminal state, and kept the outputs of exactly one attempt. */
export function expectEachSucceededOnce(jobs: JobLedgerEntry[]): void {
  expect(jobs.filter((j) => j.status !== 'succeeded').map(jobSummary)).toEqual([]);
  expect(jobs.filter((j) => j.terminalEvents !== 1).map(jobSummary)).toEqual([]);
  expect(jobs.filter((j) => j.artifacts !== 1).map(jobSummary)).toEqual([]);
}

export class ProcessStack {
  stack!: TestStack;
  admin!: ReturnType<typeof apiClient>;
  procs!: ProcessHarness;

  /**
   * A worker's environment: the stack's connection settings, GANTRY_LEASE_TTL_MS = LEASE_TTL_MS,
   * GANTRY_RETRY_BASE_MS 50, GANTRY_PROGRESS_INTERVAL_MS 100 and GANTRY_SHUTDOWN_GRACE_MS 3000,
   * then `settings` (which win). An arrow function, so `setup` can destructure it.
   */
  readonly workerEnv = (settings: Record<string, string> = {}): Record<string, string> => ({
    ...stackEnv(this.stack),
    GANTRY_LEASE_TTL_MS: String(LEASE_TTL_MS),
    GANTRY_RETRY_BASE_MS: '50',
    GANTRY_PROGRESS_INTERVAL_MS: '100',
    GANTRY_SHUTDOWN_GRACE_MS: '3000',
    ...settings,
  });

  /**
   * Starts these gpu-sims, then one worker named "worker" serving all of them (capacity 1 each)
   * with workerEnv(settings).
   */
  readonly startSimsAndWorker = async (sims: GpuSimProcessOptions[], settings: Record<string, string>): Promise<{ sims: GpuSimProcess[]; worker: ManagedProcess }> => {
    const started = await Promise.all(sims.map((options) => this.procs.startGpuSim(options)));
    const worker = await this.procs.startWorker({ name: 'worker', env: this.workerEnv({ GANTRY_BACKENDS: backendList(started, 1), ...settings }) });
    return { sims: started, worker };
  };

  /** Submits `count` 64×64 jobs of `steps` sampler steps (seeds seed0, seed0 + 1, ...); each must be accepted (202). */
  submit(count: number, steps: number, seed0 = 0): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const res = await this.admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps, seed: seed0 + i, width: 64, height: 64 }) });
        expect(res.status).toBe(202);
        return res.body.id as string;
      }),
    );
  }

  /** Waits until every job has ended; the ledger, and the jobs in the order of `ids`. */
  async waitForJobs(ids: string[], timeoutMs: number): Promise<{ ledger: Map<string, JobLedgerEntry>; jobs: JobLedgerEntry[] }> {
    const ledger = await waitForTerminalJobs(this.stack.databaseUrl, ids, timeoutMs);
    return { ledger, jobs: ids.map((id) => ledger.get(id)!) };
  }

  /** Waits until `backendId` renders one of the jobs while at least `queuedAtLeast` of them still wait; that job. */
  whenRendering(ids: string[], backendId: string, queuedAtLeast: number): Promise<JobLedgerEntry> {
    return waitUntil(async () => {
      const jobs = [...(await readJobLedger(this.stack.databaseUrl, ids)).values()];
      const rendering = jobs.find((j) => j.backendId === backendId && j.status === 'running');
      return rendering && jobs.filter((j) => j.status === 'queued').length >= queuedAtLeast ? rendering : undefined;
    }, 20_000, 25);
  }

  /** Nothing left in flight: no live slot lease (dead workers' expire after the TTL), no queue job, no open row. */
  async expectQuiet(): Promise<void> {
    const rest = await waitForQuiescence({ databaseUrl: this.stack.databaseUrl, redisUrl: TEST_REDIS_URL, prefix: this.stack.prefix }, LEASE_TTL_MS + 3000);
    expect(rest.leases).toEqual(Object.fromEntries(Object.keys(rest.leases).map((key) => [key, 0])));
    expect(rest.unfinishedQueueJobs).toBe(0);
    expect(rest.unfinishedJobs).toBe(0);
  }

  /** SIGTERM to `worker`: it exits 0 by itself within `timeoutMs`; then no process of the harness is left. */
  async expectCleanStop(worker: ManagedProcess, timeoutMs = 10_000): Promise<void> {
    const stop = await worker.terminate(timeoutMs);
    expect({ forced: stop.forced, code: stop.code }).toEqual({ forced: false, code: 0 });
    expect((await this.procs.stopAll()).leftovers).toEqual([]);
  }
}

/**
 * Registers the hooks of a process test file: beforeAll starts the stack, the admin client and a
 * ProcessHarness labelled `label`, then runs `setup` (start the gpu-sims and workers there and
 * return them); afterAll stops every process and closes the stack. Returns the fixture with
 * `setup`'s result merged in, usable once the tests run.
 */
export function useProcessStack<T extends object>(label: string, setup: (fx: ProcessStack) => Promise<T>): ProcessStack & T {
  const fx = new ProcessStack();
  beforeAll(async () => {
    fx.stack = await startStack({ worker: false, gpus: 0 });
    fx.admin = apiClient(fx.stack.url, fx.stack.adminKey);
    fx.procs = await ProcessHarness.create(label);
    Object.assign(fx, await setup(fx));
  }, 60_000);

  afterAll(async () => {
    await fx.procs?.cleanup();
    await fx.stack?.close();
  });
  return fx as ProcessStack & T;
}
