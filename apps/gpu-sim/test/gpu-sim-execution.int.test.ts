import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { startGpuSim } from '../src/index.js';
import { call, waitForHistory } from './sim-client.js';
import { base, useGpuSim } from './sim-fixture.js';
import { smallWorkflow, WsRecorder, type Received } from './ws-recorder.js';

const ctx = useGpuSim();
const { sockets } = ctx;

async function connect(clientId: string, target = ctx.sim): Promise<WsRecorder> {
  const recorder = await WsRecorder.connect(`${target.wsUrl}?clientId=${clientId}`);
  sockets.push(recorder);
  return recorder;
}

const isEnd = (promptId: string) => (m: Received) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId;

async function submit(body: Record<string, unknown>, target = ctx.sim): Promise<any> {
  const reply = await call(target, 'POST', '/prompt', body);
  expect(reply.status).toBe(200);
  return reply.json;
}

describe('gpu-sim execution', () => {
  it('runs a prompt with ComfyUI’s message sequence, sent to its client only', async () => {
    const owner = await connect('owner');
    const bystander = await connect('bystander');
    expect(await submit({ prompt: smallWorkflow(base, { steps: 4 }), client_id: 'owner', prompt_id: 'p1' })).toEqual({ prompt_id: 'p1', number: 0, node_errors: {} });
    await owner.waitFor(isEnd('p1'));
    const events = owner.forPrompt('p1');
    const types = events.map((m) => m.type);
    expect(types.slice(0, 2)).toEqual(['execution_start', 'execution_cached']);
    expect(types.slice(-2)).toEqual(['execution_success', 'executing']);
    expect(events.filter((m) => m.type === 'executing' && m.data.node !== null).map((m) => m.data.node).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(events.find((m) => m.type === 'executing')!.data).toEqual({ node: expect.any(String), display_node: expect.any(String), prompt_id: 'p1' });
    expect(events.filter((m) => m.type === 'progress').map((m) => m.data)).toEqual([1, 2, 3, 4].map((value) => ({ value, max: 4, prompt_id: 'p1', node: '3' })));
    const executed = events.find((m) => m.type === 'executed')!;
    expect(executed.data).toEqual({ node: '9', display_node: '9', output: { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] }, prompt_id: 'p1' });
    expect(typeof events[0]!.data.timestamp).toBe('number');
    // Targeted events never reach another client; queue status is broadcast to all.
    expect(bystander.forPrompt('p1')).toEqual([]);
    expect(bystander.messages.filter((m) => m.type === 'status').length).toBeGreaterThanOrEqual(3);

    const entry = await waitForHistory(ctx.sim, 'p1');
    expect(entry.status.status_str).toBe('success');
    expect(entry.status.completed).toBe(true);
    expect(entry.status.messages.map((m: [string]) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    expect(entry.outputs).toEqual({ '9': executed.data.output });
    expect(entry.prompt.slice(0, 2)).toEqual([0, 'p1']);
    expect(entry.prompt[3]).toEqual({ client_id: 'owner' });
    expect(entry.prompt[4]).toEqual(['9']);
    expect(entry.meta['9']).toEqual({ node_id: '9', display_node: '9', parent_node: null, real_node_id: '9' });
  });

  it('broadcasts progress of a prompt without client_id but sends no executing events', async () => {
    const listener = await connect('listener');
    await submit({ prompt: smallWorkflow(base, { steps: 3 }), prompt_id: 'anon' });
    await waitForHistory(ctx.sim, 'anon');
    const types = listener.forPrompt('anon').map((m) => m.type);
    expect(types).toEqual(['progress', 'progress', 'progress']);
  });

  it('caches like ComfyUI: an identical re-run executes nothing and writes no file', async () => {
    const client = await connect('c');
    const wf = smallWorkflow(base);
    await submit({ prompt: wf, client_id: 'c', prompt_id: 'first' });
    await client.waitFor(isEnd('first'));
    await submit({ prompt: wf, client_id: 'c', prompt_id: 'again' });
    await client.waitFor(isEnd('again'));
    const again = client.forPrompt('again');
    expect(again.find((m) => m.type === 'execution_cached')!.data.nodes).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(again.filter((m) => m.type === 'progress' || (m.type === 'executing' && m.data.node !== null))).toEqual([]);
    expect(again.filter((m) => m.type === 'executed').map((m) => m.data.output)).toEqual([{ images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] }]);
    expect(await readdir(ctx.sim.outputDir)).toEqual(['ComfyUI_00001_.png']);
    expect((await waitForHistory(ctx.sim, 'again')).outputs['9'].images[0].filename).toBe('ComfyUI_00001_.png');

    // A new seed re-runs the sampler and everything after it, but not the loaders.
    await submit({ prompt: smallWorkflow(base, { seed: 7 }), client_id: 'c', prompt_id: 'reseeded' });
    await client.waitFor(isEnd('reseeded'));
    const reseeded = client.forPrompt('reseeded');
    expect(reseeded.find((m) => m.type === 'execution_cached')!.data.nodes).toEqual(['4', '5', '6', '7']);
    expect(reseeded.filter((m) => m.type === 'executing' && m.data.node !== null).map((m) => m.data.node)).toEqual(['3', '8', '9']);
    expect((await readdir(ctx.sim.outputDir)).sort()).toEqual(['ComfyUI_00001_.png', 'ComfyUI_00002_.png']);
  });

  it('orders the queue by number (front first), deletes pending prompts and honours targeted interrupts', async () => {
    const client = await connect('q');
    ctx.sim.setFaults({ hang: true });
    await submit({ prompt: smallWorkflow(base, { seed: 1 }), client_id: 'q', prompt_id: 'hung' });
    await client.waitFor((m) => m.type === 'executing' && m.data.node === '3' && m.data.prompt_id === 'hung');
    await submit({ prompt: smallWorkflow(base, { seed: 2 }), client_id: 'q', prompt_id: 'late', number: 10 });
    await submit({ prompt: smallWorkflow(base, { seed: 3 }), client_id: 'q', prompt_id: 'normal' });
    await submit({ prompt: smallWorkflow(base, { seed: 4 }), client_id: 'q', prompt_id: 'urgent', front: true });
    await submit({ prompt: smallWorkflow(base, { seed: 5 }), client_id: 'q', prompt_id: 'dropped' });
    const queue = (await call(ctx.sim, 'GET', '/queue')).json;
    expect(queue.queue_running.map((item: unknown[]) => item[1])).toEqual(['hung']);
    expect(queue.queue_pending.map((item: unknown[]) => [item[1], item[0]])).toEqual([['urgent', -2], ['normal', 1], ['dropped', 3], ['late', 10]]);
    expect((await call(ctx.sim, 'GET', '/prompt')).json.exec_info.queue_remaining).toBe(5);

    await call(ctx.sim, 'POST', '/queue', { delete: ['dropped'] });
    await call(ctx.sim, 'POST', '/interrupt', { prompt_id: 'not-running' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call(ctx.sim, 'GET', '/queue')).json.queue_running.map((item: unknown[]) => item[1])).toEqual(['hung']);

    ctx.sim.clearFaults();
    await call(ctx.sim, 'POST', '/interrupt', { prompt_id: 'hung' });
    const interrupted = await client.waitFor((m) => m.type === 'execution_interrupted');
    expect(interrupted.data).toMatchObject({ prompt_id: 'hung', node_id: '3', node_type: 'KSampler', executed: expect.arrayContaining(['4', '5']) });
    await client.waitFor(isEnd('late'));
    const starts = client.messages.filter((m) => m.type === 'execution_start').map((m) => m.data.prompt_id);
    expect(starts).toEqual(['hung', 'urgent', 'normal', 'late']);
    const hung = await waitForHistory(ctx.sim, 'hung');
    expect(hung.status).toMatchObject({ status_str: 'error', completed: false });
    expect(hung.status.messages.at(-1)[0]).toBe('execution_interrupted');
  });

  it('clears the pending queue and interrupts globally without a body', async () => {
    ctx.sim.setFaults({ hang: 1 });
    await submit({ prompt: smallWorkflow(base, { seed: 1 }), prompt_id: 'a' });
    for (let i = 0; i < 100 && (await call(ctx.sim, 'GET', '/queue')).json.queue_running.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    await submit({ prompt: smallWorkflow(base, { seed: 2 }), prompt_id: 'b' });
    await call(ctx.sim, 'POST', '/queue', { clear: true });
    expect((await call(ctx.sim, 'GET', '/queue')).json).toEqual({ queue_running: [expect.arrayContaining(['a'])], queue_pending: [] });
    // An interrupt that arrives before the prompt starts would be discarded, as in ComfyUI.
    const interrupt = await fetch(`${ctx.sim.url}/interrupt`, { method: 'POST' });
    expect(interrupt.status).toBe(200);
    expect((await waitForHistory(ctx.sim, 'a')).status.messages.at(-1)[0]).toBe('execution_interrupted');
    expect((await call(ctx.sim, 'GET', '/history/b')).json).toEqual({});
  });

  it.each([
    [{ oom: true }, 'torch.OutOfMemoryError', /out of memory/i, 0],
    [{ failRate: 1 }, 'RuntimeError', /failRate/, 0],
    [{ crashAfterSteps: 2 }, 'RuntimeError', /after 2 sampler steps/, 2],
  ])('fault %j ends the prompt with execution_error', async (faults, exceptionType, message, progressCount) => {
    const client = await connect('f');
    ctx.sim.setFaults(faults);
    await submit({ prompt: smallWorkflow(base), client_id: 'f', prompt_id: 'bad' });
    await client.waitFor(isEnd('bad'));
    const events = client.forPrompt('bad');
    expect(events.filter((m) => m.type === 'progress')).toHaveLength(progressCount);
    expect(events.map((m) => m.type)).not.toContain('execution_success');
    const error = events.find((m) => m.type === 'execution_error')!.data;
    expect(error).toMatchObject({ prompt_id: 'bad', node_id: '3', node_type: 'KSampler', exception_type: exceptionType, traceback: expect.any(Array), current_outputs: [] });
    expect(error.exception_message).toMatch(message);
    expect(error.current_inputs).toMatchObject({ seed: [42], steps: [4] });
    expect((await waitForHistory(ctx.sim, 'bad')).status).toMatchObject({ status_str: 'error', completed: false });
  });

  it('raises OOM by itself when the latent does not fit the simulated VRAM', async () => {
    await submit({ prompt: smallWorkflow(base, { width: 8192, height: 8192 }), prompt_id: 'huge' });
    const entry = await waitForHistory(ctx.sim, 'huge');
    expect(entry.status.messages.at(-1)).toEqual(['execution_error', expect.objectContaining({ exception_type: 'torch.OutOfMemoryError' })]);
  });

  it('drops sockets on demand and at a sampler step, and the prompt still completes', async () => {
    const client = await connect('d');
    ctx.sim.setFaults({ dropSocketAtStep: 2 });
    await submit({ prompt: smallWorkflow(base), client_id: 'd', prompt_id: 'dropped' });
    await client.whenClosed();
    expect((await waitForHistory(ctx.sim, 'dropped')).status.status_str).toBe('success');
    const other = await connect('e');
    ctx.sim.dropSockets();
    await other.whenClosed();
  });

  it('tells a reconnecting owner which node is executing (no prompt_id)', async () => {
    const first = await connect('owner');
    ctx.sim.setFaults({ hang: true });
    await submit({ prompt: smallWorkflow(base), client_id: 'owner', prompt_id: 'long' });
    await first.waitFor((m) => m.type === 'executing' && m.data.node === '3');
    await first.close();
    const second = await connect('owner');
    expect(second.messages[1]).toEqual({ type: 'executing', data: { node: '3' } });
    await call(ctx.sim, 'POST', '/interrupt', {});
    await second.waitFor(isEnd('long'));
  });

  it('sends type-4 previews to clients that negotiated them and type-1 to others', async () => {
    const previewSim = await startGpuSim({ stepMs: 5, previews: true });
    try {
      const modern = await connect('modern', previewSim);
      modern.send({ type: 'feature_flags', data: { supports_preview_metadata: true } });
      await modern.waitFor((m) => m.type === 'feature_flags');
      const legacy = await connect('legacy', previewSim);
      await submit({ prompt: smallWorkflow(base, { steps: 2 }), client_id: 'modern', prompt_id: 'm' }, previewSim);
      await submit({ prompt: smallWorkflow(base, { steps: 2, seed: 9 }), client_id: 'legacy', prompt_id: 'l' }, previewSim);
      await legacy.waitFor(isEnd('l'));
      expect(modern.binary).toHaveLength(2);
      const frame = modern.binary[0]!;
      expect(frame.readUInt32BE(0)).toBe(4);
      const metaLength = frame.readUInt32BE(4);
      expect(JSON.parse(frame.subarray(8, 8 + metaLength).toString())).toMatchObject({ prompt_id: 'm', node_id: '3', image_type: 'image/png' });
      expect(frame.subarray(8 + metaLength, 12 + metaLength).toString('latin1')).toBe('\x89PNG');
      expect(legacy.binary).toHaveLength(2);
      expect([legacy.binary[0]!.readUInt32BE(0), legacy.binary[0]!.readUInt32BE(4)]).toEqual([1, 2]);
    } finally {
      await Promise.all(sockets.splice(0).map((s) => s.close()));
      await previewSim.close();
    }
  });

  it('fails a SaveImage prefix that escapes the output folder', async () => {
    const wf = smallWorkflow(base);
    wf['9']!.inputs.filename_prefix = '../../evil';
    await submit({ prompt: wf, prompt_id: 'evil' });
    const last = (await waitForHistory(ctx.sim, 'evil')).status.messages.at(-1);
    expect(last[0]).toBe('execution_error');
    expect(last[1]).toMatchObject({ node_id: '9', exception_type: 'Exception', exception_message: expect.stringContaining('outside the output folder') });
  });

  it('closes promptly in the middle of a prompt, writing nothing afterwards', async () => {
    const busy = await startGpuSim({ stepMs: 5 });
    const client = await connect('busy', busy);
    await submit({ prompt: smallWorkflow(base, { steps: 1000 }), client_id: 'busy', prompt_id: 'long' }, busy);
    await client.waitFor((m) => m.type === 'progress');
    const started = Date.now();
    await busy.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await client.whenClosed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(busy.outputDir)).toBe(false);
  });
});
