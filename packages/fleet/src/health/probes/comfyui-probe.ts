import { getJson } from './get-json.js';
import { comfyInventory } from './model-inventory.js';
import { bytesToMb, isRecord, type BackendFacts, type ProbeOptions, type ProbeResult, type ProbeTarget } from './probe-types.js';

/**
 * Probes a ComfyUI backend: `GET /system_stats` (version `system.comfyui_version`, first device's
 * name and `vram_total`/`vram_free` in bytes) and, when asked, `GET /object_info` (node class
 * names: the keys of the reply; models: its loader nodes' option lists).
 */
export async function probeComfyUi(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const stats = await getJson(target.url, '/system_stats', options.timeoutMs);
  const facts = parseSystemStats(stats);
  const latencyMs = Math.round(performance.now() - started);
  if (!options.wantNodeTypes?.(facts)) return { ok: true, latencyMs, facts };
  try {
    const info = await getJson(target.url, '/object_info', options.nodeTypesTimeoutMs ?? 30_000);
    if (!isRecord(info)) return { ok: true, latencyMs, facts, nodeTypesError: 'GET /object_info: not an object' };
    return { ok: true, latencyMs, facts, nodeTypes: Object.keys(info).sort(), models: comfyInventory(info) };
  } catch (err) {
    return { ok: true, latencyMs, facts, nodeTypesError: err instanceof Error ? err.message : String(err) };
  }
}

/** ComfyUI's `/system_stats` reply → facts; missing fields are null (older builds lack the version). */
export function parseSystemStats(body: unknown): BackendFacts {
  const system = isRecord(body) && isRecord(body.system) ? body.system : {};
  const devices = isRecord(body) && Array.isArray(body.devices) ? body.devices : [];
  const gpu = devices.find(isRecord) ?? {};
  return {
    version: typeof system.comfyui_version === 'string' && system.comfyui_version ? system.comfyui_version : null,
    deviceName: typeof gpu.name === 'string' ? gpu.name : null,
    vramTotalMb: bytesToMb(gpu.vram_total),
    vramFreeMb: bytesToMb(gpu.vram_free),
  };
}
