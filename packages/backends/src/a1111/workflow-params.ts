import { AppError, isNodeLink, type Workflow, type WorkflowNode } from '@gantry/domain';
import { txt2ImgParamsSchema } from './params.js';
import type { RunPlan } from './txt2img-run.js';

/** ComfyUI sampler → A1111 sampler (the same algorithm under A1111's name). */
const SAMPLERS: Record<string, string> = {
  euler: 'Euler', euler_ancestral: 'Euler a', heun: 'Heun', dpm_2: 'DPM2', dpm_2_ancestral: 'DPM2 a', lms: 'LMS',
  dpm_fast: 'DPM fast', dpm_adaptive: 'DPM adaptive', dpmpp_2s_ancestral: 'DPM++ 2S a', dpmpp_sde: 'DPM++ SDE',
  dpmpp_sde_gpu: 'DPM++ SDE', dpmpp_2m: 'DPM++ 2M', dpmpp_2m_sde: 'DPM++ 2M SDE', dpmpp_2m_sde_gpu: 'DPM++ 2M SDE',
  dpmpp_3m_sde: 'DPM++ 3M SDE', dpmpp_3m_sde_gpu: 'DPM++ 3M SDE', ddim: 'DDIM', uni_pc: 'UniPC', lcm: 'LCM',
};

/** ComfyUI scheduler → A1111 schedule type (1.9+). */
const SCHEDULERS: Record<string, string> = {
  normal: 'Normal', karras: 'Karras', exponential: 'Exponential', sgm_uniform: 'SGM Uniform', simple: 'Simple',
  ddim_uniform: 'DDIM', beta: 'Beta', kl_optimal: 'KL Optimal',
};

const SUPPORTED = new Set(['CheckpointLoaderSimple', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'SaveImage', 'PreviewImage']);

/**
 * Reads a plain text-to-image ComfyUI workflow as A1111 txt2img parameters, so an A1111 backend
 * can serve the worker's workflow jobs: one checkpoint → two prompts → empty latent → KSampler
 * (full denoise) → VAEDecode → SaveImage or PreviewImage. Anything else is an unsupported
 * workflow: BACKEND_ERROR, retryable, since a ComfyUI backend can still run it.
 */
export function planFromWorkflow(workflow: Workflow): RunPlan {
  const problems: string[] = [];
  const entries = Object.entries(workflow);
  const unsupported = [...new Set(entries.map(([, n]) => n.class_type).filter((c) => !SUPPORTED.has(c)))];
  if (unsupported.length) problems.push(`node types A1111 txt2img cannot run: ${unsupported.join(', ')}`);
  const samplers = entries.filter(([, n]) => n.class_type === 'KSampler');
  const outputs = entries.filter(([, n]) => n.class_type === 'SaveImage' || n.class_type === 'PreviewImage');
  if (samplers.length !== 1 || outputs.length !== 1) problems.push(`needs exactly one KSampler and one SaveImage/PreviewImage (found ${samplers.length} and ${outputs.length})`);
  if (problems.length) throw unsupportedWorkflow(problems);

  const [samplerId, sampler] = samplers[0]!;
  const [outputId, output] = outputs[0]!;
  const linked = (node: WorkflowNode, input: string, classType: string): WorkflowNode | undefined => {
    const link = node.inputs[input];
    const target = isNodeLink(link) ? workflow[link[0]] : undefined;
    if (target?.class_type === classType) return target;
    problems.push(`${node.class_type}.${input} must come from a ${classType}`);
    return undefined;
  };
  const decode = linked(output, 'images', 'VAEDecode');
  const samples = decode?.inputs.samples;
  if (decode && !(isNodeLink(samples) && samples[0] === samplerId)) problems.push('the saved images must be decoded from the KSampler');
  const checkpoint = linked(sampler, 'model', 'CheckpointLoaderSimple');
  const positive = linked(sampler, 'positive', 'CLIPTextEncode');
  const negative = linked(sampler, 'negative', 'CLIPTextEncode');
  const latent = linked(sampler, 'latent_image', 'EmptyLatentImage');
  const s = sampler.inputs;
  if (s.denoise !== undefined && s.denoise !== 1) problems.push('KSampler.denoise must be 1 (txt2img)');
  const samplerName = SAMPLERS[String(s.sampler_name)];
  const scheduler = SCHEDULERS[String(s.scheduler)];
  if (!samplerName) problems.push(`no A1111 equivalent of sampler ${String(s.sampler_name)}`);
  if (!scheduler) problems.push(`no A1111 equivalent of scheduler ${String(s.scheduler)}`);
  if (problems.length) throw unsupportedWorkflow(problems);

  const parsed = txt2ImgParamsSchema.safeParse({
    prompt: positive?.inputs.text, negative_prompt: negative?.inputs.text, seed: s.seed, steps: s.steps, cfg_scale: s.cfg,
    sampler_name: samplerName, scheduler, width: latent?.inputs.width, height: latent?.inputs.height,
    batch_size: latent?.inputs.batch_size, model: checkpoint?.inputs.ckpt_name,
  });
  if (!parsed.success) throw unsupportedWorkflow(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return { params: parsed.data, node: samplerId, outputNode: outputId, fileType: output.class_type === 'SaveImage' ? 'output' : 'temp' };
}

function unsupportedWorkflow(problems: string[]): AppError {
  return new AppError('BACKEND_ERROR', `This A1111 backend cannot run the workflow: ${problems.join('; ')}`, { details: { reason: 'unsupported_workflow', problems }, retryable: true });
}
