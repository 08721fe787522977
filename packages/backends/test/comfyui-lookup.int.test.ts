import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createComfyUiDriver, isPromptUnknown, type ComfyUiDriver, type DriverEvent } from '../src/index.js';
import { FAST_TIMEOUTS, rejection, start, startRun, useSimAndDriver, workflow } from './sim-fixtures.js';

const ctx = useSimAndDriver((url) => createComfyUiDriver({ id: 'sim-1', url, timeouts: FAST_TIMEOUTS }));

/** A second driver on the same sim: the worker that takes over. Closed after the test. */
const others: ComfyUiDriver[] = [];
function otherDriver(url = ctx.sim.url): ComfyUiDriver {
  const driver = createComfyUiDriver({ id: 'sim-1', url, timeouts: FAST_TIMEOUTS });
  others.push(driver);
  return driver;
}
afterEach(async () => {
  await Promise.all(others.splice(0).map((d) => d.close()));
});

async function simJson(path: string): Promise<any> {
  return (await fetch(`${ctx.sim.url}${path}`, { signal: AbortSignal.timeout(5000) })).json();
}

/** Follows `promptId` with `driver`, recording events like startRun does. */
function follow(driver: ComfyUiDriver, promptId: string) {
  return startRun((options) => driver.follow(promptId, { signal: options.signal, onEvent: options.onEvent }));
}

describe('ComfyUI lookup', () => {
  it('reports a finished prompt with its outputs, a failed one with run()’s error, and an interrupted one', async () => {
    const ok = start(ctx.driver, workflow({ batch: 2 }));
    const result = await ok.result;
    expect(await otherDriver().lookup(ok.promptId)).toEqual({ state: 'succeeded', files: result.files });

    ctx.sim.setFaults({ crashAfterSteps: 1 });
    const crashed = start(ctx.driver, workflow({ seed: 2 }));
    const runError = await rejection(crashed.result);
    const failed = await ctx.driver.lookup(crashed.promptId);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'EXECUTION_ERROR', message: runError.message, details: runError.details } });
    ctx.sim.clearFaults();

    const stopped = start(ctx.driver, workflow({ seed: 3, steps: 300 }));
    await stopped.next((e) => e.type === 'progress');
    stopped.controller.abort();
    await rejection(stopped.result);
    expect(await ctx.driver.lookup(stopped.promptId)).toEqual({ state: 'interrupted' });
  });

  it('tells a running prompt from a pending one, and does not know one it never got', async () => {
    ctx.sim.setFaults({ hang: true });
    const running = start(ctx.driver, workflow({ seed: 1 }));
    await running.next((e) => e.type === 'executing' && e.node === '3');
    const pending = start(ctx.driver, workflow({ seed: 2 }));
    await waitForQueue((q) => q.queue_pending.length === 1);
    expect(await ctx.driver.lookup(running.promptId)).toEqual({ state: 'running' });
    expect(await ctx.driver.lookup(pending.promptId)).toEqual({ state: 'pending' });
    expect(await ctx.driver.lookup(randomUUID())).toEqual({ state: 'unknown' });
    pending.controller.abort();
    running.controller.abort();
    await Promise.all([rejection(pending.result), rejection(running.result)]);
    // Removed from the queue before it ran: the backend no longer knows it.
    expect(await ctx.driver.lookup(pending.promptId)).toEqual({ state: 'unknown' });
  });

  it('throws BACKEND_UNAVAILABLE when the backend cannot be asked', async () => {
    const url = ctx.sim.url;
    await ctx.sim.close();
    const down = otherDriver(url);
    expect(await rejection(down.lookup(randomUUID()))).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    expect(await rejection(down.follow(randomUUID(), { signal: new AbortController().signal, onEvent: () => undefined }))).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('ComfyUI follow', () => {
  it('takes over a running prompt of a driver that died: events flow, the same files come back, and it ran once', async () => {
    const lost = start(ctx.driver, workflow({ steps: 30, batch: 2 }));
    await lost.next((e) => e.type === 'progress' && e.value === 3);
    await ctx.driver.close(); // the worker dies; its prompt keeps running on the backend
    expect(await rejection(lost.result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });

    const taker = otherDriver();
    expect(await taker.lookup(lost.promptId)).toEqual({ state: 'running' });
    const followed = follow(taker, lost.promptId);
    const result = await followed.result;

    const entry = (await simJson(`/history/${lost.promptId}`))[lost.promptId];
    expect(result).toEqual({ promptId: lost.promptId, files: expect.any(Array) });
    expect(result.files).toEqual([
      { nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' },
      { nodeId: '9', filename: 'ComfyUI_00002_.png', subfolder: '', type: 'output' },
    ]);
    expect(entry.outputs['9'].images).toHaveLength(2);
    // Events: started (it was running already), the remaining sampler steps, then its output.
    expect(followed.events[0]).toEqual({ type: 'started' });
    const steps = followed.events.flatMap((e) => (e.type === 'progress' ? [e.value] : []));
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.at(-1)).toBe(30);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(followed.events).toContainEqual({ type: 'executed', node: '9', files: result.files });
    // Executed once: one execution_start in history, and only this batch's files on disk.
    expect(entry.status.messages.filter((m: [string]) => m[0] === 'execution_start')).toHaveLength(1);
    expect((await readdir(ctx.sim.outputDir)).sort()).toEqual(['ComfyUI_00001_.png', 'ComfyUI_00002_.png']);
    expect((await taker.download(result.files[1]!)).contentType).toBe('image/png');
    // The borrowed client id is given back once nothing is followed under it.
    await waitFor(() => !ctx.sim.clientIds().includes(ctx.driver.clientId));
  });

  it('takes over a pending prompt: it starts later, and all its events arrive', async () => {
    ctx.sim.setFaults({ hang: true });
    const blocker = start(ctx.driver, workflow({ seed: 1 }));
    await blocker.next((e) => e.type === 'executing' && e.node === '3');
    const lost = start(ctx.driver, workflow({ seed: 2, steps: 4 }));
    await waitForQueue((q) => q.queue_pending.length === 1);
    await ctx.driver.close();
    await Promise.all([rejection(blocker.result), rejection(lost.result)]);

    const taker = otherDriver();
    const followed = follow(taker, lost.promptId);
    expect(await taker.lookup(lost.promptId)).toEqual({ state: 'pending' });
    await waitFor(() => ctx.sim.clientIds().includes(ctx.driver.clientId)); // the follower listens under the dead driver's id
    ctx.sim.clearFaults();
    await taker.interrupt(blocker.promptId);
    const result = await followed.result;
    expect(result.files).toHaveLength(1);
    // It started after the follower listened, so nothing was missed: start to output, every step.
    expect(followed.events[0]).toEqual({ type: 'started' });
    expect(followed.events[1]).toMatchObject({ type: 'cached' });
    expect(followed.events.flatMap((e) => (e.type === 'progress' ? [e.value] : []))).toEqual([1, 2, 3, 4]);
    expect(followed.events.at(-1)).toEqual({ type: 'executed', node: '9', files: result.files });
  });

  it('resolves at once from history for a prompt that already finished, and rejects like run() for a failed one', async () => {
    const done = await start(ctx.driver, workflow()).result;
    const taker = otherDriver();
    const again = follow(taker, done.promptId);
    expect(await again.result).toEqual({ promptId: done.promptId, files: done.files });
    expect(again.events).toEqual([]);
    expect(ctx.sim.clientIds()).not.toContain(taker.clientId); // nothing to listen to

    ctx.sim.setFaults({ oom: true });
    const oom = start(ctx.driver, workflow({ seed: 9 }));
    const runError = await rejection(oom.result);
    const followError = await rejection(follow(taker, oom.promptId).result);
    expect(followError).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true, message: runError.message });
  });

  it('rejects a prompt the backend does not know as prompt_unknown, and a second follower of the same prompt as CONFLICT', async () => {
    const unknown = await rejection(follow(ctx.driver, randomUUID()).result);
    expect(unknown).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'prompt_unknown' } });
    expect(isPromptUnknown(unknown)).toBe(true);

    const running = start(ctx.driver, workflow({ steps: 50 }));
    await running.next((e) => e.type === 'progress');
    expect(await rejection(follow(ctx.driver, running.promptId).result)).toMatchObject({ code: 'CONFLICT' });
    expect((await running.result).files).toHaveLength(1);
  });

  it('aborting a follow interrupts only that prompt; the others of the dead driver run on', async () => {
    const first = start(ctx.driver, workflow({ seed: 1, steps: 300 }));
    const second = start(ctx.driver, workflow({ seed: 2, steps: 3 }));
    await first.next((e) => e.type === 'progress');
    await ctx.driver.close();
    await Promise.all([rejection(first.result), rejection(second.result)]);

    const taker = otherDriver();
    const followFirst = follow(taker, first.promptId);
    const followSecond = follow(taker, second.promptId);
    await followFirst.next((e) => e.type === 'progress');
    followFirst.controller.abort();
    expect(await rejection(followFirst.result)).toMatchObject({ code: 'CANCELED', details: { promptId: first.promptId } });
    expect((await simJson(`/history/${first.promptId}`))[first.promptId].status.messages.at(-1)[0]).toBe('execution_interrupted');
    // The second prompt was not touched: it runs next, and its follower collects it.
    const secondResult = await followSecond.result;
    expect(secondResult.files).toHaveLength(1);
    expect(followSecond.events.some((e: DriverEvent) => e.type === 'progress')).toBe(true);
    expect(await taker.lookup(second.promptId)).toEqual({ state: 'succeeded', files: secondResult.files });
  });

  it('follows a prompt submitted without a client id by polling history', async () => {
    const promptId = randomUUID();
    const res = await fetch(`${ctx.sim.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: workflow({ steps: 20 }), prompt_id: promptId }) });
    expect(res.status).toBe(200);
    const followed = follow(ctx.driver, promptId);
    const result = await followed.result;
    expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
    // Sampler progress is broadcast for such prompts, so it still reaches the follower.
    expect(followed.events.some((e) => e.type === 'progress')).toBe(true);
  });
});

/** Polls `/queue` until `predicate` holds (bounded). */
async function waitForQueue(predicate: (q: { queue_running: unknown[]; queue_pending: unknown[] }) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate(await simJson('/queue'))) {
    if (Date.now() > deadline) throw new Error('queue condition not met');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
