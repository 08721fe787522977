import { createHash } from 'node:crypto';

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
  /** When this info was learned (ISO 8601). */
  learnedAt: string;
}

/** Fingerprint of the parts that matter (not `learnedAt`), to persist only on change. */
export function infoFingerprint(info: BackendInfo): string {
  const { learnedAt: _ignored, ...rest } = info;
  return createHash('sha256').update(JSON.stringify([rest.kind, rest.version, rest.deviceName, rest.vramTotalMb, rest.nodeTypes ?? null])).digest('hex').slice(0, 32);
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
  if (typeof v.learnedAt === 'string') out.learnedAt = v.learnedAt;
  return out;
}
