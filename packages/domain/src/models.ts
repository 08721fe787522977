import { MODEL_KINDS, type ModelKind, type Txt2ImgParams, type Workflow } from '@gantry/contract';

/** A model a job names: its kind and its file name as the backend lists it. */
export interface ModelRef {
  kind: ModelKind;
  name: string;
}

/**
 * The loader nodes of ComfyUI (core nodes, 2025) and which of their inputs name a model file of
 * which kind. These inputs are combo widgets whose option list (`/object_info`) is the inventory,
 * and a value outside it is ComfyUI's `value_not_in_list` validation error.
 */
export const LOADER_INPUTS: Readonly<Record<string, Readonly<Record<string, ModelKind>>>> = {
  CheckpointLoaderSimple: { ckpt_name: 'checkpoint' },
  CheckpointLoader: { ckpt_name: 'checkpoint' },
  ImageOnlyCheckpointLoader: { ckpt_name: 'checkpoint' },
  unCLIPCheckpointLoader: { ckpt_name: 'checkpoint' },
  LoraLoader: { lora_name: 'lora' },
  LoraLoaderModelOnly: { lora_name: 'lora' },
  VAELoader: { vae_name: 'vae' },
  UpscaleModelLoader: { model_name: 'upscaler' },
  ControlNetLoader: { control_net_name: 'controlnet' },
  DiffControlNetLoader: { control_net_name: 'controlnet' },
  CLIPLoader: { clip_name: 'clip' },
  DualCLIPLoader: { clip_name1: 'clip', clip_name2: 'clip' },
  TripleCLIPLoader: { clip_name1: 'clip', clip_name2: 'clip', clip_name3: 'clip' },
  UNETLoader: { unet_name: 'unet' },
};

/** The model kind a loader node's input names, or null when the input is not a model file. */
export function loaderInputKind(classType: string, input: string): ModelKind | null {
  const inputs = Object.hasOwn(LOADER_INPUTS, classType) ? LOADER_INPUTS[classType]! : null;
  return inputs && Object.hasOwn(inputs, input) ? inputs[input]! : null;
}

/**
 * The models a workflow names in its loader nodes' literal inputs, sorted and without duplicates.
 * An input linked from another node is not known before it runs, so it is not counted.
 */
export function workflowModels(workflow: Workflow): ModelRef[] {
  const refs: ModelRef[] = [];
  for (const node of Object.values(workflow)) {
    const inputs = Object.hasOwn(LOADER_INPUTS, node.class_type) ? LOADER_INPUTS[node.class_type]! : null;
    if (!inputs) continue;
    for (const [input, kind] of Object.entries(inputs)) {
      const value = node.inputs[input];
      if (typeof value === 'string' && value.length > 0) refs.push({ kind, name: value });
    }
  }
  return uniqueRefs(refs);
}

/** The models txt2img parameters name: the checkpoint, when one is given. */
export function txt2ImgModels(params: Txt2ImgParams): ModelRef[] {
  return params.model ? [{ kind: 'checkpoint', name: params.model }] : [];
}

/** Sorted by kind then name, duplicates dropped. */
export function uniqueRefs(refs: readonly ModelRef[]): ModelRef[] {
  const seen = new Map<string, ModelRef>();
  for (const r of refs) seen.set(`${r.kind}\u0000${r.name}`, r);
  return [...seen.values()].sort((a, b) => MODEL_KINDS.indexOf(a.kind) - MODEL_KINDS.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `lora: detail.safetensors`, for messages. */
export function formatModelRef(ref: ModelRef): string {
  return `${ref.kind}: ${ref.name}`;
}
