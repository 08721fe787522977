/**
 * CLI: `tsx --conditions=@gantry/source apps/gpu-sim/src/main.ts` (or `node dist/main.js`).
 * Configured by the environment (see env.ts and multi-gpu.ts: GPU_SIM_GPUS runs several simulated
 * GPUs, each its own ComfyUI-compatible server); stops cleanly on SIGINT/SIGTERM.
 */
import { gpuOptionsFromEnv } from './multi-gpu.js';
import { startGpuSim, type GpuSimHandle } from './server.js';

function log(level: 'info' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), component: 'gpu-sim', msg, ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

async function main(): Promise<void> {
  const sims: GpuSimHandle[] = [];
  for (const options of gpuOptionsFromEnv()) {
    const sim = await startGpuSim(options);
    sims.push(sim);
    log('info', 'gpu-sim listening', { url: sim.url, name: sim.name, stepMs: options.stepMs, vramMb: options.vramMb, faults: sim.faults() });
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'gpu-sim stopping', { signal });
    Promise.all(sims.map((s) => s.close())).then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', 'gpu-sim failed to stop cleanly', { err: String(err) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  log('error', 'gpu-sim failed to start', { err: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
