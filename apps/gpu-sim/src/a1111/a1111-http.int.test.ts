import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectPng } from '../image/png-inspect.js';
import { loadDefaultWorkflow } from '../workflow.js';
import { startGpuSim, type GpuSimHandle } from '../server.js';

let sim: GpuSimHandle;

beforeEach(async () => {
  sim = await startGpuSim({ stepMs: 5 });
});

afterEach(async () => {
  await sim.close();
});

async function call(method: 'GET' | 'POST', path: string, body?: unknown, target = sim): Promise<{ status: number; json: any }> {
  const res = await fetch(`${target.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Polls until `predicate` holds (bounded). */
async function until<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const progress = () => call('GET', '/sdapi/v1/progress?skip_current_image=true').then((r) => r.json);
const task = (id: string) => call('POST', '/internal/progress', { id_task: id }).then((r) => r.json);

describe('gpu-sim A1111 API', () => {
  it('answers txt2img with base64 PNGs of the requested size, the parameters and an info string', async () => {
    const body = { prompt: 'a lighthouse', negative_prompt: 'fog', seed: 1234, steps: 4, width: 96, height: 64, batch_size: 2, cfg_scale: 6.5, sampler_name: 'Euler a' };
    const reply = await call('POST', '/sdapi/v1/txt2img', body);
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json)).toEqual(['images', 'parameters', 'info']);
    expect(reply.json.parameters).toMatchObject({ ...body, n_iter: 1, send_images: true, save_images: false, override_settings: null });
    const info = JSON.parse(reply.json.info);
    expect(info).toMatchObject({ seed: 1234, all_seeds: [1234, 1235], sampler_name: 'Euler a', cfg_scale: 6.5, steps: 4, width: 96, height: 64, batch_size: 2 });
    expect(reply.json.info).toContain('"cfg_scale": 6.5, "steps": 4');
    const pngs = (reply.json.images as string[]).map((b64) => Buffer.from(b64, 'base64'));
    expect(pngs).toHaveLength(2);
    for (const [i, png] of pngs.entries()) {
      expect(inspectPng(png)).toMatchObject({ valid: true, width: 96, height: 64 });
      expect(png.toString('latin1')).toContain(`parameters\0${info.infotexts[i]}`);
    }
    const again = await call('POST', '/sdapi/v1/txt2img', { ...body, batch_size: 1, seed: 1235 });
    // An image depends on its own seed, not on its position in the batch (A1111 seeds each image).
    expect(Buffer.from(again.json.images[0], 'base64').equals(pngs[1]!)).toBe(true);
    const same = await call('POST', '/sdapi/v1/txt2img', body);
    expect(same.json.images).toEqual(reply.json.images);
    // A1111 keeps no history: nothing is left in ComfyUI's.
    expect((await call('GET', '/history')).json).toEqual({});
  });

  it('reports progress and the running task while a job samples, then goes idle', async () => {
    sim.setFaults({ hang: 2 });
    const pending = call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 6, width: 64, height: 64, n_iter: 2, force_task_id: 'task-1' });
    const running = await until(progress, (p) => p.state.sampling_step === 2);
    expect(running).toMatchObject({ current_image: null, textinfo: null, state: { job: 'Batch 1 out of 2', job_count: 2, job_no: 0, sampling_steps: 6, interrupted: false } });
    expect(running.progress).toBeCloseTo(0.01 + 0.5 * (2 / 6));
    expect(await task('task-1')).toMatchObject({ active: true, queued: false, completed: false });
    expect(await task('other')).toMatchObject({ active: false, queued: false, completed: false, textinfo: 'Waiting...' });
    sim.clearFaults();
    expect((await call('POST', '/sdapi/v1/interrupt')).json).toEqual({});
    const reply = await pending;
    // Interrupted jobs still answer 200, with what the sampler had (the first iteration, half done).
    expect(reply.status).toBe(200);
    expect(reply.json.images).toHaveLength(1);
    expect(JSON.parse(reply.json.info).all_seeds).toHaveLength(2);
    expect(await progress()).toMatchObject({ progress: 0, eta_relative: 0, state: { job: '', job_count: 0, job_no: 1, interrupted: true } });
    expect(await task('task-1')).toMatchObject({ active: false, completed: true });
    expect((await call('GET', '/sdapi/v1/progress?skip_current_image=maybe')).json).toEqual({ detail: [{ loc: ['query', 'skip_current_image'], msg: 'value could not be parsed to a boolean', type: 'type_error.bool' }] });
  });

  it('shares the one GPU queue with ComfyUI prompts', async () => {
    sim.setFaults({ hang: true });
    const workflow = loadDefaultWorkflow() as Record<string, { inputs: Record<string, unknown> }>;
    Object.assign(workflow['5']!.inputs, { width: 64, height: 64 });
    expect((await call('POST', '/prompt', { prompt: workflow, prompt_id: 'comfy-1' })).status).toBe(200);
    await until(() => call('GET', '/queue').then((r) => r.json), (q) => q.queue_running.length === 1);
    const a1111 = call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 2, width: 64, height: 64, force_task_id: 'waits' });
    const queued = await until(() => task('waits'), (t) => t.queued === true);
    expect(queued).toMatchObject({ active: false, textinfo: 'In queue: 1/1' });
    const queue = (await call('GET', '/queue')).json;
    expect(queue.queue_pending).toHaveLength(1);
    expect(queue.queue_pending[0][3]).toMatchObject({ client_id: expect.stringMatching(/^a1111-/) });
    // A1111's interrupt leaves ComfyUI's prompt alone (it stops only A1111 jobs).
    await call('POST', '/sdapi/v1/interrupt');
    expect((await call('GET', '/queue')).json.queue_running[0][1]).toBe('comfy-1');
    sim.clearFaults();
    await call('POST', '/interrupt', { prompt_id: 'comfy-1' });
    expect((await a1111).status).toBe(200);
    expect((await call('GET', '/history/comfy-1')).json['comfy-1'].status.messages.at(-1)[0]).toBe('execution_interrupted');
  });

  it('fails a pending job whose prompt is removed from the shared queue', async () => {
    sim.setFaults({ hang: true });
    const first = call('POST', '/sdapi/v1/txt2img', { prompt: 'first', steps: 2, width: 64, height: 64 });
    await until(progress, (p) => p.state.job_count === 1);
    const second = call('POST', '/sdapi/v1/txt2img', { prompt: 'second', steps: 2, width: 64, height: 64 });
    await until(() => call('GET', '/queue').then((r) => r.json), (q) => q.queue_pending.length === 1);
    await call('POST', '/queue', { clear: true });
    expect(await second).toMatchObject({ status: 500, json: { error: 'RuntimeError', detail: '', body: '', errors: expect.stringContaining('removed from the shared queue') } });
    await call('POST', '/sdapi/v1/interrupt');
    expect((await first).status).toBe(200);
  });

  it('answers faults as A1111 does: OOM and crashes are 500 with {error, detail, body, errors}', async () => {
    sim.setFaults({ oom: true });
    const oom = await call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 2, width: 64, height: 64 });
    expect(oom).toMatchObject({ status: 500, json: { error: 'OutOfMemoryError', detail: '', body: '', errors: expect.stringMatching(/^CUDA out of memory\. Tried to allocate/) } });
    expect(oom.json.errors).not.toContain('\n');
    sim.setFaults({ oom: undefined, crashAfterSteps: 1 });
    expect(await call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 2, width: 64, height: 64 })).toMatchObject({ status: 500, json: { error: 'RuntimeError' } });
    sim.clearFaults();
    // A picture too large for the simulated VRAM runs out of memory for real.
    expect((await call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 1, width: 2048, height: 2048, batch_size: 8 })).json.error).toBe('OutOfMemoryError');
    const memory = (await call('GET', '/sdapi/v1/memory')).json;
    expect(memory.cuda).toMatchObject({ system: { total: 24576 * 1024 * 1024 }, events: { oom: 2, retries: 0 } });
    expect(memory.cuda.allocated.peak).toBeGreaterThan(0);
    expect(Object.keys(memory.ram)).toEqual(['free', 'used', 'total']);
  });

  it('answers invalid requests with 422: FastAPI detail for bad fields, A1111’s shape for unknown scripts', async () => {
    const bad = await call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 'many', width: 100 });
    expect(bad).toEqual({
      status: 422,
      json: {
        detail: [
          { loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' },
          { loc: ['body', 'width'], msg: 'ensure this value is a multiple of 8', type: 'value_error.number.not_multiple', ctx: { multiple_of: 8 } },
        ],
      },
    });
    const script = await call('POST', '/sdapi/v1/txt2img', { prompt: 'x', script_name: 'x/y/z plot' });
    expect(script).toEqual({ status: 422, json: { error: 'HTTPException', detail: "Script 'x/y/z plot' not found", body: '', errors: "422: Script 'x/y/z plot' not found" } });
    expect((await call('GET', '/sdapi/v1/progress')).json.state.job_count).toBe(0);
  });

  it('lists models, samplers and options, switches the model, and saves images when asked', async () => {
    const models = (await call('GET', '/sdapi/v1/sd-models')).json;
    expect(models).toHaveLength(3);
    expect(Object.keys(models[0])).toEqual(['title', 'model_name', 'hash', 'sha256', 'filename', 'config']);
    expect((await call('GET', '/sdapi/v1/samplers')).json[0]).toEqual({ name: 'DPM++ 2M', aliases: ['k_dpmpp_2m'], options: { scheduler: 'karras' } });
    expect((await call('GET', '/sdapi/v1/options')).json).toMatchObject({ sd_model_checkpoint: models[0].title, samples_format: 'png' });
    expect(await call('POST', '/sdapi/v1/options', { sd_model_checkpoint: models[2].model_name })).toEqual({ status: 200, json: null });
    expect((await call('GET', '/sdapi/v1/options')).json.sd_model_checkpoint).toBe(models[2].title);
    expect(await call('POST', '/sdapi/v1/options', { sd_model_checkpoint: 'nope' })).toMatchObject({ status: 500, json: { error: 'RuntimeError', errors: "model 'nope' not found" } });
    const run = (extra: Record<string, unknown>) => call('POST', '/sdapi/v1/txt2img', { prompt: 'x', steps: 1, width: 64, height: 64, seed: 3, ...extra });
    expect(JSON.parse((await run({})).json.info).sd_model_name).toBe(models[2].model_name);
    expect(JSON.parse((await run({ override_settings: { sd_model_checkpoint: models[1].title } })).json.info).sd_model_name).toBe(models[1].model_name);
    const saved = await run({ save_images: true, send_images: false });
    expect(saved.json.images).toEqual([]);
    const [day] = await readdir(join(sim.outputDir, 'txt2img-images'));
    expect(await readdir(join(sim.outputDir, 'txt2img-images', day!))).toEqual(['00000-3.png']);
    const view = await fetch(`${sim.url}/view?filename=00000-3.png&subfolder=txt2img-images/${day}&type=output`);
    expect(inspectPng(Buffer.from(await view.arrayBuffer())).valid).toBe(true);
  });

  it('saves as override_settings say before the task counts as finished, and serves the files under /file=', async () => {
    const overrides = { save_to_dirs: true, directories_filename_pattern: 'gantry-t1', samples_filename_pattern: '[none]', samples_save: true };
    const body = { prompt: 'x', steps: 2, width: 64, height: 64, seed: 40, batch_size: 3, save_images: true, force_task_id: 't1', override_settings: overrides };
    const reply = await call('POST', '/sdapi/v1/txt2img', body);
    expect(reply.status).toBe(200);
    expect(await task('t1')).toMatchObject({ completed: true });
    const outdir = (await call('GET', '/sdapi/v1/options')).json.outdir_txt2img_samples;
    expect(outdir).toBe('output/txt2img-images');
    expect(await readdir(join(sim.outputDir, 'txt2img-images', 'gantry-t1'))).toEqual(['00000.png', '00001.png', '00002.png']);
    for (const [i, image] of (reply.json.images as string[]).entries()) {
      const res = await fetch(`${sim.url}/file=${outdir}/gantry-t1/0000${i}.png`);
      expect(res.headers.get('content-type')).toBe('image/png');
      // The saved file is the image the reply carried.
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(image, 'base64'))).toBe(true);
    }
    // The overrides lasted for that job only.
    expect((await call('GET', '/sdapi/v1/options')).json).toMatchObject({ directories_filename_pattern: '[date]', samples_filename_pattern: '' });
    // gradio's refusals: a folder, a path outside the app, a dot file are 403; a missing file is 404.
    const file = (path: string) => call('GET', `/file=${path}`);
    expect(await file(`${outdir}/gantry-t1`)).toEqual({ status: 403, json: { detail: `File not allowed: ${outdir}/gantry-t1.` } });
    expect(await file('..%2F..%2Fetc%2Fpasswd')).toEqual({ status: 403, json: { detail: 'File not allowed: ../../etc/passwd.' } });
    expect((await file(`${outdir}/.hidden.png`)).status).toBe(403);
    expect(await file(`${outdir}/gantry-t1/00003.png`)).toEqual({ status: 404, json: { detail: `File not found: ${outdir}/gantry-t1/00003.png.` } });
  });

  it('saves nothing of an interrupted iteration unless save_incomplete_images, nor of a failed job', async () => {
    const overrides = (dir: string, extra = {}) => ({ save_to_dirs: true, directories_filename_pattern: dir, samples_filename_pattern: '[seed]', ...extra });
    const body = (id: string, extra = {}) => ({ prompt: 'x', steps: 5, width: 64, height: 64, seed: 7, save_images: true, force_task_id: id, override_settings: overrides(id, extra) });
    sim.setFaults({ hang: 2 });
    for (const [id, incomplete] of [['stopped', false], ['kept', true]] as const) {
      const reply = call('POST', '/sdapi/v1/txt2img', body(id, { save_incomplete_images: incomplete }));
      await until(progress, (p) => p.state.sampling_step === 2);
      await call('POST', '/sdapi/v1/interrupt');
      expect((await reply).json.images).toHaveLength(1);
      expect(await task(id)).toMatchObject({ completed: true });
    }
    const saved = await readdir(join(sim.outputDir, 'txt2img-images'));
    expect(saved).toEqual(['kept']);
    expect(await readdir(join(sim.outputDir, 'txt2img-images', 'kept'))).toEqual(['00000-7.png']);
    sim.setFaults({ hang: undefined, crashAfterSteps: 1 });
    expect((await call('POST', '/sdapi/v1/txt2img', body('crashed'))).status).toBe(500);
    // A1111 leaves a task that raised "current" (no finish_task), and saved nothing for it.
    expect(await task('crashed')).toMatchObject({ active: true, completed: false });
    expect(await readdir(join(sim.outputDir, 'txt2img-images'))).toEqual(['kept']);
  });
});
