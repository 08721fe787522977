import { getJson, ProbeError } from './get-json.js';
import { bytesToMb, isRecord, type BackendFacts, type ProbeOptions, type ProbeResult, type ProbeTarget } from './probe-types.js';

/**
 * Probes an AUTOMATIC1111 (stable-diffusion-webui, `--api`) backend: `GET /sdapi/v1/memory`
 * (`cuda.system.total`/`free` in bytes); servers without that route (404) are probed with
 * `GET /sdapi/v1/options` for reachability only. A1111 reports no version and has no node types.
 * Tolerant by design: any JSON reply of either route counts as up.
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
  return { ok: true, latencyMs: Math.round(performance.now() - started), facts };
}

/** A1111's `/sdapi/v1/memory` reply → facts (`cuda` is `{error}` on machines without CUDA). */
export function parseMemory(body: unknown): BackendFacts {
  const cuda = isRecord(body) && isRecord(body.cuda) ? body.cuda : {};
  const system = isRecord(cuda.system) ? cuda.system : {};
  return { version: null, deviceName: null, vramTotalMb: bytesToMb(system.total), vramFreeMb: bytesToMb(system.free) };
}

