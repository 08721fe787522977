/** `shared.state.dict()`: what `/sdapi/v1/progress` reports as `state`. */
export interface StateDict {
  skipped: boolean;
  interrupted: boolean;
  stopping_generation: boolean;
  job: string;
  job_count: number;
  job_timestamp: string;
  job_no: number;
  sampling_step: number;
  sampling_steps: number;
}

/** How many finished task ids A1111 remembers (`modules/progress.py`). */
const FINISHED_TASKS_KEPT = 16;

/**
 * A1111's global `shared.state` (`modules/shared_state.py`) and task bookkeeping
 * (`modules/progress.py`): one job at a time, so one set of counters. `end()` leaves the counters
 * and the `interrupted` flag as they were until the next `begin()`, as A1111 does.
 */
export class SharedState {
  skipped = false;
  interrupted = false;
  stoppingGeneration = false;
  job = '';
  jobNo = 0;
  jobCount = 0;
  jobTimestamp = '0';
  samplingStep = 0;
  samplingSteps = 0;
  /** The latest live preview (PNG), when the sim sends previews. */
  currentImage: Buffer | null = null;
  idLivePreview = 0;
  textinfo: string | null = null;
  timeStart = 0;
  /** The ComfyUI prompt id of the running A1111 job: what `/sdapi/v1/interrupt` stops. */
  runningPromptId: string | null = null;

  currentTask: string | null = null;
  readonly pendingTasks = new Map<string, number>();
  readonly finishedTasks: string[] = [];

  begin(job: string, jobCount: number, now = new Date()): void {
    Object.assign(this, { samplingStep: 0, jobNo: 0, currentImage: null, idLivePreview: 0, skipped: false, interrupted: false, stoppingGeneration: false, textinfo: null, job });
    this.timeStart = now.getTime();
    this.jobTimestamp = timestamp(now);
    // process_images sets job_count right after begin() leaves it at -1; nothing can observe the gap here.
    this.jobCount = jobCount;
  }

  end(): void {
    this.job = '';
    this.jobCount = 0;
    this.runningPromptId = null;
  }

  /** A sampler of iteration `index` started (`state.job` names the batch when there are several). */
  iteration(index: number, steps: number): void {
    this.jobNo = index;
    this.samplingStep = 0;
    this.samplingSteps = steps;
    if (this.jobCount > 1) this.job = `Batch ${index + 1} out of ${this.jobCount}`;
  }

  livePreview(png: Buffer): void {
    this.currentImage = png;
    this.idLivePreview += 1;
  }

  interrupt(): void {
    this.interrupted = true;
  }

  dict(): StateDict {
    return {
      skipped: this.skipped,
      interrupted: this.interrupted,
      stopping_generation: this.stoppingGeneration,
      job: this.job,
      job_count: this.jobCount,
      job_timestamp: this.jobTimestamp,
      job_no: this.jobNo,
      sampling_step: this.samplingStep,
      sampling_steps: this.samplingSteps,
    };
  }

  /** `add_task_to_queue`: the request arrived and waits for the GPU. */
  addTask(id: string): void {
    this.pendingTasks.set(id, Date.now());
  }

  startTask(id: string): void {
    this.currentTask = id;
    this.pendingTasks.delete(id);
  }

  /** Only a job that did not raise gets here: after an exception A1111 leaves `current_task` set. */
  finishTask(id: string): void {
    if (this.currentTask === id) this.currentTask = null;
    this.finishedTasks.push(id);
    if (this.finishedTasks.length > FINISHED_TASKS_KEPT) this.finishedTasks.shift();
  }

  /** The request went away before it started (the sim's queue was cleared). */
  dropTask(id: string): void {
    this.pendingTasks.delete(id);
  }
}

/** `datetime.now().strftime("%Y%m%d%H%M%S")`, local time like A1111's. */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
