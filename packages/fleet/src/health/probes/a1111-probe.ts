import { getJson, ProbeError } from './get-json.js';
import { a1111Inventory } from './model-inventory.js';
import { bytesToMb, isRecord, type BackendFacts, type ProbeOptions, type ProbeResult, type ProbeTarget } from './probe-types.js';

/**
 * Probes an AUTOMATIC1111 (stable-diffusion-webui, `--api`) backend: `GET /sdapi/v1/memory`
 * (`cuda.system.total`/`free` in bytes); servers without that route (404) are probed with
 * `GET /sdapi/v1/options` for reachability only. A1111 reports no version and has no node types.
 * When asked, its model lists too (see a1111Inventory). Tolerant by design: any JSON reply of
 * either route counts as up; models that cannot be read are `modelsError`.
 */
export async function probeA1111(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  let facts: BackendFacts;
  try {
    facts = parseMemory(await getJson(target.url, '/sdapi/v1/memory', options.timeoutMs));
  } catch (err) {
    if (!(err instanceof ProbeError) || err.status !== 404) throw err;
    await getJson(target.url, '/sdapi/v1/options', options.timeoutMs);
    facts = { version: null, deviceName: null, vramTotalMb: null, vramFreeMb: null };
  }
  const latencyMs = Math.round(performance.now() - started);
  if (!options.wantNodeTypes?.(facts)) return { ok: true, latencyMs, facts };
  try {
    const inventory = await a1111Inventory(target.url, options.nodeTypesTimeoutMs ?? 30_000);
    return { ok: true, latencyMs, facts, models: inventory.models, modelAliases: inventory.aliases };
  } catch (err) {
    return { ok: true, latencyMs, facts, modelsError: err instanceof Error ? err.message : String(err) };
  }
}

/** A1111's `/sdapi/v1/memory` reply → facts (`cuda` is `{error}` on machines without CUDA). */
export function parseMemory(body: unknown): BackendFacts {
  const cuda = isRecord(body) && isRecord(body.cuda) ? body.cuda : {};
  const system = isRecord(cuda.system) ? cuda.system : {};
  return { version: null, deviceName: null, vramTotalMb: bytesToMb(system.total), vramFreeMb: bytesToMb(system.free) };
}

