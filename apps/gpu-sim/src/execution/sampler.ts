import { renderPreview } from '../image/render.js';
import { seededRandom } from '../image/prng.js';
import { NodeException, outOfMemory } from './errors.js';
import { activationMb, MODEL_MB } from './gpu-state.js';
import type { NodeContext, NodeImplementation } from './node-context.js';
import { expectValue } from './values.js';

/** Longest side of the sampler previews. */
const PREVIEW_SIZE = 128;

/**
 * KSampler: loads the model onto the GPU if needed, checks VRAM, then runs `steps` steps of
 * `stepMs` each with one progress tick per step. Fault injection acts here.
 *
 * Steps are paced against deadlines from the sampler's start (step k ends at start + k × stepMs),
 * not by one sleep after another: a GPU computes at its own pace whatever its host's event loop
 * does, so a timer that fires late (a busy host running several sims) shortens the next wait
 * instead of adding up over the steps.
 */
export const kSampler: NodeImplementation = async (inputs, ctx) => {
  const model = expectValue(inputs, 'model', 'MODEL');
  const positive = expectValue(inputs, 'positive', 'CONDITIONING');
  const negative = expectValue(inputs, 'negative', 'CONDITIONING');
  const latent = expectValue(inputs, 'latent_image', 'LATENT');
  const steps = Number(inputs.steps);
  const { width, height, batch } = latent;

  if (ctx.gpu.loadedCheckpoint !== model.checkpoint) {
    await ctx.sleep(ctx.modelLoadMs);
    ctx.gpu.loadedCheckpoint = model.checkpoint;
  }
  const needMb = activationMb(width, height, batch);
  if (ctx.faults.get().oom || MODEL_MB + needMb > ctx.gpu.vramMb) {
    const free = ctx.gpu.freeMb();
    ctx.gpu.unloadAll();
    throw outOfMemory(needMb, ctx.gpu.vramMb, free);
  }
  const { failRate } = ctx.faults.get();
  if (failRate !== undefined && seededRandom(`fail/${ctx.promptId}`)() < failRate) {
    throw new NodeException('RuntimeError', 'Simulated sampler failure (gpu-sim fault: failRate)');
  }

  // Everything that changes the picture; SaveImage paints from this key.
  const key = JSON.stringify([model.checkpoint, inputs.seed, steps, inputs.cfg, inputs.sampler_name, inputs.scheduler, inputs.denoise, positive.text, negative.text, latent.key, width, height]);
  const scale = Math.min(1, PREVIEW_SIZE / Math.max(width, height));
  const preview = (step: number) => () => renderPreview(`${key}#0`, Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), step / steps);
  ctx.gpu.activationMb = needMb;
  try {
    const from = ctx.now();
    for (let step = 1; step <= steps; step += 1) {
      await injectStepFaults(ctx, step - 1, steps);
      await ctx.sleep(Math.max(0, from + step * ctx.stepMs - ctx.now()));
      if (ctx.faults.get().dropSocketAtStep === step) ctx.dropSockets();
      ctx.progress(step, steps, preview(step));
    }
    await injectStepFaults(ctx, steps, steps);
  } finally {
    ctx.gpu.activationMb = 0;
  }
  return { outputs: [{ kind: 'LATENT', width, height, batch, key, ...(latent.tint ? { tint: latent.tint } : {}) }] };
};

/** Hang or crash once `done` steps are complete (a fault set beyond the last step fires at the end). */
async function injectStepFaults(ctx: NodeContext, done: number, steps: number): Promise<void> {
  const hangAt = ctx.faults.hangStep();
  if (hangAt !== undefined && Math.min(hangAt, steps) === done) await ctx.waitForInterrupt();
  const crashAt = ctx.faults.get().crashAfterSteps;
  if (crashAt !== undefined && Math.min(crashAt, steps) === done) {
    throw new NodeException('RuntimeError', `Simulated crash after ${done} sampler steps (gpu-sim fault: crashAfterSteps)`);
  }
}
