import { z } from 'zod';
import { optionsFromEnv, withoutEmpty } from './env.js';
import type { GpuSimOptions } from './options.js';

const listOf = (name: string) =>
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, `${name}: a number or a comma-separated list`)
    .transform((s) => s.split(',').map((v) => Number(v.trim())));

/** Several simulated GPUs in one process: how many, and per-GPU speed and VRAM. */
const multiSchema = z.object({
  /** Simulated GPUs in this process, each a ComfyUI-compatible server on its own port. Default 1. */
  GPU_SIM_GPUS: z.coerce.number().int().min(1).max(64).default(1),
  /** Per-GPU ms per step, e.g. "10,20,40" (a single value applies to all; the last one repeats). */
  GPU_SIM_STEP_MS: listOf('GPU_SIM_STEP_MS').optional(),
  /** Per-GPU VRAM in MiB, same list rules. */
  GPU_SIM_VRAM_MB: listOf('GPU_SIM_VRAM_MB').optional(),
});

function pick(list: number[] | undefined, i: number): number | undefined {
  if (!list || list.length === 0) return undefined;
  return list[Math.min(i, list.length - 1)];
}

/**
 * The options of every simulated GPU this process runs. GPU i listens on GPU_SIM_PORT + i (or a
 * free port each when GPU_SIM_PORT is 0) and is named `<GPU_SIM_NAME or gpu>-<i>` when there are
 * several.
 */
export function gpuOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GpuSimOptions[] {
  env = withoutEmpty(env);
  const multi = multiSchema.safeParse(env);
  if (!multi.success) {
    throw new Error(`Invalid gpu-sim environment: ${multi.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { GPU_SIM_GPUS: count, GPU_SIM_STEP_MS: steps, GPU_SIM_VRAM_MB: vram } = multi.data;
  // The single-GPU parser validates everything else; give it the first GPU's scalar values.
  const base = optionsFromEnv({
    ...env,
    GPU_SIM_STEP_MS: String(pick(steps, 0) ?? 50),
    GPU_SIM_VRAM_MB: String(pick(vram, 0) ?? 24576),
  });
  return Array.from({ length: count }, (_, i) => ({
    ...base,
    port: base.port === 0 || base.port === undefined ? 0 : base.port + i,
    stepMs: pick(steps, i) ?? base.stepMs,
    vramMb: pick(vram, i) ?? base.vramMb,
    ...(count > 1 ? { name: `${base.name ?? 'gpu'}-${i}` } : {}),
  }));
}
