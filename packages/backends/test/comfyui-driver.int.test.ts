import { readdir } from 'node:fs/promises';
import { AppError } from '@gantry/domain';
import { inspectPng, startGpuSim } from '@gantry/gpu-sim';
import { ComfyHttpClient } from '../src/comfyui/http-client.js';
import { createComfyUiDriver } from '../src/index.js';
import { FAST_TIMEOUTS, downloadBytes, rejection, start, useSimAndDriver, workflow } from './sim-fixtures.js';

const ctx = useSimAndDriver((url) => createComfyUiDriver({ id: 'sim-1', url, timeouts: FAST_TIMEOUTS }));

async function history(promptId: string): Promise<any> {
  return ((await (await fetch(`${ctx.sim.url}/history/${promptId}`)).json()) as Record<string, unknown>)[promptId];
}

describe('ComfyUI driver against gpu-sim', () => {
  it('runs a workflow with progress events and returns outputs that download as valid PNGs', async () => {
    const run = start(ctx.driver, workflow({ steps: 5, batch: 2 }));
    const result = await run.result;
    expect(result.promptId).toBe(run.promptId);
    expect(run.events[0]).toEqual({ type: 'started' });
    expect(run.events[1]).toEqual({ type: 'cached', nodes: [] });
    expect(run.events.filter((e) => e.type === 'progress')).toEqual([1, 2, 3, 4, 5].map((value) => ({ type: 'progress', node: '3', value, max: 5 })));
    expect(run.events.filter((e) => e.type === 'executing').map((e) => e.type === 'executing' && e.node).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    const executed = run.events.find((e) => e.type === 'executed');
    expect(executed).toEqual({ type: 'executed', node: '9', files: result.files });
    expect(result.files).toEqual([
      { nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' },
      { nodeId: '9', filename: 'ComfyUI_00002_.png', subfolder: '', type: 'output' },
    ]);
    expect(result.nodeErrors).toBeUndefined();
    const downloads = await Promise.all(result.files.map((f) => downloadBytes(ctx.driver, f)));
    for (const file of downloads) {
      expect(file.contentType).toBe('image/png');
      expect(inspectPng(file.data)).toMatchObject({ width: 64, height: 48, bitDepth: 8, colourType: 2, valid: true });
    }
    // Two images of one batch differ.
    expect(downloads[0]!.data.equals(downloads[1]!.data)).toBe(false);
  });

  it('streams a download and cuts it past maxDownloadBytes with BACKEND_ERROR (not retryable)', async () => {
    const result = await start(ctx.driver, workflow({ steps: 1 })).result;
    const whole = await downloadBytes(ctx.driver, result.files[0]!);
    const small = createComfyUiDriver({ id: 'small', url: ctx.sim.url, timeouts: FAST_TIMEOUTS, maxDownloadBytes: whole.data.length - 1 });
    try {
      const error = await rejection(downloadBytes(small, result.files[0]!));
      expect(error).toMatchObject({ code: 'BACKEND_ERROR', retryable: false, details: { limit: whole.data.length - 1 } });
      const exact = createComfyUiDriver({ id: 'exact', url: ctx.sim.url, timeouts: FAST_TIMEOUTS, maxDownloadBytes: whole.data.length });
      expect((await downloadBytes(exact, result.files[0]!)).data.equals(whole.data)).toBe(true);
      await exact.close();
      await expect(small.download({ nodeId: '9', filename: 'missing.png', subfolder: '', type: 'output' })).rejects.toMatchObject({ code: 'BACKEND_ERROR', details: { status: 404 } });
    } finally {
      await small.close();
    }
  });

  it('routes events by prompt id when several prompts share the backend', async () => {
    const runs = [3, 4, 5].map((steps) => start(ctx.driver, workflow({ steps, seed: steps })));
    const results = await Promise.all(runs.map((r) => r.result));
    runs.forEach((run, i) => {
      const progress = run.events.filter((e) => e.type === 'progress');
      expect(progress.map((e) => e.type === 'progress' && e.max)).toEqual(Array(3 + i).fill(3 + i));
      expect(results[i]!.promptId).toBe(run.promptId);
    });
    expect(new Set(results.map((r) => r.files[0]!.filename)).size).toBe(3);
  });

  it('logs through a pino-style logger with the backend id bound', async () => {
    const lines: Array<[string, object, string | undefined]> = [];
    const record = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
    const logged = createComfyUiDriver({ id: 'logged', url: ctx.sim.url, timeouts: FAST_TIMEOUTS, logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') } });
    try {
      const wf = { ...workflow(), '10': { class_type: 'PreviewImage', inputs: { images: ['8', 3] } } };
      await start(logged, wf).result;
      expect(lines).toContainEqual(['warn', expect.objectContaining({ backend: 'logged', nodeErrors: expect.any(Object) }), expect.stringContaining('failed validation')]);
    } finally {
      await logged.close();
    }
  });

  it('rejects an invalid workflow with WORKFLOW_INVALID and node_errors, never retryable, nothing queued', async () => {
    const error = await rejection(start(ctx.driver, workflow({ steps: 0 })).result);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'WORKFLOW_INVALID', retryable: false });
    expect(error.details).toMatchObject({
      error: { type: 'prompt_outputs_failed_validation' },
      node_errors: { '3': { class_type: 'KSampler', errors: [{ type: 'value_smaller_than_min', details: 'steps' }] } },
    });
    const unknownNode = { ...workflow(), '99': { class_type: 'IPAdapterAdvanced', inputs: {} } };
    expect(await rejection(start(ctx.driver, unknownNode).result)).toMatchObject({ code: 'WORKFLOW_INVALID', details: { error: { type: 'invalid_prompt' } } });
    expect(await (await fetch(`${ctx.sim.url}/history`)).json()).toEqual({});
  });

  it('accepts a workflow whose other outputs failed validation, and reports their node_errors', async () => {
    const wf = { ...workflow(), '10': { class_type: 'PreviewImage', inputs: { images: ['8', 3] } } };
    const result = await start(ctx.driver, wf).result;
    expect(result.files.map((f) => f.nodeId)).toEqual(['9']);
    expect(result.nodeErrors).toMatchObject({ '10': { class_type: 'PreviewImage', dependent_outputs: ['10'] } });
  });

  it('cancels a running prompt through the abort signal: interrupt, then CANCELED', async () => {
    const run = start(ctx.driver, workflow({ steps: 300 }));
    await run.next((e) => e.type === 'progress');
    const abortedAt = Date.now();
    run.controller.abort();
    const error = await rejection(run.result);
    expect(error).toMatchObject({ code: 'CANCELED', retryable: false, details: { promptId: run.promptId } });
    expect(Date.now() - abortedAt).toBeLessThan(FAST_TIMEOUTS.cancelGraceMs);
    const entry = await history(run.promptId);
    expect(entry.status.messages.at(-1)[0]).toBe('execution_interrupted');
    // The GPU is free again.
    expect((await start(ctx.driver, workflow({ seed: 5 })).result).files).toHaveLength(1);
  });

  it('cancels a pending prompt by removing it from the queue, and never submits an already aborted run', async () => {
    ctx.sim.setFaults({ hang: true });
    const blocker = start(ctx.driver, workflow({ seed: 1 }));
    await blocker.next((e) => e.type === 'executing' && e.node === '3');
    const pending = start(ctx.driver, workflow({ seed: 2 }));
    // Until the sim has it queued behind the blocker (bounded), so the abort must remove it.
    const pendingCount = async () => ((await (await fetch(`${ctx.sim.url}/queue`)).json()) as { queue_pending: unknown[][] }).queue_pending.length;
    for (let i = 0; i < 500 && (await pendingCount()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    pending.controller.abort();
    expect(await rejection(pending.result)).toMatchObject({ code: 'CANCELED' });
    const queue = (await (await fetch(`${ctx.sim.url}/queue`)).json()) as { queue_pending: unknown[][] };
    expect(queue.queue_pending).toEqual([]);
    blocker.controller.abort();
    expect(await rejection(blocker.result)).toMatchObject({ code: 'CANCELED' });

    const controller = new AbortController();
    controller.abort();
    const error = await rejection(ctx.driver.run(workflow(), { promptId: 'never', signal: controller.signal, onEvent: () => undefined }));
    expect(error).toMatchObject({ code: 'CANCELED' });
    expect(await history('never')).toBeUndefined();
  });

  it('returns a fully cached re-run’s outputs without writing a file', async () => {
    const first = await start(ctx.driver, workflow()).result;
    const again = start(ctx.driver, workflow());
    const second = await again.result;
    expect(second.files).toEqual(first.files);
    expect(again.events).toContainEqual({ type: 'cached', nodes: ['3', '4', '5', '6', '7', '8', '9'] });
    expect(again.events.some((e) => e.type === 'progress')).toBe(false);
    expect(await readdir(ctx.sim.outputDir)).toEqual(['ComfyUI_00001_.png']);
  });

  describe('settling without GET /history', () => {
    const historyReads = (): jest.SpyInstance => jest.spyOn(ComfyHttpClient.prototype, 'historyEntry');
    afterEach(() => jest.restoreAllMocks());

    it('takes the outputs the socket named when it watched the whole run, also with cached nodes it saw run without a UI', async () => {
      const reads = historyReads();
      const first = start(ctx.driver, workflow({ seed: 1 }));
      const firstResult = await first.result;
      // The loaders of the next run are cached: it re-runs only the sampler, the decoder and SaveImage.
      const second = start(ctx.driver, workflow({ seed: 2 }));
      const secondResult = await second.result;
      expect(second.events).toContainEqual({ type: 'cached', nodes: ['4', '5', '6', '7'] });
      // A fully cached re-run: every node cached, SaveImage re-sends its UI.
      const third = await start(ctx.driver, workflow({ seed: 2 })).result;
      expect(reads).not.toHaveBeenCalled();
      expect(firstResult.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
      expect(secondResult.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00002_.png', subfolder: '', type: 'output' }]);
      expect(third.files).toEqual(secondResult.files);
      // The same files as the backend's history lists.
      for (const [run, result] of [[first, firstResult], [second, secondResult]] as const) {
        expect(await ctx.driver.lookup(run.promptId)).toEqual({ state: 'succeeded', files: result.files });
      }
    });

    it('reads /history when a cached node’s class is unknown to the driver, and learns from it for the next runs', async () => {
      await start(ctx.driver, workflow({ seed: 1 })).result; // warms the sim's cache
      const fresh = createComfyUiDriver({ id: 'sim-fresh', url: ctx.sim.url, timeouts: FAST_TIMEOUTS });
      try {
        const reads = historyReads();
        const run = start(fresh, workflow({ seed: 2 }));
        const result = await run.result;
        expect(run.events).toContainEqual({ type: 'cached', nodes: ['4', '5', '6', '7'] });
        expect(reads).toHaveBeenCalledWith(run.promptId);
        expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00002_.png', subfolder: '', type: 'output' }]);
        // Its history listed no UI for the cached loaders: the next run with them cached needs none.
        reads.mockClear();
        const next = await start(fresh, workflow({ seed: 3 })).result;
        expect(reads).not.toHaveBeenCalled();
        expect(next.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00003_.png', subfolder: '', type: 'output' }]);
      } finally {
        await fresh.close();
      }
    });

    it('reads /history when the socket dropped during the run, even after it reconnected', async () => {
      const reads = historyReads();
      ctx.sim.setFaults({ dropSocketAtStep: 2 });
      const run = start(ctx.driver, workflow({ steps: 30 }));
      const result = await run.result;
      expect(reads).toHaveBeenCalledWith(run.promptId);
      expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
      expect(await ctx.driver.lookup(run.promptId)).toEqual({ state: 'succeeded', files: result.files });
    });

    it('reads /history when a frame on the socket could not be read (a NaN in a node UI), and still names the files', async () => {
      const reads = historyReads();
      ctx.sim.setFaults({ nanInSocketUi: true });
      const run = start(ctx.driver, workflow({ seed: 4 }));
      const result = await run.result;
      expect(reads).toHaveBeenCalledWith(run.promptId);
      expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
    });
  });

  it('lets a run go on past an ExecutionBlocked message (not an error of the prompt)', async () => {
    ctx.sim.setFaults({ blockedMessage: true });
    const result = await start(ctx.driver, workflow({ seed: 5 })).result;
    expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
  });

  it('maps an OOM to a retryable OUT_OF_MEMORY and other failures to EXECUTION_ERROR', async () => {
    ctx.sim.setFaults({ oom: true });
    const oom = await rejection(start(ctx.driver, workflow()).result);
    expect(oom).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true, details: { exceptionType: 'torch.OutOfMemoryError', nodeId: '3', nodeType: 'KSampler' } });
    ctx.sim.setFaults({ oom: undefined, crashAfterSteps: 2 });
    const crash = start(ctx.driver, workflow({ seed: 9 }));
    expect(await rejection(crash.result)).toMatchObject({ code: 'EXECUTION_ERROR', retryable: false, details: { exceptionType: 'RuntimeError' } });
    expect(crash.events.filter((e) => e.type === 'progress')).toHaveLength(2);
  });

  it('reconnects after a dropped socket mid-run and still completes the run', async () => {
    ctx.sim.setFaults({ dropSocketAtStep: 2 });
    const run = start(ctx.driver, workflow({ steps: 30 }));
    const result = await run.result;
    expect(result.files).toHaveLength(1);
    expect(ctx.sim.clientIds()).toContain(ctx.driver.clientId);
  });

  it('reconciles through /history when the prompt finished while the socket was down', async () => {
    const slowReconnect = createComfyUiDriver({ id: 'sim-slow', url: ctx.sim.url, timeouts: { ...FAST_TIMEOUTS, reconnectMinMs: 2000, reconnectMaxMs: 2000 } });
    try {
      ctx.sim.setFaults({ dropSocketAtStep: 1 });
      const run = start(slowReconnect, workflow({ steps: 3 }));
      const result = await run.result;
      // Finished well before the socket could come back: only the poll can have seen it.
      expect(run.events.some((e) => e.type === 'executed')).toBe(false);
      expect(result.files).toEqual([{ nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }]);
    } finally {
      await slowReconnect.close();
    }
  });

  it('fails BACKEND_UNAVAILABLE (retryable) when the backend is down or goes down mid-run', async () => {
    ctx.sim.setFaults({ hang: 2 });
    const run = start(ctx.driver, workflow());
    await run.next((e) => e.type === 'progress' && e.value === 2);
    await ctx.sim.close();
    const midRun = await rejection(run.result);
    expect(midRun).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });

    const down = createComfyUiDriver({ id: 'down', url: ctx.sim.url, timeouts: FAST_TIMEOUTS });
    try {
      expect(await rejection(start(down, workflow()).result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
      await expect(down.download({ nodeId: '9', filename: 'x.png', subfolder: '', type: 'output' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });

  it('fails BACKEND_UNAVAILABLE when the socket comes back but the backend cannot be asked past the grace', async () => {
    ctx.sim.setFaults({ hang: 2 });
    const run = start(ctx.driver, workflow());
    await run.next((e) => e.type === 'progress' && e.value === 2);
    ctx.sim.setFaults({ httpErrorStatus: 500 });
    ctx.sim.dropSockets(); // reconnects at once; what it missed can only be asked over HTTP
    expect(await rejection(run.result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
  });

  it('fails BACKEND_UNAVAILABLE when a restarted backend no longer knows the prompt', async () => {
    ctx.sim.setFaults({ hang: true });
    const run = start(ctx.driver, workflow());
    await run.next((e) => e.type === 'executing' && e.node === '3');
    const { port } = ctx.sim;
    await ctx.sim.close();
    ctx.sim = await startGpuSim({ stepMs: 10, port });
    expect(await rejection(run.result)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true, message: expect.stringContaining('no longer knows') });
  });

  it('reports a prompt interrupted by someone else as a retryable BACKEND_ERROR', async () => {
    ctx.sim.setFaults({ hang: 1 });
    const run = start(ctx.driver, workflow());
    await run.next((e) => e.type === 'progress');
    await fetch(`${ctx.sim.url}/interrupt`, { method: 'POST' });
    expect(await rejection(run.result)).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'interrupted' } });
  });

  it('delivers previews from binary frames and survives a throwing onEvent', async () => {
    const previewSim = await startGpuSim({ stepMs: 10, previews: true });
    const previewDriver = createComfyUiDriver({ id: 'previews', url: previewSim.url, timeouts: FAST_TIMEOUTS });
    try {
      const run = start(previewDriver, workflow({ steps: 3 }), () => {
        throw new Error('listener bug');
      });
      const result = await run.result;
      expect(result.files).toHaveLength(1);
      const previews = run.events.filter((e) => e.type === 'preview');
      expect(previews).toHaveLength(3);
      for (const preview of previews) {
        expect(preview).toMatchObject({ node: '3', mime: 'image/png' });
        if (preview.type === 'preview') expect(inspectPng(preview.data).valid).toBe(true);
      }
    } finally {
      await previewDriver.close();
      await previewSim.close();
    }
  });
});
