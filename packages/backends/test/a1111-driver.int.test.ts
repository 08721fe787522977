import { AppError } from '@gantry/domain';
import { inspectPng, loadDefaultWorkflow } from '@gantry/gpu-sim';
import { createA1111Driver, type A1111Driver, type Txt2ImgParams } from '../src/index.js';
import { A1111_FAST_TIMEOUTS, simJson, startProxyWithoutTaskApi, startRun, until } from './a1111-fixtures.js';
import { downloadBytes, rejection, useSimAndDriver } from './sim-fixtures.js';

const ctx = useSimAndDriver((url) => createA1111Driver({ id: 'a1111-1', url, timeouts: A1111_FAST_TIMEOUTS }));

const txt2img = (params: Txt2ImgParams, d: A1111Driver = ctx.driver) => startRun((options) => d.runTxt2Img(params, options));
const state = () => simJson(ctx.sim.url, 'GET', '/sdapi/v1/progress?skip_current_image=true').then((p) => p.state);
const task = (id: string) => simJson(ctx.sim.url, 'POST', '/internal/progress', { id_task: id });

describe('A1111 driver against gpu-sim', () => {
  it('renders txt2img parameters with progress events and outputs that download as PNGs of the requested size', async () => {
    const run = txt2img({ prompt: 'a red barn', negative_prompt: 'blurry', seed: 1234, steps: 20, width: 96, height: 64, batch_size: 2, sampler_name: 'Euler a', cfg_scale: 6 });
    const result = await run.result;
    expect(result).toEqual({
      promptId: run.promptId,
      files: [
        { nodeId: 'txt2img', filename: 'txt2img_1234_0.png', subfolder: run.promptId, type: 'output' },
        { nodeId: 'txt2img', filename: 'txt2img_1235_1.png', subfolder: run.promptId, type: 'output' },
      ],
    });
    expect(run.events[0]).toEqual({ type: 'started' });
    const progress = run.events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    for (const e of progress) expect(e).toMatchObject({ node: null, max: 20, value: expect.any(Number) });
    const values = progress.map((e) => (e.type === 'progress' ? e.value : -1));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(run.events.at(-1)).toEqual({ type: 'executed', node: 'txt2img', files: result.files });
    const downloads = await Promise.all(result.files.map((f) => downloadBytes(ctx.driver, f)));
    for (const d of downloads) {
      expect(d.contentType).toBe('image/png');
      expect(inspectPng(d.data)).toMatchObject({ valid: true, width: 96, height: 64 });
    }
    expect(downloads[0]!.data.equals(downloads[1]!.data)).toBe(false);
    // The same parameters give the same bytes; other steps, another picture.
    const short = { prompt: 'a red barn', negative_prompt: 'blurry', seed: 1234, steps: 2, width: 96, height: 64, sampler_name: 'Euler a', cfg_scale: 6 };
    const same = await txt2img(short).result;
    const a = await downloadBytes(ctx.driver, same.files[0]!);
    const b = await downloadBytes(ctx.driver, (await txt2img(short).result).files[0]!);
    expect(a.data.equals(b.data)).toBe(true);
    expect(a.data.equals(downloads[0]!.data)).toBe(false);
    await expect(ctx.driver.download({ ...same.files[0]!, subfolder: 'other-run' })).rejects.toMatchObject({ code: 'BACKEND_ERROR', details: { reason: 'not_held' } });
  });

  it('maps a 422 to WORKFLOW_INVALID with FastAPI’s detail, and refuses invalid parameters without sending them', async () => {
    const run = txt2img({ prompt: 'x', width: 4096, height: 64, steps: 2 });
    const error = await rejection(run.result);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'WORKFLOW_INVALID',
      retryable: false,
      details: [{ loc: ['body', 'width'], msg: 'ensure this value is less than or equal to 2048', type: 'value_error.number.not_le', ctx: { limit_value: 2048 } }],
    });
    expect(error.message).toContain('width: ensure this value is less than or equal to 2048');
    const local = txt2img({ prompt: 'x', steps: 0, width: 100 } as Txt2ImgParams);
    expect(await rejection(local.result)).toMatchObject({ code: 'WORKFLOW_INVALID', details: [{ loc: ['body', 'steps'], type: 'too_small' }, { loc: ['body', 'width'], type: 'not_multiple_of' }] });
    expect(await task(local.promptId)).toMatchObject({ active: false, queued: false, completed: false });
    expect(local.events).toEqual([]);
  });

  it('cancels a running job through the abort signal: interrupt, then CANCELED, and the GPU is free again', async () => {
    const run = txt2img({ prompt: 'long', steps: 150, width: 64, height: 64 });
    await run.next((e) => e.type === 'progress');
    const abortedAt = Date.now();
    run.controller.abort();
    expect(await rejection(run.result)).toMatchObject({ code: 'CANCELED', retryable: false, details: { promptId: run.promptId } });
    expect(Date.now() - abortedAt).toBeLessThan(A1111_FAST_TIMEOUTS.cancelGraceMs);
    expect(await state()).toMatchObject({ job_count: 0, interrupted: true });
    expect(await task(run.promptId)).toMatchObject({ active: false, completed: true });
    expect((await simJson(ctx.sim.url, 'GET', '/queue')).queue_running).toEqual([]);
    expect((await txt2img({ prompt: 'next', seed: 5, steps: 2, width: 64, height: 64 }).result).files).toHaveLength(1);
    // Aborted before the request can have reached the server: still found and interrupted.
    const early = txt2img({ prompt: 'early', steps: 150, width: 64, height: 64 });
    early.controller.abort();
    expect(await rejection(early.result)).toMatchObject({ code: 'CANCELED' });
    await until(() => task(early.promptId), (t) => t.completed === true);
    expect(await state()).toMatchObject({ job_count: 0, interrupted: true });
  });

  it('never interrupts another client’s job; a canceled request that waited behind it is interrupted when it starts', async () => {
    ctx.sim.setFaults({ hang: 1 });
    const foreign = simJson(ctx.sim.url, 'POST', '/sdapi/v1/txt2img', { prompt: 'theirs', steps: 3, width: 64, height: 64, force_task_id: 'foreign' });
    await until(() => task('foreign'), (t) => t.active === true);
    const run = txt2img({ prompt: 'ours', steps: 3, width: 64, height: 64 });
    await until(() => task(run.promptId), (t) => t.queued === true);
    run.controller.abort();
    expect(await rejection(run.result)).toMatchObject({ code: 'CANCELED' });
    expect(await task('foreign')).toMatchObject({ active: true });
    expect(await state()).toMatchObject({ interrupted: false });
    // The other client stops its own job; ours then starts, and the driver interrupts it at once.
    ctx.sim.clearFaults();
    await simJson(ctx.sim.url, 'POST', '/sdapi/v1/interrupt');
    expect((await foreign).images).toHaveLength(1);
    await until(() => task(run.promptId), (t) => t.completed === true);
    expect(await state()).toMatchObject({ job_count: 0, interrupted: true });
  });

  it('maps an OOM to a retryable OUT_OF_MEMORY and other job failures to EXECUTION_ERROR', async () => {
    ctx.sim.setFaults({ oom: true });
    const oom = await rejection(txt2img({ prompt: 'x', steps: 2, width: 64, height: 64 }).result);
    expect(oom).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true, details: { status: 500, error: 'OutOfMemoryError', errors: expect.stringContaining('CUDA out of memory') } });
    ctx.sim.setFaults({ oom: undefined, crashAfterSteps: 1 });
    expect(await rejection(txt2img({ prompt: 'x', steps: 3, width: 64, height: 64 }).result)).toMatchObject({ code: 'EXECUTION_ERROR', retryable: false, details: { error: 'RuntimeError' } });
  });

  it('reports a job interrupted by someone else as a retryable BACKEND_ERROR', async () => {
    ctx.sim.setFaults({ hang: 2 });
    const run = txt2img({ prompt: 'x', steps: 5, width: 64, height: 64 });
    await run.next((e) => e.type === 'progress' && e.value === 2);
    await simJson(ctx.sim.url, 'POST', '/sdapi/v1/interrupt');
    expect(await rejection(run.result)).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'interrupted' } });
  });

  it('fails BACKEND_UNAVAILABLE (retryable) when the backend goes down mid-run or is down', async () => {
    ctx.sim.setFaults({ hang: 1 });
    const run = txt2img({ prompt: 'x', steps: 4, width: 64, height: 64 });
    await run.next((e) => e.type === 'progress');
    await ctx.sim.close();
    expect(await rejection(run.result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    const down = createA1111Driver({ id: 'down', url: ctx.sim.url, timeouts: A1111_FAST_TIMEOUTS });
    try {
      expect(await rejection(txt2img({ prompt: 'x' }, down).result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true, details: { reason: 'ECONNREFUSED' } });
    } finally {
      await down.close();
    }
  });

  it('runs a plain txt2img ComfyUI workflow, and refuses others as retryable elsewhere', async () => {
    const workflow = loadDefaultWorkflow() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    Object.assign(workflow['3']!.inputs, { steps: 8, seed: 77 });
    Object.assign(workflow['5']!.inputs, { width: 64, height: 64 });
    const run = startRun((options) => ctx.driver.run(workflow as never, options));
    const result = await run.result;
    expect(result.files).toEqual([{ nodeId: '9', filename: 'txt2img_77_0.png', subfolder: run.promptId, type: 'output' }]);
    expect(run.events.slice(0, 2)).toEqual([{ type: 'started' }, { type: 'executing', node: '3' }]);
    expect(run.events.filter((e) => e.type === 'progress').every((e) => e.type === 'progress' && e.node === '3')).toBe(true);
    expect(inspectPng((await downloadBytes(ctx.driver, result.files[0]!)).data)).toMatchObject({ width: 64, height: 64 });
    const upscale = { ...workflow, '10': { class_type: 'ImageScale', inputs: { image: ['8', 0] } } };
    expect(await rejection(startRun((options) => ctx.driver.run(upscale as never, options)).result)).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'unsupported_workflow' } });
  });

  it('without the task API, follows the global progress and lets a canceled job finish rather than risk interrupting another', async () => {
    const proxy = await startProxyWithoutTaskApi(ctx.sim.url);
    const blind = createA1111Driver({ id: 'blind', url: proxy.url, timeouts: A1111_FAST_TIMEOUTS });
    try {
      const ok = txt2img({ prompt: 'x', seed: 3, steps: 20, width: 64, height: 64 }, blind);
      expect((await ok.result).files).toHaveLength(1);
      expect(ok.events.some((e) => e.type === 'progress')).toBe(true);
      const canceled = txt2img({ prompt: 'y', steps: 20, width: 64, height: 64 }, blind);
      await canceled.next((e) => e.type === 'progress');
      canceled.controller.abort();
      expect(await rejection(canceled.result)).toMatchObject({ code: 'CANCELED' });
      await until(() => task(canceled.promptId), (t) => t.completed === true);
      expect(await state()).toMatchObject({ interrupted: false, job_no: 1 });
    } finally {
      await blind.close();
      await proxy.close();
    }
  });
});
