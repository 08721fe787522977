/**
 * Several simulated GPUs in one process, for the WebSocket benchmark (one process instead of one
 * per sim keeps the 2-core budget for the API and the clients). Configured by BENCH_GPUS and
 * GPU_SIM_STEP_MS; reports the URLs to the parent over IPC (`{benchSims: [...]}`) and on stdout.
 */
import { startGpuSim, type GpuSimHandle } from '@gantry/gpu-sim';

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_GPUS ?? 3);
  const stepMs = Number(process.env.GPU_SIM_STEP_MS ?? 20);
  const sims: GpuSimHandle[] = [];
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled(sims.map((s) => s.close())).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let i = 0; i < count; i++) {
    sims.push(await startGpuSim({ port: 0, host: '127.0.0.1', stepMs, name: `bench-sim${i}` }));
  }
  const urls = sims.map((s) => s.url);
  process.send?.({ benchSims: urls });
  console.log(JSON.stringify({ benchSims: urls }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
