import { img2ImgParamsSchema, txt2ImgModels, txt2ImgParamsSchema, workflowCheckpoint, workflowModels, workflowNodeTypes, workflowSchema, type Img2ImgParams, type JobRequirements, type JobTake, type Txt2ImgParams, type Workflow } from '@gantry/domain';
import type { JobNeed } from './eligibility.js';

/** A job's input, as submit has it and the worker reads it back from the job row. */
export type JobInput =
  | { kind: 'workflow'; workflow: Workflow }
  | { kind: 'txt2img'; params: Txt2ImgParams }
  | { kind: 'img2img'; params: Img2ImgParams };

/** A stored job's input (`jobs.kind`, `jobs.workflow`), parsed again: the database is trusted, but not blindly. */
export function parseJobInput(kind: string, stored: unknown): JobInput {
  if (kind === 'txt2img') return { kind: 'txt2img', params: txt2ImgParamsSchema.parse(stored) };
  if (kind === 'img2img') return { kind: 'img2img', params: img2ImgParamsSchema.parse(stored) };
  return { kind: 'workflow', workflow: workflowSchema.parse(stored) };
}

/**
 * A job's input as it was just stored from a submit's validated input, taken as it is (no second
 * parse: the job door derives each new job's `take` from it, a batch's thousand at a time).
 */
export function storedJobInput(kind: string, stored: unknown): JobInput {
  if (kind === 'txt2img' || kind === 'img2img') return { kind, params: stored } as JobInput;
  return { kind: 'workflow', workflow: stored as Workflow };
}

/**
 * What a job needs from a backend: its requirements (tags, VRAM), the backend kind its input
 * runs on, the node types its workflow uses and the models it names. Submit, dispatch and the
 * wait explanation all derive it here, so they judge a job by the same need.
 */
export function jobNeed(input: JobInput, requirements: JobRequirements | null | undefined): JobNeed {
  return {
    ...(requirements?.tags ? { tags: requirements.tags } : {}),
    ...(requirements?.vramMb ? { vramMb: requirements.vramMb } : {}),
    nodeTypes: input.kind === 'workflow' ? workflowNodeTypes(input.workflow) : [],
    kind: input.kind === 'workflow' ? 'comfyui' : 'a1111',
    models: input.kind === 'workflow' ? workflowModels(input.workflow) : txt2ImgModels(input.params),
  };
}

/** The checkpoint the job loads, for warm-model affinity (null: unknown, or the backend's default). */
export function jobModel(input: JobInput): string | null {
  return input.kind === 'workflow' ? workflowCheckpoint(input.workflow) : (input.params.model ?? null);
}

/** What a worker needs to lease a GPU for the job before it reads its row (a queue entry's `take`). */
export function jobTake(input: JobInput, requirements: JobRequirements | null | undefined): JobTake {
  return { need: jobNeed(input, requirements) as JobTake['need'], model: jobModel(input) };
}
