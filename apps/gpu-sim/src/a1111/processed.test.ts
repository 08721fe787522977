import { inspectPng } from '../image/png-inspect.js';
import { checkpointsFor, findCheckpoint } from './checkpoints.js';
import { infotext, processedInfo, renderImage, seedsFor, type Txt2ImgJob } from './processed.js';
import { progressResponse, taskProgress } from './progress.js';
import { PyFloat, pyJsonDumps } from './py-json.js';
import { resolveSampler } from './samplers.js';
import { SharedState } from './shared-state.js';
import { parseTxt2ImgRequest } from './txt2img-request.js';

const [checkpoint] = checkpointsFor(['v1-5-pruned-emaonly.safetensors']);

function job(body: Record<string, unknown>): Txt2ImgJob {
  const parsed = parseTxt2ImgRequest(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.detail));
  return { request: parsed.value, checkpoint: checkpoint!, sampler: resolveSampler(parsed.value.samplerName, parsed.value.scheduler), ...seedsFor(parsed.value) };
}

describe('samplers and checkpoints', () => {
  it('splits a "<sampler> <scheduler>" name and falls back to the default sampler for unknown names', () => {
    expect(resolveSampler('DPM++ 2M Karras', null)).toMatchObject({ sampler: { name: 'DPM++ 2M' }, schedule: { label: 'Karras' }, schedulerLabel: null });
    expect(resolveSampler('Euler a', 'Exponential')).toMatchObject({ sampler: { name: 'Euler a', comfy: 'euler_ancestral' }, schedule: { comfy: 'exponential' }, schedulerLabel: 'Exponential' });
    expect(resolveSampler('Euler', null)).toMatchObject({ schedule: null });
    expect(resolveSampler('No such sampler', null).sampler.name).toBe('DPM++ 2M');
  });

  it('finds a checkpoint by any alias A1111 accepts', () => {
    for (const alias of [checkpoint!.title, checkpoint!.model_name, 'v1-5-pruned-emaonly.safetensors', checkpoint!.hash, checkpoint!.sha256]) {
      expect(findCheckpoint([checkpoint!], alias)).toBe(checkpoint);
    }
    expect(findCheckpoint([checkpoint!], 'other')).toBeUndefined();
    expect(checkpoint!.title).toMatch(/^v1-5-pruned-emaonly\.safetensors \[[0-9a-f]{10}\]$/);
  });
});

describe('processed images and info', () => {
  it('writes A1111’s infotext, quoting values with commas', () => {
    const j = job({ prompt: 'a cat', negative_prompt: 'blurry', seed: 5, steps: 20, width: 64, height: 64, sampler_name: 'DPM++ 2M', batch_size: 2 });
    expect(infotext(j, 1)).toBe(`a cat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.0, Seed: 6, Size: 64x64, Model hash: ${checkpoint!.hash}, Model: v1-5-pruned-emaonly, Version: v1.10.1`);
    expect(infotext(job({ prompt: 'x', seed: 1, subseed: 9, subseed_strength: 0.5 }), 0)).toContain('Variation seed: 9, Variation seed strength: 0.5');
  });

  it('renders a valid PNG per seed with the infotext embedded, byte-identical for the same inputs', () => {
    const a = job({ prompt: 'a cat', seed: 7, width: 64, height: 72, batch_size: 2 });
    const png = renderImage(a, 0);
    const info = inspectPng(png);
    expect(info).toMatchObject({ valid: true, width: 64, height: 72 });
    expect(info.chunks.find((c) => c.type === 'tEXt')?.data.toString('latin1')).toBe(`parameters\0${infotext(a, 0)}`);
    expect(renderImage(job({ prompt: 'a cat', seed: 7, width: 64, height: 72, batch_size: 2 }), 0).equals(png)).toBe(true);
    expect(renderImage(a, 1).equals(png)).toBe(false);
    expect(renderImage(job({ prompt: 'a dog', seed: 7, width: 64, height: 72 }), 0).equals(png)).toBe(false);
    expect(renderImage(a, 0, 0.5).equals(png)).toBe(false);
  });

  it('writes info as Python’s json.dumps does', () => {
    expect(pyJsonDumps({ a: [1, new PyFloat(7), 'é'], b: null })).toBe('{"a": [1, 7.0, "\\u00e9"], "b": null}');
    const j = job({ prompt: 'p', seed: 10, batch_size: 2, n_iter: 2 });
    const info = JSON.parse(processedInfo(j, ['t0', 't1', 't2', 't3'], '20250101120000'));
    expect(info).toMatchObject({ seed: 10, all_seeds: [10, 11, 12, 13], all_prompts: ['p', 'p', 'p', 'p'], batch_size: 2, infotexts: ['t0', 't1', 't2', 't3'], job_timestamp: '20250101120000', sd_model_name: 'v1-5-pruned-emaonly', index_of_first_image: 0 });
    expect(seedsFor(j.request).allSeeds).toEqual([10, 11, 12, 13]);
    const random = job({ prompt: 'p' }).allSeeds[0]!;
    expect(random).toBeGreaterThanOrEqual(0);
    expect(random).toBeLessThan(4294967294);
  });
});

describe('progress', () => {
  it('is all zeros when idle and counts finished jobs plus steps while running', () => {
    const state = new SharedState();
    expect(progressResponse(state, false)).toEqual({ progress: 0, eta_relative: 0, state: state.dict(), current_image: null, textinfo: null });
    state.begin('scripts_txt2img', 2, new Date(2025, 0, 2, 3, 4, 5));
    state.iteration(1, 10);
    state.samplingStep = 5;
    state.livePreview(Buffer.from('png'));
    const running = progressResponse(state, false, state.timeStart + 3000);
    expect(running.progress).toBeCloseTo(0.01 + 0.5 + 0.25);
    expect(running.eta_relative).toBeCloseTo(3 / 0.76 - 3);
    expect(running.state).toMatchObject({ job: 'Batch 2 out of 2', job_count: 2, job_no: 1, sampling_step: 5, sampling_steps: 10, job_timestamp: '20250102030405' });
    expect(running.current_image).toBe(Buffer.from('png').toString('base64'));
    expect(progressResponse(state, true).current_image).toBeNull();
  });

  it('tells one task from another for /internal/progress', () => {
    const state = new SharedState();
    state.addTask('a');
    state.addTask('b');
    expect(taskProgress(state, { id_task: 'b', id_live_preview: -1, live_preview: true })).toMatchObject({ active: false, queued: true, textinfo: 'In queue: 2/2' });
    state.begin('scripts_txt2img', 1);
    state.startTask('a');
    expect(taskProgress(state, { id_task: 'a', id_live_preview: -1, live_preview: true })).toMatchObject({ active: true, queued: false, progress: 0 });
    state.finishTask('a');
    expect(taskProgress(state, { id_task: 'a', id_live_preview: -1, live_preview: true })).toMatchObject({ active: false, completed: true, textinfo: 'Waiting...' });
  });
});
