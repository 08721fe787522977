import { randomUUID } from 'node:crypto';
import type { AppError, Workflow } from '@gantry/domain';
import { loadDefaultWorkflow, startGpuSim, type GpuSimHandle } from '@gantry/gpu-sim';
import type { BackendDriver, DriverEvent, OutputFile, RunOptions, RunResult } from '../src/index.js';

/** Tight bounds so failure paths finish in well under a second. */
export const FAST_TIMEOUTS = {
  requestMs: 2000,
  connectMs: 2000,
  cancelGraceMs: 1000,
  pollIntervalMs: 50,
  disconnectGraceMs: 500,
  reconnectMinMs: 20,
  reconnectMaxMs: 200,
  heartbeatMs: 1000,
};

/** ComfyUI's default workflow, shrunk for fast tests. */
export function workflow(o: { steps?: number; seed?: number; width?: number; height?: number; batch?: number } = {}): Workflow {
  const wf = loadDefaultWorkflow() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  wf['3']!.inputs.steps = o.steps ?? 5;
  wf['3']!.inputs.seed = o.seed ?? 1234;
  wf['5']!.inputs.width = o.width ?? 64;
  wf['5']!.inputs.height = o.height ?? 48;
  wf['5']!.inputs.batch_size = o.batch ?? 1;
  return wf as Workflow;
}

/**
 * Per test: a fresh gpu-sim (10 ms per sampler step) and a driver against it, both closed after
 * the test. A test may replace `sim` (e.g. restart it on the same port); the current one is closed.
 */
export function useSimAndDriver<D extends { close(): Promise<void> }>(createDriver: (simUrl: string) => D): { sim: GpuSimHandle; driver: D } {
  const ctx = {} as { sim: GpuSimHandle; driver: D };
  beforeEach(async () => {
    ctx.sim = await startGpuSim({ stepMs: 10 });
    ctx.driver = createDriver(ctx.sim.url);
  });
  afterEach(async () => {
    await ctx.driver.close();
    await ctx.sim.close();
  });
  return ctx;
}

export interface StartedRun {
  promptId: string;
  events: DriverEvent[];
  controller: AbortController;
  result: Promise<RunResult>;
  /** Resolves with the first event matching `predicate` (bounded). */
  next(predicate: (e: DriverEvent) => boolean, timeoutMs?: number): Promise<DriverEvent>;
}

/** Starts a run through `launch` (e.g. a driver's run or runTxt2Img) and records its events. */
export function startRun(launch: (options: RunOptions) => Promise<RunResult>, onEvent?: (e: DriverEvent) => void): StartedRun {
  const events: DriverEvent[] = [];
  const waiters: Array<() => void> = [];
  const controller = new AbortController();
  const promptId = randomUUID();
  const result = launch({
    promptId,
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
      for (const wake of waiters) wake();
    },
  });
  // The test decides whether it expects a rejection; avoid an unhandled one meanwhile.
  result.catch(() => undefined);
  const next = (predicate: (e: DriverEvent) => boolean, timeoutMs = 5000): Promise<DriverEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such event; got ${events.map((e) => e.type).join(',')}`)), timeoutMs);
      const check = (): void => {
        const found = events.find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      waiters.push(check);
      check();
    });
  return { promptId, events, controller, result, next };
}

export type Started = StartedRun;

/** Starts a run of `wf` on `driver` and records its events. */
export function start(driver: BackendDriver, wf: Workflow, onEvent?: (e: DriverEvent) => void): Started {
  return startRun((options) => driver.run(wf, options), onEvent);
}

/** The AppError a promise rejects with. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

/** A driver's download read to the end: the bytes and the content type. */
export async function downloadBytes(driver: Pick<BackendDriver, 'download'>, file: OutputFile): Promise<{ data: Buffer; contentType: string }> {
  const { stream, contentType } = await driver.download(file);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return { data: Buffer.concat(chunks), contentType };
}
