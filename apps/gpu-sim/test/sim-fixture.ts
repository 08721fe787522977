import { loadDefaultWorkflow, startGpuSim, type GpuSimHandle } from '../src/index.js';
import type { smallWorkflow, WsRecorder } from './ws-recorder.js';

/** ComfyUI's default workflow, the base of smallWorkflow(). */
export const base = loadDefaultWorkflow() as unknown as Parameters<typeof smallWorkflow>[0];

/**
 * Per test: a fresh gpu-sim (5 ms per sampler step) as `sim`. After the test, every recorder
 * pushed onto `sockets` is closed, then the sim.
 */
export function useGpuSim(): { sim: GpuSimHandle; readonly sockets: WsRecorder[] } {
  const ctx = { sockets: [] as WsRecorder[] } as { sim: GpuSimHandle; readonly sockets: WsRecorder[] };
  beforeEach(async () => {
    ctx.sim = await startGpuSim({ stepMs: 5 });
  });
  afterEach(async () => {
    await Promise.all(ctx.sockets.splice(0).map((s) => s.close()));
    await ctx.sim.close();
  });
  return ctx;
}
