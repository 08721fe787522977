import { gpuOptionsFromEnv } from './multi-gpu';

describe('gpuOptionsFromEnv', () => {
  it('is one GPU by default', () => {
    const list = gpuOptionsFromEnv({});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ port: 8188, stepMs: 50, vramMb: 24576 });
  });

  it('runs several GPUs on consecutive ports with per-GPU speed and VRAM', () => {
    const list = gpuOptionsFromEnv({ GPU_SIM_GPUS: '3', GPU_SIM_PORT: '9000', GPU_SIM_STEP_MS: '10, 20', GPU_SIM_VRAM_MB: '8192,8192,49152', GPU_SIM_NAME: 'node7' });
    expect(list.map((o) => [o.port, o.stepMs, o.vramMb, o.name])).toEqual([
      [9000, 10, 8192, 'node7-0'],
      [9001, 20, 8192, 'node7-1'],
      [9002, 20, 49152, 'node7-2'],
    ]);
  });

  it('treats empty variables (as copied from .env.example) as defaults', () => {
    expect(gpuOptionsFromEnv({ GPU_SIM_GPUS: '', GPU_SIM_FAULTS: '', GPU_SIM_NAME: '', GPU_SIM_STEP_MS: '' })[0]).toMatchObject({ port: 8188, stepMs: 50 });
  });

  it('gives every GPU a free port when the port is 0, and refuses bad lists', () => {
    expect(gpuOptionsFromEnv({ GPU_SIM_GPUS: '2', GPU_SIM_PORT: '0' }).map((o) => o.port)).toEqual([0, 0]);
    expect(() => gpuOptionsFromEnv({ GPU_SIM_STEP_MS: 'fast' })).toThrow(/GPU_SIM_STEP_MS/);
  });
});
