import type { ModelInventory } from '@gantry/domain';
import type { FaultConfig } from './faults.js';
import { resolveModelFiles, type ModelFiles } from './models/model-files.js';

/** How to start a sim. Every field is optional. */
export interface GpuSimOptions {
  /** TCP port; 0 (the default here) picks a free one. The CLI defaults to 8188. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** Milliseconds per sampler step (default 50). */
  stepMs?: number;
  /** Device name reported by `/system_stats`. */
  name?: string;
  /** Simulated VRAM in MiB (default 24576); sampling that does not fit raises OOM. */
  vramMb?: number;
  /** Delay to move a checkpoint onto the GPU when a different one was loaded (default 0). */
  modelLoadMs?: number;
  /** Send sampler preview frames (ComfyUI's default is `--preview-method none`: off). */
  previews?: boolean;
  /** Checkpoint names offered by CheckpointLoaderSimple (and A1111's `/sdapi/v1/sd-models`). */
  models?: string[];
  /**
   * Model files of every kind (`lora`, `vae`, `upscaler`, `controlnet`, `clip`, `unet`; a
   * `checkpoint` entry replaces `models`), offered by the loader nodes and A1111's listings. A kind
   * left out gets a small default list; an empty list means none.
   */
  modelFiles?: ModelInventory;
  /** Faults active from the start; change them later with `setFaults`. */
  faults?: FaultConfig;
  /** Also append every successful execution to this file (JSON lines), so counts survive a kill. */
  executionsFile?: string;
}

export type ResolvedOptions = Required<Omit<GpuSimOptions, 'executionsFile' | 'modelFiles'>> & Pick<GpuSimOptions, 'executionsFile'> & { modelFiles: ModelFiles };

export const DEFAULT_MODELS = ['v1-5-pruned-emaonly-fp16.safetensors', 'v1-5-pruned-emaonly.safetensors', 'sd_xl_base_1.0.safetensors'];

/** Fills in defaults and rejects values that cannot work. */
export function resolveOptions(options: GpuSimOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    stepMs: options.stepMs ?? 50,
    name: options.name ?? 'NVIDIA GeForce RTX 4090 (gpu-sim)',
    vramMb: options.vramMb ?? 24576,
    modelLoadMs: options.modelLoadMs ?? 0,
    previews: options.previews ?? false,
    models: options.modelFiles?.checkpoint ?? options.models ?? DEFAULT_MODELS,
    modelFiles: resolveModelFiles(options.models ?? DEFAULT_MODELS, options.modelFiles),
    faults: options.faults ?? {},
    ...(options.executionsFile ? { executionsFile: options.executionsFile } : {}),
  };
  for (const key of ['port', 'stepMs', 'vramMb', 'modelLoadMs'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0) throw new RangeError(`gpu-sim option ${key} must be a non-negative number`);
  }
  if (resolved.models.length === 0) throw new RangeError('gpu-sim needs at least one model');
  return resolved;
}
