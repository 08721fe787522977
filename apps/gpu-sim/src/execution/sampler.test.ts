import { FaultState } from '../faults.js';
import { GpuState } from './gpu-state.js';
import type { NodeContext } from './node-context.js';
import { kSampler } from './sampler.js';

/**
 * A context on a fake clock: every sleep ends `lateMs` after it should (a busy event loop), and
 * records what the sampler asked for.
 */
function pacedContext(stepMs: number, lateMs: number) {
  let clock = 1000;
  const asked: number[] = [];
  const ticks: number[] = [];
  const ctx = {
    promptId: 'p1',
    nodeId: '3',
    prompt: {},
    extraData: {},
    gpu: new GpuState(24576),
    faults: new FaultState(),
    dirs: {},
    stepMs,
    modelLoadMs: 0,
    now: () => clock,
    sleep: (ms: number) => {
      asked.push(ms);
      clock += ms + lateMs;
      return Promise.resolve();
    },
    progress: () => {
      ticks.push(clock);
    },
    waitForInterrupt: () => Promise.reject(new Error('not expected')),
    dropSockets: () => undefined,
  } as unknown as NodeContext;
  return { ctx, asked, ticks };
}

const inputs = (steps: number) => ({
  model: { kind: 'MODEL', checkpoint: 'sd15.safetensors' },
  positive: { kind: 'CONDITIONING', text: 'a', checkpoint: 'sd15.safetensors' },
  negative: { kind: 'CONDITIONING', text: '', checkpoint: 'sd15.safetensors' },
  latent_image: { kind: 'LATENT', width: 64, height: 64, batch: 1, key: null },
  steps,
  seed: 1,
  cfg: 7,
  sampler_name: 'euler',
  scheduler: 'normal',
  denoise: 1,
});

describe('kSampler pacing', () => {
  it('ends each step at its deadline from the start: late timers do not add up over the steps', async () => {
    const { ctx, asked, ticks } = pacedContext(10, 4);
    ctx.gpu.loadedCheckpoint = 'sd15.safetensors';
    await kSampler(inputs(5), ctx);
    // The first step waits its whole 10 ms; each later one only what is left to its deadline.
    expect(asked).toEqual([10, 6, 6, 6, 6]);
    // Every tick 4 ms after its deadline (1000 + k × 10), never further behind.
    expect(ticks).toEqual([1014, 1024, 1034, 1044, 1054]);
  });

  it('runs behind steps without waiting at all when a tick comes after the next deadline', async () => {
    const { ctx, asked, ticks } = pacedContext(10, 25);
    ctx.gpu.loadedCheckpoint = 'sd15.safetensors';
    await kSampler(inputs(3), ctx);
    expect(asked).toEqual([10, 0, 0]);
    expect(ticks).toEqual([1035, 1060, 1085]);
  });

  it('waits the whole step on time', async () => {
    const { ctx, asked } = pacedContext(20, 0);
    ctx.gpu.loadedCheckpoint = 'sd15.safetensors';
    await kSampler(inputs(3), ctx);
    expect(asked).toEqual([20, 20, 20]);
  });
});
