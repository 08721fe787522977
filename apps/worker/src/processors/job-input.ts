import type { JobRequirements } from '@gantry/domain';
import type { JobRow } from '@gantry/db';
import { jobModel as modelOf, jobNeed, parseJobInput, type JobInput, type JobNeed } from '@gantry/fleet';

/** Parsed inputs by row: an attempt asks for them several times (need, model, run, progress), the row never changes. */
const parsed = new WeakMap<JobRow, JobInput>();

/** A job's input, parsed again at the worker (the database is trusted, but not blindly); once per row. */
export function jobInput(job: JobRow): JobInput {
  let input = parsed.get(job);
  if (!input) {
    input = parseJobInput(job.kind, job.workflow);
    parsed.set(job, input);
  }
  return input;
}

/** What the job needs from a backend, by the rule submit used (see jobNeed of @gantry/fleet). */
export function jobNeedOf(job: JobRow): JobNeed {
  return jobNeed(jobInput(job), job.requirements as JobRequirements | null);
}

/** The checkpoint the job loads, for warm-model affinity (null: unknown or the backend's default). */
export function jobModel(job: JobRow): string | null {
  return modelOf(jobInput(job));
}

/** The node ids that weigh in the overall progress. */
export function progressNodes(input: JobInput): string[] {
  return input.kind === 'workflow' ? Object.keys(input.workflow) : [input.kind];
}
