import type { ModelFiles } from '../models/model-files.js';
import { modelLoaderTypes } from './model-loaders.js';

/**
 * The node types the sim implements, declared the way ComfyUI's `INPUT_TYPES()` declares them.
 * This one table drives validation, execution (input and output types) and `GET /object_info`.
 */

/** A socket type (`"INT"`, `"MODEL"`…) or, for a combo widget, its list of allowed values. */
export type InputType = string | readonly string[];

export interface InputOptions {
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  round?: number;
  multiline?: boolean;
  dynamicPrompts?: boolean;
  control_after_generate?: boolean;
  tooltip?: string;
  /** A file of the input folder (LoadImage...): the list is not checked at validation, the node checks the file. */
  image_upload?: boolean;
}

/** `[type]` or `[type, options]`, exactly ComfyUI's tuple. */
type InputSpec = readonly [InputType] | readonly [InputType, InputOptions];

export interface NodeType {
  name: string;
  display_name: string;
  description: string;
  category: string;
  output_node: boolean;
  input: { required: Record<string, InputSpec>; optional?: Record<string, InputSpec>; hidden?: Record<string, string> };
  output: string[];
  output_name: string[];
  output_is_list: boolean[];
  output_tooltips?: string[];
}

export type NodeTypes = Readonly<Record<string, NodeType>>;

/** ComfyUI's `MAX_RESOLUTION`. */
const MAX_RESOLUTION = 16384;

/** `comfy.samplers.KSampler.SAMPLERS` (2025-10). More than 20, so errors show only its length. */
export const SAMPLERS = [
  'euler', 'euler_cfg_pp', 'euler_ancestral', 'euler_ancestral_cfg_pp', 'heun', 'heunpp2', 'dpm_2', 'dpm_2_ancestral',
  'lms', 'dpm_fast', 'dpm_adaptive', 'dpmpp_2s_ancestral', 'dpmpp_2s_ancestral_cfg_pp', 'dpmpp_sde', 'dpmpp_sde_gpu',
  'dpmpp_2m', 'dpmpp_2m_cfg_pp', 'dpmpp_2m_sde', 'dpmpp_2m_sde_gpu', 'dpmpp_3m_sde', 'dpmpp_3m_sde_gpu', 'ddpm', 'lcm',
  'ipndm', 'ipndm_v', 'deis', 'res_multistep', 'res_multistep_cfg_pp', 'res_multistep_ancestral',
  'res_multistep_ancestral_cfg_pp', 'gradient_estimation', 'er_sde', 'seeds_2', 'seeds_3', 'ddim', 'uni_pc', 'uni_pc_bh2',
] as const;

/** `comfy.samplers.KSampler.SCHEDULERS` (2025-10). */
export const SCHEDULERS = ['simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal', 'linear_quadratic', 'kl_optimal'] as const;

const imageHidden = { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' };

/** Builds the table; each loader's file combo lists this sim's files of that kind. */
export function buildNodeTypes(files: ModelFiles): NodeTypes {
  const checkpoints = files.checkpoint;
  const node = (def: Omit<NodeType, 'output_is_list' | 'output_name'> & { output_name?: string[] }): NodeType => ({
    ...def,
    output_name: def.output_name ?? def.output,
    output_is_list: def.output.map(() => false),
  });
  return {
    CheckpointLoaderSimple: node({
      name: 'CheckpointLoaderSimple', display_name: 'Load Checkpoint', category: 'loaders', output_node: false,
      description: 'Loads a diffusion model checkpoint, diffusion models are used to denoise latents.',
      input: { required: { ckpt_name: [checkpoints, { tooltip: 'The name of the checkpoint (model) to load.' }] } },
      output: ['MODEL', 'CLIP', 'VAE'],
    }),
    CLIPTextEncode: node({
      name: 'CLIPTextEncode', display_name: 'CLIP Text Encode (Prompt)', category: 'conditioning', output_node: false,
      description: 'Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.',
      input: { required: { text: ['STRING', { multiline: true, dynamicPrompts: true, tooltip: 'The text to be encoded.' }], clip: ['CLIP', { tooltip: 'The CLIP model used for encoding the text.' }] } },
      output: ['CONDITIONING'],
    }),
    EmptyLatentImage: node({
      name: 'EmptyLatentImage', display_name: 'Empty Latent Image', category: 'latent', output_node: false,
      description: 'Create a new batch of empty latent images to be denoised via sampling.',
      input: {
        required: {
          width: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8, tooltip: 'The width of the latent images in pixels.' }],
          height: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8, tooltip: 'The height of the latent images in pixels.' }],
          batch_size: ['INT', { default: 1, min: 1, max: 4096, tooltip: 'The number of latent images in the batch.' }],
        },
      },
      output: ['LATENT'],
    }),
    KSampler: node({
      name: 'KSampler', display_name: 'KSampler', category: 'sampling', output_node: false,
      description: 'Uses the provided model, positive and negative conditioning to denoise the latent image.',
      input: {
        required: {
          model: ['MODEL', { tooltip: 'The model used for denoising the input latent.' }],
          // ComfyUI's max is 0xffffffffffffffff; a JS number rounds it to 2^64.
          seed: ['INT', { default: 0, min: 0, max: 0xffffffffffffffff, control_after_generate: true, tooltip: 'The random seed used for creating the noise.' }],
          steps: ['INT', { default: 20, min: 1, max: 10000, tooltip: 'The number of steps used in the denoising process.' }],
          cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01, tooltip: 'The Classifier-Free Guidance scale.' }],
          sampler_name: [SAMPLERS, { tooltip: 'The algorithm used when sampling.' }],
          scheduler: [SCHEDULERS, { tooltip: 'The scheduler controls how noise is gradually removed to form the image.' }],
          positive: ['CONDITIONING', { tooltip: 'The conditioning describing the attributes you want to include in the image.' }],
          negative: ['CONDITIONING', { tooltip: 'The conditioning describing the attributes you want to exclude from the image.' }],
          latent_image: ['LATENT', { tooltip: 'The latent image to denoise.' }],
          denoise: ['FLOAT', { default: 1.0, min: 0.0, max: 1.0, step: 0.01, tooltip: 'The amount of denoising applied.' }],
        },
      },
      output: ['LATENT'],
      output_tooltips: ['The denoised latent.'],
    }),
    VAEDecode: node({
      name: 'VAEDecode', display_name: 'VAE Decode', category: 'latent', output_node: false,
      description: 'Decodes latent images back into pixel space images.',
      input: { required: { samples: ['LATENT', { tooltip: 'The latent to be decoded.' }], vae: ['VAE', { tooltip: 'The VAE model used for decoding the latent.' }] } },
      output: ['IMAGE'],
      output_tooltips: ['The decoded image.'],
    }),
    SaveImage: node({
      name: 'SaveImage', display_name: 'Save Image', category: 'image', output_node: true,
      description: 'Saves the input images to your ComfyUI output directory.',
      input: {
        required: {
          images: ['IMAGE', { tooltip: 'The images to save.' }],
          filename_prefix: ['STRING', { default: 'ComfyUI', tooltip: 'The prefix for the file to save.' }],
        },
        hidden: imageHidden,
      },
      output: [],
    }),
    LoadImage: node({
      name: 'LoadImage', display_name: 'Load Image', category: 'image', output_node: false,
      description: 'Loads an image from the input folder (upload one with POST /upload/image).',
      input: { required: { image: [[], { image_upload: true }] } },
      output: ['IMAGE', 'MASK'],
    }),
    LoadImageMask: node({
      name: 'LoadImageMask', display_name: 'Load Image (as Mask)', category: 'mask', output_node: false,
      description: 'Loads one channel of an image from the input folder as a mask.',
      input: { required: { image: [[], { image_upload: true }], channel: [['alpha', 'red', 'green', 'blue']] } },
      output: ['MASK'],
    }),
    VAEEncode: node({
      name: 'VAEEncode', display_name: 'VAE Encode', category: 'latent', output_node: false,
      description: 'Encodes pixel space images into latent space.',
      input: { required: { pixels: ['IMAGE'], vae: ['VAE'] } },
      output: ['LATENT'],
    }),
    SetLatentNoiseMask: node({
      name: 'SetLatentNoiseMask', display_name: 'Set Latent Noise Mask', category: 'latent/inpaint', output_node: false,
      description: 'Limits the sampler to the masked area of the latent.',
      input: { required: { samples: ['LATENT'], mask: ['MASK'] } },
      output: ['LATENT'],
    }),
    PreviewImage: node({
      name: 'PreviewImage', display_name: 'Preview Image', category: 'image', output_node: true,
      description: 'Saves the input images to your ComfyUI output directory.',
      input: { required: { images: ['IMAGE'] }, hidden: imageHidden },
      output: [],
    }),
    ...modelLoaderTypes(files),
  };
}
