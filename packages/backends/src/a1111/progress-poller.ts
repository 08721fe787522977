import { isRecord } from '../comfyui/messages.js';
import type { DriverEvent } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import type { A1111Http } from './http.js';
import { locateTask } from './task-control.js';

/** The part of A1111's `shared.state.dict()` the driver reads. */
export interface A1111State {
  interrupted: boolean;
  jobCount: number;
  jobTimestamp: string;
  samplingStep: number;
  samplingSteps: number;
}

/** `GET /sdapi/v1/progress` (without the preview image), or null if the reply is not that shape. */
export async function readState(http: A1111Http): Promise<A1111State | null> {
  const body = await http.json('GET', '/sdapi/v1/progress?skip_current_image=true');
  const s = isRecord(body) && isRecord(body.state) ? body.state : null;
  if (!s) return null;
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { interrupted: s.interrupted === true, jobCount: num(s.job_count), jobTimestamp: String(s.job_timestamp ?? ''), samplingStep: num(s.sampling_step), samplingSteps: num(s.sampling_steps) };
}

/**
 * Follows one txt2img request while it blocks: each tick asks `/internal/progress` whether our
 * task is the running one and, if so, reads the global step counters. Emits `started` (and
 * `executing` for workflow runs) once, then `progress` whenever the step changes. Polling errors
 * are only logged: the txt2img request itself decides how the run ends.
 */
export class ProgressPoller {
  started = false;
  /** False once the backend showed it has no task API; progress then comes from the global state. */
  taskApi = true;
  /** Our job was seen interrupted (A1111 still answers 200 for it). */
  sawInterrupted = false;
  /** `job_timestamp` of our job, once seen running. */
  jobTimestamp: string | null = null;
  private lastStep = -1;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly http: A1111Http,
    private readonly taskId: string,
    private readonly intervalMs: number,
    /** `null` for parameter jobs; the sampler's node id when running a translated workflow. */
    private readonly node: string | null,
    private readonly emit: (event: DriverEvent) => void,
    private readonly logger: StructuredLogger,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Emits `started` if no poll saw the job run (it finished between two polls). */
  markStarted(): void {
    if (this.started) return;
    this.started = true;
    this.emit({ type: 'started' });
    if (this.node !== null) this.emit({ type: 'executing', node: this.node });
  }

  private async tick(): Promise<void> {
    try {
      await this.poll();
    } catch (err) {
      this.logger.debug({ taskId: this.taskId, err: String(err) }, 'a1111: progress poll failed');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  private async poll(): Promise<void> {
    if (this.taskApi) {
      const where = await locateTask(this.http, this.taskId);
      if (where === 'unsupported') {
        this.taskApi = false;
        this.logger.warn({ taskId: this.taskId }, 'a1111: the backend has no /internal/progress; progress may include other clients’ jobs');
      } else if (where !== 'active') return;
    }
    const state = await readState(this.http);
    // Without the task API, any running job is taken for ours: the best that can be said then.
    if (this.stopped || !state || state.jobCount === 0) return;
    this.markStarted();
    this.jobTimestamp = state.jobTimestamp;
    if (state.interrupted) this.sawInterrupted = true;
    if (state.samplingSteps > 0 && state.samplingStep !== this.lastStep) {
      this.lastStep = state.samplingStep;
      this.emit({ type: 'progress', node: this.node, value: state.samplingStep, max: state.samplingSteps });
    }
  }
}
