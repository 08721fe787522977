import { z } from 'zod';
import { modelKindSchema } from '@gantry/domain';
import { faultConfigSchema } from './faults.js';
import type { GpuSimOptions } from './options.js';

/** "true"/"1"/"yes"/"on" and "false"/"0"/"no"/"off"/"" as booleans. */
const boolEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** `GPU_SIM_FAULTS` holds JSON, validated with the same schema as `setFaults`. */
const faultsEnv = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'GPU_SIM_FAULTS must be JSON, e.g. {"failRate":0.1}' });
    return z.NEVER;
  }
}).pipe(faultConfigSchema);

/** `GPU_SIM_MODELS` holds JSON: model kind → file names. */
const modelsEnv = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'GPU_SIM_MODELS must be JSON, e.g. {"checkpoint":["a.safetensors"],"lora":[]}' });
    return z.NEVER;
  }
}).pipe(z.partialRecord(modelKindSchema, z.array(z.string().min(1).max(500)).max(10_000)));

/** The sim's environment. Only this module reads `process.env`. */
export const envSchema = z.object({
  /** Port to listen on (0 picks a free one). Default 8188, ComfyUI's. */
  GPU_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8188),
  /** Interface to bind. Default 127.0.0.1; use 0.0.0.0 only on a trusted network (no auth, like ComfyUI). */
  GPU_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  /** Milliseconds per KSampler step; 20 steps at the default 50 ms ≈ 1 s per image. */
  GPU_SIM_STEP_MS: z.coerce.number().min(0).max(600_000).default(50),
  /** Device name in /system_stats (e.g. to tell several sims apart). */
  GPU_SIM_NAME: z.string().min(1).max(200).optional(),
  /** Simulated VRAM in MiB. Default 24576 (a 24 GB card); sampling that does not fit raises OOM. */
  GPU_SIM_VRAM_MB: z.coerce.number().int().positive().max(1_048_576).default(24576),
  /** Milliseconds to "load" a checkpoint onto the GPU when another was loaded. Default 0. */
  GPU_SIM_MODEL_LOAD_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** Send sampler preview frames over the WebSocket. Default false, like ComfyUI. */
  GPU_SIM_PREVIEWS: boolEnv.default(false),
  /** Faults active from the start, as JSON: {"failRate","crashAfterSteps","oom","hang","slowStartMs","dropSocketAtStep"}. */
  GPU_SIM_FAULTS: faultsEnv.optional(),
  /** Model files per kind, as JSON (`checkpoint`, `lora`, `vae`, `upscaler`, `controlnet`, `clip`, `unet`); kinds left out keep the defaults. */
  GPU_SIM_MODELS: modelsEnv.optional(),
  /** Append every successful prompt execution to this file as a JSON line (survives a kill; the chaos suite counts them). */
  GPU_SIM_EXECUTIONS_FILE: z.string().min(1).optional(),
});

export type GpuSimEnv = z.infer<typeof envSchema>;

/** Parses the environment into sim options; throws a readable error listing every bad variable. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): GpuSimOptions {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid gpu-sim environment: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.GPU_SIM_PORT,
    host: e.GPU_SIM_HOST,
    stepMs: e.GPU_SIM_STEP_MS,
    ...(e.GPU_SIM_NAME ? { name: e.GPU_SIM_NAME } : {}),
    vramMb: e.GPU_SIM_VRAM_MB,
    modelLoadMs: e.GPU_SIM_MODEL_LOAD_MS,
    previews: e.GPU_SIM_PREVIEWS,
    ...(e.GPU_SIM_FAULTS ? { faults: e.GPU_SIM_FAULTS } : {}),
    ...(e.GPU_SIM_MODELS ? { modelFiles: e.GPU_SIM_MODELS } : {}),
    ...(e.GPU_SIM_EXECUTIONS_FILE ? { executionsFile: e.GPU_SIM_EXECUTIONS_FILE } : {}),
  };
}

/** An empty variable (`NAME=` in an .env file) means "use the default", as for every Gantry process. */
export function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}
