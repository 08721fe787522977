import { createHash } from 'node:crypto';
import { MODEL_KINDS, type ModelInventory } from '@gantry/domain';

/**
 * What probes learned about a backend that is worth keeping: persisted into `Backend.info` in
 * PostgreSQL (only when it changed), read by the submit path's eligibility check and the API.
 * Live values (free VRAM, health) are not here: they change constantly and live in Redis.
 */
export interface BackendInfo {
  kind: 'comfyui' | 'a1111';
  /** `comfyui_version` of ComfyUI; null when the backend does not tell. */
  version: string | null;
  deviceName: string | null;
  vramTotalMb: number | null;
  /** Node class names from ComfyUI's `/object_info`, sorted; absent when not learned (or A1111). */
  nodeTypes?: string[];
  /**
   * The model files it holds, per kind (ComfyUI: its loader nodes' option lists; A1111: its
   * `/sdapi/v1/sd-models`, `/loras`, `/sd-vae`, `/upscalers`); absent when not learned.
   */
  models?: ModelInventory;
  /** A1111 only: other names a checkpoint answers to (title, model name, hashes) → its file name. */
  modelAliases?: Record<string, string>;
  /** When this info was learned (ISO 8601). */
  learnedAt: string;
}

/** Fingerprint of the parts that matter (not `learnedAt`), to persist only on change. */
export function infoFingerprint(info: BackendInfo): string {
  const { learnedAt: _ignored, ...rest } = info;
  return createHash('sha256').update(JSON.stringify([rest.kind, rest.version, rest.deviceName, rest.vramTotalMb, rest.nodeTypes ?? null, rest.models ?? null, rest.modelAliases ?? null])).digest('hex').slice(0, 32);
}

/**
 * Reads `Backend.info` as stored (JSON of unknown shape: written by any Gantry version) into the
 * fields eligibility and the API use; anything malformed is dropped.
 */
export function readBackendInfo(value: unknown): Partial<BackendInfo> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const out: Partial<BackendInfo> = {};
  if (v.kind === 'comfyui' || v.kind === 'a1111') out.kind = v.kind;
  if (typeof v.version === 'string') out.version = v.version;
  if (typeof v.deviceName === 'string') out.deviceName = v.deviceName;
  if (typeof v.vramTotalMb === 'number' && Number.isFinite(v.vramTotalMb)) out.vramTotalMb = v.vramTotalMb;
  if (Array.isArray(v.nodeTypes)) out.nodeTypes = v.nodeTypes.filter((t): t is string => typeof t === 'string');
  const models = readInventory(v.models);
  if (models) out.models = models;
  if (isObject(v.modelAliases)) {
    out.modelAliases = Object.fromEntries(Object.entries(v.modelAliases).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  if (typeof v.learnedAt === 'string') out.learnedAt = v.learnedAt;
  return out;
}

/** A stored inventory: known kinds with their string entries; anything else dropped. */
function readInventory(value: unknown): ModelInventory | null {
  if (!isObject(value)) return null;
  const out: ModelInventory = {};
  for (const kind of MODEL_KINDS) {
    const list = value[kind];
    if (Array.isArray(list)) out[kind] = list.filter((n): n is string => typeof n === 'string');
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
