import { readFileSync } from 'node:fs';
import path from 'node:path';

/** ComfyUI's default text-to-image workflow in API format (the gpu-sim fixture). */
export function defaultWorkflow(overrides: { steps?: number; seed?: number; width?: number; height?: number } = {}) {
  const wf = JSON.parse(
    readFileSync(path.join(__dirname, '../../gpu-sim/fixtures/default-workflow.json'), 'utf8'),
  ) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  const sampler = Object.values(wf).find((n) => n.class_type === 'KSampler')!;
  const latent = Object.values(wf).find((n) => n.class_type === 'EmptyLatentImage')!;
  if (overrides.steps !== undefined) sampler.inputs.steps = overrides.steps;
  if (overrides.seed !== undefined) sampler.inputs.seed = overrides.seed;
  if (overrides.width !== undefined) latent.inputs.width = overrides.width;
  if (overrides.height !== undefined) latent.inputs.height = overrides.height;
  return wf;
}
