import type { ModelFiles } from '../models/model-files.js';
import type { NodeType } from './node-types.js';

type Def = Omit<NodeType, 'output_is_list' | 'output_name'>;

const node = (def: Def): NodeType => ({ ...def, output_name: def.output, output_is_list: def.output.map(() => false) });
const strength = ['FLOAT', { default: 1.0, min: -100.0, max: 100.0, step: 0.01 }] as const;

/**
 * ComfyUI's model loader nodes besides CheckpointLoaderSimple, declared as `nodes.py` does: each
 * file input is a combo of the sim's files of that kind, so a name it lacks fails validation with
 * `value_not_in_list`, and `/object_info` lists its inventory.
 */
export function modelLoaderTypes(files: ModelFiles): Record<string, NodeType> {
  const loaders: Def[] = [
    {
      name: 'LoraLoader', display_name: 'Load LoRA', category: 'loaders', output_node: false,
      description: 'LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles.',
      input: { required: { model: ['MODEL'], clip: ['CLIP'], lora_name: [files.lora], strength_model: strength, strength_clip: strength } },
      output: ['MODEL', 'CLIP'],
    },
    {
      name: 'LoraLoaderModelOnly', display_name: 'LoraLoaderModelOnly', category: 'loaders', output_node: false,
      description: 'Applies a LoRA to the diffusion model only.',
      input: { required: { model: ['MODEL'], lora_name: [files.lora], strength_model: strength } },
      output: ['MODEL'],
    },
    {
      name: 'VAELoader', display_name: 'Load VAE', category: 'loaders', output_node: false, description: '',
      input: { required: { vae_name: [files.vae] } },
      output: ['VAE'],
    },
    {
      name: 'CLIPLoader', display_name: 'Load CLIP', category: 'advanced/loaders', output_node: false, description: '',
      input: { required: { clip_name: [files.clip], type: [['stable_diffusion', 'stable_cascade', 'sd3', 'stable_audio', 'mochi', 'ltxv', 'pixart', 'cosmos', 'lumina2', 'wan', 'hidream', 'chroma', 'ace', 'omnigen2', 'qwen_image', 'hunyuan_image']] } },
      output: ['CLIP'],
    },
    {
      name: 'UNETLoader', display_name: 'Load Diffusion Model', category: 'advanced/loaders', output_node: false, description: '',
      input: { required: { unet_name: [files.unet], weight_dtype: [['default', 'fp8_e4m3fn', 'fp8_e4m3fn_fast', 'fp8_e5m2']] } },
      output: ['MODEL'],
    },
    {
      name: 'UpscaleModelLoader', display_name: 'Load Upscale Model', category: 'loaders', output_node: false, description: '',
      input: { required: { model_name: [files.upscaler] } },
      output: ['UPSCALE_MODEL'],
    },
    {
      name: 'ImageUpscaleWithModel', display_name: 'Upscale Image (using Model)', category: 'image/upscaling', output_node: false, description: '',
      input: { required: { upscale_model: ['UPSCALE_MODEL'], image: ['IMAGE'] } },
      output: ['IMAGE'],
    },
    {
      name: 'ControlNetLoader', display_name: 'Load ControlNet Model', category: 'loaders', output_node: false, description: '',
      input: { required: { control_net_name: [files.controlnet] } },
      output: ['CONTROL_NET'],
    },
  ];
  return Object.fromEntries(loaders.map((def) => [def.name, node(def)]));
}
