import { img2ImgParamsSchema, txt2ImgParamsSchema, workflowCheckpoint, workflowSchema, type Img2ImgParams, type Txt2ImgParams, type Workflow } from '@gantry/domain';
import type { JobRow } from '@gantry/db';

/** A job's input, parsed again at the worker (the database is trusted, but not blindly). */
export type JobInput =
  | { kind: 'workflow'; workflow: Workflow }
  | { kind: 'txt2img'; params: Txt2ImgParams }
  | { kind: 'img2img'; params: Img2ImgParams };

export function jobInput(job: JobRow): JobInput {
  if (job.kind === 'txt2img') return { kind: 'txt2img', params: txt2ImgParamsSchema.parse(job.workflow) };
  if (job.kind === 'img2img') return { kind: 'img2img', params: img2ImgParamsSchema.parse(job.workflow) };
  return { kind: 'workflow', workflow: workflowSchema.parse(job.workflow) };
}

/** The checkpoint the job loads, for warm-model affinity (null: unknown or the backend's default). */
export function jobModel(job: JobRow): string | null {
  const input = jobInput(job);
  return input.kind === 'workflow' ? workflowCheckpoint(input.workflow) : (input.params.model ?? null);
}

/** The node ids that weigh in the overall progress. */
export function progressNodes(input: JobInput): string[] {
  return input.kind === 'workflow' ? Object.keys(input.workflow) : [input.kind];
}
