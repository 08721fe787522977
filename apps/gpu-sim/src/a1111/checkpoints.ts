import { createHash } from 'node:crypto';

/** A1111's `CheckpointInfo` for one of the sim's model files (`GET /sdapi/v1/sd-models` items). */
export interface Checkpoint {
  title: string;
  model_name: string;
  hash: string;
  sha256: string;
  filename: string;
  config: null;
  /** The ComfyUI `ckpt_name` the shared queue loads. */
  comfyName: string;
}

/** Where A1111 keeps checkpoints; only shown in `filename`. */
const MODEL_DIR = '/stable-diffusion-webui/models/Stable-diffusion';

/**
 * The sim's models as A1111 lists them: `title` is `"<file> [<short hash>]"`, `model_name` the file
 * without extension. A real sha256 would need the weights; the sim hashes the name, so it is stable.
 */
export function checkpointsFor(models: readonly string[]): Checkpoint[] {
  return models.map((name) => {
    const sha256 = createHash('sha256').update(`gpu-sim/${name}`).digest('hex');
    const hash = sha256.slice(0, 10);
    return {
      title: `${name} [${hash}]`,
      model_name: name.replace(/\.[^.]+$/, '').replace(/[\\/]/g, '_'),
      hash,
      sha256,
      filename: `${MODEL_DIR}/${name}`,
      config: null,
      comfyName: name,
    };
  });
}

/** `sd_models.checkpoint_aliases`: a checkpoint can be named by title, file, model name or either hash. */
export function findCheckpoint(checkpoints: readonly Checkpoint[], alias: unknown): Checkpoint | undefined {
  if (typeof alias !== 'string') return undefined;
  return checkpoints.find((c) => [c.title, c.comfyName, c.model_name, c.sha256, c.hash].includes(alias));
}
