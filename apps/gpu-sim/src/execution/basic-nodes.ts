import type { NodeImplementation } from './node-context.js';
import { expectValue } from './values.js';

/** CheckpointLoaderSimple reads weights to RAM; moving them to the GPU happens in the sampler. */
export const checkpointLoader: NodeImplementation = async (inputs) => {
  const checkpoint = String(inputs.ckpt_name);
  return { outputs: [{ kind: 'MODEL', checkpoint }, { kind: 'CLIP', checkpoint }, { kind: 'VAE', checkpoint }] };
};

export const clipTextEncode: NodeImplementation = async (inputs) => {
  const clip = expectValue(inputs, 'clip', 'CLIP');
  return { outputs: [{ kind: 'CONDITIONING', text: String(inputs.text), checkpoint: clip.checkpoint }] };
};

export const emptyLatentImage: NodeImplementation = async (inputs) => ({
  outputs: [{ kind: 'LATENT', width: Number(inputs.width), height: Number(inputs.height), batch: Number(inputs.batch_size), key: null }],
});

export const vaeDecode: NodeImplementation = async (inputs) => {
  const latent = expectValue(inputs, 'samples', 'LATENT');
  const vae = expectValue(inputs, 'vae', 'VAE');
  // An unsampled latent decodes to the same flat picture for a given VAE.
  const key = latent.key ?? `empty-latent/${vae.checkpoint}`;
  return { outputs: [{ kind: 'IMAGE', width: latent.width, height: latent.height, batch: latent.batch, key, ...(latent.tint ? { tint: latent.tint } : {}) }] };
};
