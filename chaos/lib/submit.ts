/**
 * The client side of a scenario: submits N small jobs over HTTP as a real client would, each
 * with a unique marker used as its SaveImage `filename_prefix` (so the backends can count its
 * executions), a unique seed, and as its Idempotency-Key. A submit that fails without an answer
 * (connection refused or reset, timeout) or with 5xx/409/429 is retried with the same key and
 * body, with backoff, for a bounded time: a job counts as accepted once any attempt got 202.
 */
import { loadDefaultWorkflow } from '@gantry/gpu-sim';
import { sleep } from './poll.js';
import type { AcceptedJob } from './audit.js';

export interface SubmitOptions {
  apiUrl: string;
  adminKey: string;
  count: number;
  /** Parallel submits (the burst). */
  concurrency: number;
  /** Unique per scenario run: markers are `<prefix>-<i>`. */
  markerPrefix: string;
  /** Sampler steps per job. */
  steps: number;
  /** How long one job's submit may keep retrying. */
  retryForMs: number;
}

export interface SubmitOutcome {
  marker: string;
  jobId: string | null;
  /** HTTP attempts made, and the last error when it was never accepted. */
  tries: number;
  error: string | null;
}

/** Submissions in progress: who is accepted so far, and the promise of all outcomes. */
export class SubmitRun {
  readonly accepted: AcceptedJob[] = [];
  done = false;
  readonly finished: Promise<SubmitOutcome[]>;

  constructor(private readonly options: SubmitOptions) {
    this.finished = this.runAll().finally(() => (this.done = true));
  }

  private async runAll(): Promise<SubmitOutcome[]> {
    const outcomes: SubmitOutcome[] = [];
    let next = 0;
    const lane = async () => {
      while (next < this.options.count) {
        const i = next++;
        outcomes[i] = await this.submitOne(`${this.options.markerPrefix}-${i}`, i);
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    return outcomes;
  }

  private async submitOne(marker: string, i: number): Promise<SubmitOutcome> {
    const body = JSON.stringify({ workflow: workflowFor(marker, i, this.options.steps) });
    const deadline = Date.now() + this.options.retryForMs;
    let error = 'not tried';
    for (let tries = 1; ; tries++) {
      try {
        const res = await fetch(`${this.options.apiUrl}/api/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.adminKey}`, 'content-type': 'application/json', 'idempotency-key': marker },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        const answer = (await res.json().catch(() => ({}))) as { id?: string; error?: { code?: string } };
        if (res.status === 202 && answer.id) {
          this.accepted.push({ marker, jobId: answer.id });
          return { marker, jobId: answer.id, tries, error: null };
        }
        error = `HTTP ${res.status} ${answer.error?.code ?? ''}`.trim();
        if (!(res.status >= 500 || res.status === 409 || res.status === 429)) return { marker, jobId: null, tries, error };
      } catch (err) {
        error = err instanceof Error ? `${err.message}${causeCode(err)}` : String(err);
      }
      if (Date.now() > deadline) return { marker, jobId: null, tries, error };
      await sleep(Math.min(2000, 100 * 2 ** Math.min(tries, 5)));
    }
  }
}

function causeCode(err: Error): string {
  const code = (err.cause as { code?: string } | undefined)?.code;
  return code ? ` (${code})` : '';
}

/** ComfyUI's default workflow, made small (64×64) and unique to this job. */
function workflowFor(marker: string, seed: number, steps: number): Record<string, unknown> {
  const wf = loadDefaultWorkflow() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  for (const node of Object.values(wf)) {
    if (node.class_type === 'KSampler') Object.assign(node.inputs, { seed, steps });
    if (node.class_type === 'EmptyLatentImage') Object.assign(node.inputs, { width: 64, height: 64 });
    if (node.class_type === 'SaveImage') node.inputs.filename_prefix = marker;
  }
  return wf;
}
