import { img2ImgParamsSchema, txt2ImgModels, txt2ImgParamsSchema, workflowModels, workflowNodeTypes, workflowSchema, type Img2ImgParams, type JobRequirements, type Txt2ImgParams, type Workflow } from '@gantry/domain';
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
