import { probeA1111 } from './a1111-probe.js';
import { ProbeError } from './get-json.js';
import { probeComfyUi } from './comfyui-probe.js';
import type { ProbeOptions, ProbeResult, ProbeTarget } from './probe-types.js';

/** Probes a backend of any kind; never throws (a failure is `{ok: false, error}`). */
export async function probeBackend(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  try {
    return target.kind === 'a1111' ? await probeA1111(target, options) : await probeComfyUi(target, options);
  } catch (err) {
    const timedOut = err instanceof ProbeError && err.timedOut;
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err), timedOut };
  }
}
