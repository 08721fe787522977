import { LOADER_INPUTS, MODEL_KINDS, type ModelInventory, type ModelKind } from '@gantry/domain';
import { getJson } from './get-json.js';
import { isRecord } from './probe-types.js';

/**
 * ComfyUI's models, read from the `/object_info` reply it already fetched for the node types:
 * the option lists of the loader nodes' model inputs (`CheckpointLoaderSimple.ckpt_name`,
 * `LoraLoader.lora_name`, ...). A kind is known when at least one of its loaders is installed;
 * its list is the union of their options. Both combo shapes are read: `[[...options], {...}]`
 * and the newer `["COMBO", {options: [...]}]`.
 */
export function comfyInventory(objectInfo: Record<string, unknown>): ModelInventory {
  const found = new Map<ModelKind, Set<string>>();
  for (const [classType, inputs] of Object.entries(LOADER_INPUTS)) {
    const node = objectInfo[classType];
    if (!isRecord(node) || !isRecord(node.input)) continue;
    for (const [input, kind] of Object.entries(inputs)) {
      const spec = inputSpec(node.input, input);
      if (spec === undefined) continue;
      const names = found.get(kind) ?? new Set<string>();
      for (const name of comboOptions(spec)) names.add(name);
      found.set(kind, names);
    }
  }
  return sortedInventory(found);
}

/** One input's declaration, from `required` or `optional`. */
function inputSpec(input: Record<string, unknown>, name: string): unknown {
  for (const group of [input.required, input.optional]) {
    if (isRecord(group) && Object.hasOwn(group, name)) return group[name];
  }
  return undefined;
}

function comboOptions(spec: unknown): string[] {
  if (!Array.isArray(spec)) return [];
  const [type, options] = spec as [unknown, unknown];
  const list = Array.isArray(type) ? type : type === 'COMBO' && isRecord(options) && Array.isArray(options.options) ? options.options : [];
  return list.filter((n): n is string => typeof n === 'string');
}

/** A1111's models and the aliases its checkpoints answer to. */
export interface A1111Inventory {
  models: ModelInventory;
  aliases: Record<string, string>;
}

/**
 * AUTOMATIC1111's models: `GET /sdapi/v1/sd-models` (required: a failure rejects), and `/loras`
 * (the bundled Lora extension), `/sd-vae`, `/upscalers` (optional: a server without one leaves
 * that kind unknown). A checkpoint is listed by its file name (the `title` without ` [hash]`, as
 * ComfyUI names the same file); its title, model name and hashes are kept as aliases, since
 * A1111 accepts any of them in `sd_model_checkpoint`.
 */
export async function a1111Inventory(url: string, timeoutMs: number): Promise<A1111Inventory> {
  const optional = (path: string) => getJson(url, path, timeoutMs).catch(() => undefined);
  const [sdModels, loras, vaes, upscalers] = await Promise.all([
    getJson(url, '/sdapi/v1/sd-models', timeoutMs),
    optional('/sdapi/v1/loras'),
    optional('/sdapi/v1/sd-vae'),
    optional('/sdapi/v1/upscalers'),
  ]);
  if (!Array.isArray(sdModels)) throw new Error('GET /sdapi/v1/sd-models: not a list');
  const found = new Map<ModelKind, Set<string>>();
  const aliases: Record<string, string> = {};
  const checkpoints = new Set<string>();
  for (const item of sdModels.filter(isRecord)) {
    if (typeof item.title !== 'string') continue;
    const name = item.title.replace(/ \[[0-9a-fA-F]+\]$/, '');
    checkpoints.add(name);
    for (const alias of [item.title, item.model_name, item.hash, item.sha256]) {
      if (typeof alias === 'string' && alias !== '' && alias !== name) aliases[alias] = name;
    }
  }
  found.set('checkpoint', checkpoints);
  const names = (list: unknown, field: string) =>
    Array.isArray(list) ? new Set(list.filter(isRecord).map((i) => i[field]).filter((n): n is string => typeof n === 'string')) : undefined;
  for (const [kind, set] of [['lora', names(loras, 'name')], ['vae', names(vaes, 'model_name')], ['upscaler', names(upscalers, 'name')]] as const) {
    if (set) found.set(kind, set);
  }
  return { models: sortedInventory(found), aliases };
}

function sortedInventory(found: Map<ModelKind, Set<string>>): ModelInventory {
  const out: ModelInventory = {};
  for (const kind of MODEL_KINDS) {
    const names = found.get(kind);
    if (names) out[kind] = [...names].sort();
  }
  return out;
}
