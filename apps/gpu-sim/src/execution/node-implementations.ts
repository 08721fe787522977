import { checkpointLoader, clipTextEncode, emptyLatentImage, vaeDecode } from './basic-nodes.js';
import { previewImage, saveImage } from './image-nodes.js';
import { loadImage, loadImageMask, setLatentNoiseMask, vaeEncode } from './load-image-nodes.js';
import * as loaders from './loader-nodes.js';
import type { NodeImplementation } from './node-context.js';
import { kSampler } from './sampler.js';

/** What runs for each class in the node table (`nodes/node-types.ts`); the keys must match. */
export const NODE_IMPLEMENTATIONS: Readonly<Record<string, NodeImplementation>> = {
  CheckpointLoaderSimple: checkpointLoader,
  CLIPTextEncode: clipTextEncode,
  EmptyLatentImage: emptyLatentImage,
  KSampler: kSampler,
  VAEDecode: vaeDecode,
  SaveImage: saveImage,
  PreviewImage: previewImage,
  LoadImage: loadImage,
  LoadImageMask: loadImageMask,
  VAEEncode: vaeEncode,
  SetLatentNoiseMask: setLatentNoiseMask,
  LoraLoader: loaders.loraLoader,
  LoraLoaderModelOnly: loaders.loraLoaderModelOnly,
  VAELoader: loaders.vaeLoader,
  CLIPLoader: loaders.clipLoader,
  UNETLoader: loaders.unetLoader,
  UpscaleModelLoader: loaders.upscaleModelLoader,
  ImageUpscaleWithModel: loaders.imageUpscaleWithModel,
  ControlNetLoader: loaders.controlNetLoader,
};
