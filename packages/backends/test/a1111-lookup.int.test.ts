import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectPng } from '@gantry/gpu-sim';
import { createA1111Driver, isOutputsUnrecoverable, isPromptUnknown, type A1111Driver, type A1111DriverOptions, type Txt2ImgParams } from '../src/index.js';
import { A1111_FAST_TIMEOUTS, simJson, startProxyWithout, startRun, until } from './a1111-fixtures.js';
import { downloadBytes, rejection, useSimAndDriver } from './sim-fixtures.js';

const ctx = useSimAndDriver((url) => createA1111Driver({ id: 'a1111-1', url, timeouts: A1111_FAST_TIMEOUTS }));

/** Another driver on the same backend: the worker that takes over. Closed after the test. */
const others: Array<{ close(): Promise<void> }> = [];
function otherDriver(url = ctx.sim.url, options: Partial<A1111DriverOptions> = {}): A1111Driver {
  const driver = createA1111Driver({ id: 'a1111-1', url, timeouts: A1111_FAST_TIMEOUTS, ...options });
  others.push(driver);
  return driver;
}
afterEach(async () => {
  await Promise.all(others.splice(0).map((d) => d.close()));
});

const txt2img = (params: Txt2ImgParams, d: A1111Driver = ctx.driver) => startRun((options) => d.runTxt2Img(params, options));
const follow = (d: A1111Driver, promptId: string) => startRun((options) => d.follow(promptId, { signal: options.signal, onEvent: options.onEvent }));
const task = (id: string) => simJson(ctx.sim.url, 'POST', '/internal/progress', { id_task: id });
const savedNames = (promptId: string) => readdir(join(ctx.sim.outputDir, 'txt2img-images', `gantry-${promptId}`));
const small = { width: 64, height: 64 };

describe('A1111 lookup', () => {
  it('collects a finished task’s saved images: the same pictures the lost reply carried', async () => {
    const run = txt2img({ prompt: 'a barn', seed: 1234, steps: 3, batch_size: 2, ...small });
    const result = await run.result;
    const taker = otherDriver();
    const status = await taker.lookup(run.promptId);
    expect(status).toEqual({
      state: 'succeeded',
      files: [
        { nodeId: 'txt2img', filename: '00000.png', subfolder: run.promptId, type: 'output' },
        { nodeId: 'txt2img', filename: '00001.png', subfolder: run.promptId, type: 'output' },
      ],
    });
    if (status.state !== 'succeeded') throw new Error('unreachable');
    for (const [i, file] of status.files.entries()) {
      const recovered = await downloadBytes(taker, file);
      expect(recovered.contentType).toBe('image/png');
      expect(recovered.data.equals((await downloadBytes(ctx.driver, result.files[i]!)).data)).toBe(true);
    }
    // Not held any more (a third driver): read back from the backend again.
    expect(inspectPng((await downloadBytes(otherDriver(), status.files[1]!)).data)).toMatchObject({ valid: true, width: 64, height: 64 });
    // The run's settings were overridden for that job only.
    expect(await simJson(ctx.sim.url, 'GET', '/sdapi/v1/options')).toMatchObject({ directories_filename_pattern: '[date]', samples_filename_pattern: '' });
  });

  it('tells a running task from a pending one, and does not know one it never got', async () => {
    ctx.sim.setFaults({ hang: 1 });
    const running = txt2img({ prompt: 'a', steps: 3, ...small });
    await running.next((e) => e.type === 'progress');
    const pending = txt2img({ prompt: 'b', steps: 3, ...small });
    await until(() => task(pending.promptId), (t) => t.queued === true);
    expect(await ctx.driver.lookup(running.promptId)).toEqual({ state: 'running' });
    expect(await ctx.driver.lookup(pending.promptId)).toEqual({ state: 'pending' });
    expect(await ctx.driver.lookup(randomUUID())).toEqual({ state: 'unknown' });
    ctx.sim.clearFaults();
    await simJson(ctx.sim.url, 'POST', '/sdapi/v1/interrupt');
    await Promise.allSettled([running.result, pending.result]);
  });

  it('reports a failed task as failed (its error is lost with the reply), until another task takes its place', async () => {
    ctx.sim.setFaults({ crashAfterSteps: 1 });
    const crashed = txt2img({ prompt: 'x', steps: 3, ...small });
    expect(await rejection(crashed.result)).toMatchObject({ code: 'EXECUTION_ERROR' });
    expect(await ctx.driver.lookup(crashed.promptId)).toEqual({ state: 'failed', error: expect.objectContaining({ code: 'EXECUTION_ERROR', retryable: true, details: { promptId: crashed.promptId, reason: 'error_lost' } }) });
    ctx.sim.clearFaults();
    await txt2img({ prompt: 'next', steps: 1, ...small }).result;
    expect(await ctx.driver.lookup(crashed.promptId)).toEqual({ state: 'unknown' });
  });

  it('says truthfully when a finished task’s images cannot be collected', async () => {
    // Interrupted: A1111 saves nothing of it.
    const stopped = txt2img({ prompt: 'x', steps: 150, ...small });
    await stopped.next((e) => e.type === 'progress');
    stopped.controller.abort();
    await rejection(stopped.result);
    await until(() => task(stopped.promptId), (t) => t.completed === true);
    expect(await ctx.driver.lookup(stopped.promptId)).toEqual({ state: 'unrecoverable', reason: expect.stringContaining('no saved images') });
    // Saving turned off.
    const unsaved = otherDriver(ctx.sim.url, { saveOutputs: false });
    const run = txt2img({ prompt: 'y', steps: 1, ...small }, unsaved);
    await run.result;
    const status = await ctx.driver.lookup(run.promptId);
    expect(status).toMatchObject({ state: 'unrecoverable' });
    expect(await rejection(follow(ctx.driver, run.promptId).result)).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'outputs_unrecoverable' } });
    // The web UI's file route is not there (e.g. behind a proxy that only passes the API).
    const saved = await txt2img({ prompt: 'z', steps: 1, ...small }).result;
    const proxy = await startProxyWithout(ctx.sim.url, ['/file=']);
    others.push(proxy);
    const blind = otherDriver(proxy.url);
    expect(await blind.lookup(saved.promptId)).toEqual({ state: 'unrecoverable', reason: expect.stringContaining('GET /file= answered 404') });
    expect(isOutputsUnrecoverable(await rejection(blind.follow(saved.promptId, { signal: new AbortController().signal, onEvent: () => undefined })))).toBe(true);
  });

  it('without the task API, trusts only saved images of an idle server, and otherwise cannot tell', async () => {
    const done = await txt2img({ prompt: 'x', steps: 1, ...small }).result;
    const proxy = await startProxyWithout(ctx.sim.url, ['/internal/']);
    others.push(proxy);
    const blind = otherDriver(proxy.url);
    expect(await blind.lookup(done.promptId)).toMatchObject({ state: 'succeeded', files: [{ filename: '00000.png' }] });
    expect(await rejection(blind.lookup(randomUUID()))).toMatchObject({ code: 'BACKEND_ERROR', retryable: false, details: { reason: 'lookup_unsupported' } });
  });

  it('throws BACKEND_UNAVAILABLE when the backend cannot be asked', async () => {
    const url = ctx.sim.url;
    await ctx.sim.close();
    const down = otherDriver(url);
    expect(await rejection(down.lookup(randomUUID()))).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    expect(await rejection(follow(down, randomUUID()).result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('A1111 follow', () => {
  it('takes over a running task of a driver that died: progress flows, its saved images come back, and it ran once', async () => {
    const lost = txt2img({ prompt: 'a lighthouse', seed: 7, steps: 40, batch_size: 2, ...small });
    await lost.next((e) => e.type === 'progress' && e.value >= 3);
    await ctx.driver.close(); // the worker dies; its request, and the reply with the images, go with it
    expect(await rejection(lost.result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });

    const taker = otherDriver();
    expect(await taker.lookup(lost.promptId)).toEqual({ state: 'running' });
    const followed = follow(taker, lost.promptId);
    const result = await followed.result;
    expect(result).toEqual({ promptId: lost.promptId, files: [0, 1].map((i) => ({ nodeId: 'txt2img', filename: `0000${i}.png`, subfolder: lost.promptId, type: 'output' })) });
    expect(followed.events[0]).toEqual({ type: 'started' });
    const steps = followed.events.flatMap((e) => (e.type === 'progress' ? [e.value] : []));
    expect(steps.length).toBeGreaterThan(3);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(followed.events.at(-1)).toEqual({ type: 'executed', node: 'txt2img', files: result.files });
    for (const file of result.files) expect(inspectPng((await downloadBytes(taker, file)).data)).toMatchObject({ valid: true, width: 64, height: 64 });
    // Ran once: one task, one folder of two images.
    expect(await task(lost.promptId)).toMatchObject({ completed: true });
    expect(await readdir(join(ctx.sim.outputDir, 'txt2img-images'))).toEqual([`gantry-${lost.promptId}`]);
    expect(await savedNames(lost.promptId)).toEqual(['00000.png', '00001.png']);
  });

  it('resolves at once for a finished task, rejects a failed one, and does not know one it never got', async () => {
    const done = await txt2img({ prompt: 'x', steps: 1, ...small }).result;
    const again = follow(otherDriver(), done.promptId);
    expect((await again.result).files).toEqual([{ nodeId: 'txt2img', filename: '00000.png', subfolder: done.promptId, type: 'output' }]);
    expect(again.events).toEqual([]);

    ctx.sim.setFaults({ oom: true });
    const oom = txt2img({ prompt: 'x', steps: 1, ...small });
    await rejection(oom.result);
    expect(await rejection(follow(otherDriver(), oom.promptId).result)).toMatchObject({ code: 'EXECUTION_ERROR', retryable: true, details: { reason: 'error_lost' } });

    const unknown = await rejection(follow(ctx.driver, randomUUID()).result);
    expect(isPromptUnknown(unknown)).toBe(true);
  });

  it('aborting a follow interrupts only that task; the next one, queued behind it, runs and is collected', async () => {
    const first = txt2img({ prompt: 'first', steps: 150, ...small });
    await first.next((e) => e.type === 'progress');
    // Long enough (about 1 s of 10 ms steps) that the follower's 20 ms polls see it run, however busy the machine.
    const second = txt2img({ prompt: 'second', steps: 100, ...small });
    await until(() => task(second.promptId), (t) => t.queued === true);
    await ctx.driver.close();
    await Promise.all([rejection(first.result), rejection(second.result)]);

    const taker = otherDriver();
    const followFirst = follow(taker, first.promptId);
    const followSecond = follow(taker, second.promptId);
    await followFirst.next((e) => e.type === 'progress');
    followFirst.controller.abort();
    expect(await rejection(followFirst.result)).toMatchObject({ code: 'CANCELED', details: { promptId: first.promptId } });
    const secondResult = await followSecond.result;
    expect(secondResult.files).toHaveLength(1);
    expect(followSecond.events.some((e) => e.type === 'progress')).toBe(true);
    // The interrupt hit the first task only: it saved nothing, the second its one image.
    expect(await task(first.promptId)).toMatchObject({ completed: true });
    expect(await readdir(join(ctx.sim.outputDir, 'txt2img-images'))).toEqual([`gantry-${second.promptId}`]);
  });
});
