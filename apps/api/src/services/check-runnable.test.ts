import { AppError, submitJobSchema, type SubmitJobInput } from '@gantry/domain';
import { FleetIndex, type IndexedBackend } from '@gantry/fleet';
import { seededRandom } from '@gantry/testing';
import { runnableCheck } from './check-runnable';

/** A fleet of three backends that differ in kind, tags, VRAM, node types and models. */
const BACKENDS: IndexedBackend[] = [
  { id: 'b1', kind: 'comfyui', tags: ['sdxl'], state: 'open', draining: false, info: { vramTotalMb: 24_576, nodeTypes: ['CheckpointLoaderSimple', 'KSampler', 'SaveImage'], models: { checkpoint: ['a.safetensors'] } } },
  { id: 'b2', kind: 'comfyui', tags: ['video'], state: 'unknown', draining: false, info: { vramTotalMb: 8_192, nodeTypes: ['CheckpointLoaderSimple', 'KSampler', 'SaveImage', 'VAEDecode'], models: { checkpoint: ['b.safetensors'] } } },
  { id: 'b3', kind: 'a1111', tags: [], state: 'open', draining: false, info: { models: { checkpoint: ['a.safetensors', 'c.safetensors'] } } },
];

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

/** A valid submit whose need varies: node types, checkpoint, tags, VRAM, or txt2img with or without a model. */
function randomInput(next: () => number): SubmitJobInput {
  const requirements = next() < 0.5 ? { tags: next() < 0.5 ? [pick(next, ['sdxl', 'video', 'none'])] : undefined, vramMb: next() < 0.3 ? pick(next, [4_096, 16_384, 65_536]) : undefined } : undefined;
  if (next() < 0.25) return submitJobSchema.parse({ txt2img: { prompt: 'p', ...(next() < 0.5 ? { model: pick(next, ['a.safetensors', 'c.safetensors', 'z.safetensors']) } : {}) }, requirements });
  const workflow: Record<string, unknown> = {
    '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: pick(next, ['a.safetensors', 'b.safetensors', 'z.safetensors']) } },
    '2': { class_type: pick(next, ['KSampler', 'KSamplerAdvanced']), inputs: { seed: Math.floor(next() * 1000), model: ['1', 0] } },
  };
  if (next() < 0.4) workflow['3'] = { class_type: pick(next, ['SaveImage', 'VAEDecode']), inputs: {} };
  return submitJobSchema.parse({ workflow, requirements });
}

/** What a check of this input alone answers: the refusal's code and details, or null. */
function verdict(check: (input: SubmitJobInput) => void, input: SubmitJobInput): unknown {
  try {
    check(input);
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
}

describe('runnableCheck', () => {
  it('gives every job of a batch the verdict a check of that job alone gives (one judgement per distinct need)', async () => {
    const fleet = new FleetIndex({ load: async () => BACKENDS });
    for (let batch = 1; batch <= 30; batch++) {
      const next = seededRandom(batch);
      const shared = await runnableCheck({ fleet }, null);
      const inputs = Array.from({ length: 60 }, () => randomInput(next));
      const got = inputs.map((input) => verdict(shared, input));
      const alone = await Promise.all(inputs.map(async (input) => verdict(await runnableCheck({ fleet }, null), input)));
      expect([batch, got]).toEqual([batch, alone]);
      // Each kind of answer occurs, so the comparison covers refusals and passes.
      if (batch === 1) {
        const codes = new Set(inputs.flatMap((input) => [(verdict(shared, input) as { code?: string } | null)?.code ?? 'ok']));
        expect([...codes].sort()).toEqual(['MODEL_UNAVAILABLE', 'NO_ELIGIBLE_BACKEND', 'ok']);
      }
    }
  });
});
