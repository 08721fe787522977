import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workflow } from '@gantry/domain';

/** Path of ComfyUI's default text-to-image workflow in API format (`fixtures/default-workflow.json`). */
export const DEFAULT_WORKFLOW_PATH = join(__dirname, '..', 'fixtures', 'default-workflow.json');

let cached: string | undefined;

/**
 * ComfyUI's default workflow: "4" checkpoint, "5" EmptyLatentImage 512x512x1, "6"/"7" prompts,
 * "3" KSampler, "8" VAEDecode, "9" SaveImage. Returns a fresh copy each call, so callers may edit it.
 */
export function loadDefaultWorkflow(): Workflow {
  cached ??= readFileSync(DEFAULT_WORKFLOW_PATH, 'utf8');
  return JSON.parse(cached) as Workflow;
}
