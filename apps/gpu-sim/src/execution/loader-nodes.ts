import type { NodeImplementation } from './node-context.js';
import { expectValue } from './values.js';

/**
 * The model loaders. Nothing is loaded; what a loader adds joins the value's `checkpoint` string,
 * so the picture SaveImage paints differs with every LoRA, VAE or diffusion model used.
 */
export const loraLoader: NodeImplementation = async (inputs) => {
  const model = expectValue(inputs, 'model', 'MODEL');
  const clip = expectValue(inputs, 'clip', 'CLIP');
  const tag = `+lora:${String(inputs.lora_name)}@${String(inputs.strength_model)}/${String(inputs.strength_clip)}`;
  return { outputs: [{ kind: 'MODEL', checkpoint: model.checkpoint + tag }, { kind: 'CLIP', checkpoint: clip.checkpoint + tag }] };
};

export const loraLoaderModelOnly: NodeImplementation = async (inputs) => {
  const model = expectValue(inputs, 'model', 'MODEL');
  return { outputs: [{ kind: 'MODEL', checkpoint: `${model.checkpoint}+lora:${String(inputs.lora_name)}@${String(inputs.strength_model)}` }] };
};

export const vaeLoader: NodeImplementation = async (inputs) => ({ outputs: [{ kind: 'VAE', checkpoint: `vae:${String(inputs.vae_name)}` }] });

export const clipLoader: NodeImplementation = async (inputs) => ({ outputs: [{ kind: 'CLIP', checkpoint: `clip:${String(inputs.clip_name)}` }] });

export const unetLoader: NodeImplementation = async (inputs) => ({ outputs: [{ kind: 'MODEL', checkpoint: `unet:${String(inputs.unet_name)}` }] });

export const upscaleModelLoader: NodeImplementation = async (inputs) => ({ outputs: [{ kind: 'UPSCALE_MODEL', name: String(inputs.model_name), scale: 4 }] });

/** Scales the image by the model's factor (4× for every sim upscaler). */
export const imageUpscaleWithModel: NodeImplementation = async (inputs) => {
  const model = expectValue(inputs, 'upscale_model', 'UPSCALE_MODEL');
  const image = expectValue(inputs, 'image', 'IMAGE');
  return { outputs: [{ ...image, width: image.width * model.scale, height: image.height * model.scale, key: `${image.key}+upscale:${model.name}` }] };
};

export const controlNetLoader: NodeImplementation = async (inputs) => ({ outputs: [{ kind: 'CONTROL_NET', name: String(inputs.control_net_name) }] });
