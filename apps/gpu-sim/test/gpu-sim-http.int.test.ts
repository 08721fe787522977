import { existsSync } from 'node:fs';
import { inspectPng, startGpuSim } from '../src/index.js';
import { call, waitForHistory } from './sim-client.js';
import { base, useGpuSim } from './sim-fixture.js';
import { smallWorkflow, WsRecorder } from './ws-recorder.js';

const ctx = useGpuSim();
const { sockets } = ctx;

async function connect(query = ''): Promise<WsRecorder> {
  const recorder = await WsRecorder.connect(`${ctx.sim.wsUrl}${query}`);
  sockets.push(recorder);
  return recorder;
}

describe('gpu-sim HTTP API', () => {
  it.each(['', '/api'])('serves info endpoints under "%s"', async (prefix) => {
    const stats = await call(ctx.sim, 'GET', `${prefix}/system_stats`);
    expect(stats.json.system.comfyui_version).toBe('0.3.64');
    expect(stats.json.devices).toHaveLength(1);
    expect(stats.json.devices[0]).toMatchObject({ type: 'cuda', index: 0, vram_total: 24576 * 1024 * 1024 });
    expect(stats.json.devices[0].vram_free).toBeLessThanOrEqual(stats.json.devices[0].vram_total);
    expect((await call(ctx.sim, 'GET', `${prefix}/features`)).json).toEqual({ supports_preview_metadata: true, max_upload_size: 104857600 });
    const info = (await call(ctx.sim, 'GET', `${prefix}/object_info`)).json;
    expect(Object.keys(info)).toEqual(expect.arrayContaining(['KSampler', 'CheckpointLoaderSimple', 'EmptyLatentImage', 'CLIPTextEncode', 'VAEDecode', 'SaveImage', 'PreviewImage']));
    expect(info.KSampler).toMatchObject({ name: 'KSampler', output: ['LATENT'], output_node: false, python_module: 'nodes', input_order: { required: expect.arrayContaining(['seed', 'steps']) } });
    expect(info.KSampler.input.required.steps).toEqual(['INT', expect.objectContaining({ default: 20, min: 1, max: 10000 })]);
    expect(info.SaveImage).toMatchObject({ output_node: true, input: { hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } } });
    expect(Object.keys((await call(ctx.sim, 'GET', `${prefix}/object_info/KSampler`)).json)).toEqual(['KSampler']);
    expect((await call(ctx.sim, 'GET', `${prefix}/object_info/NoSuchNode`)).json).toEqual({});
    expect((await call(ctx.sim, 'GET', `${prefix}/prompt`)).json).toEqual({ exec_info: { queue_remaining: 0 } });
    expect((await call(ctx.sim, 'GET', `${prefix}/queue`)).json).toEqual({ queue_running: [], queue_pending: [] });
    expect((await call(ctx.sim, 'GET', `${prefix}/models/checkpoints`)).json).toContain('v1-5-pruned-emaonly-fp16.safetensors');
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expect((await call(ctx.sim, 'GET', '/nope')).status).toBe(404);
    expect((await call(ctx.sim, 'POST', '/system_stats', {})).status).toBe(405);
  });

  it('rejects like ComfyUI: no_prompt, invalid_prompt, malformed JSON (500); nothing reaches history', async () => {
    expect(await call(ctx.sim, 'POST', '/prompt', { client_id: 'x' })).toMatchObject({
      status: 400,
      json: { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} },
    });
    const unknown = await call(ctx.sim, 'POST', '/prompt', { prompt: { ...smallWorkflow(base), '99': { class_type: 'Nope', inputs: {} } } });
    expect(unknown).toMatchObject({ status: 400, json: { error: { type: 'invalid_prompt', message: 'Cannot execute because node Nope does not exist.' }, node_errors: {} } });
    const invalid = smallWorkflow(base);
    delete invalid['3']!.inputs.model;
    expect(await call(ctx.sim, 'POST', '/prompt', { prompt: invalid })).toMatchObject({
      status: 400,
      json: { error: { type: 'prompt_outputs_failed_validation' }, node_errors: { '3': { class_type: 'KSampler', dependent_outputs: ['9'], errors: [{ type: 'required_input_missing' }] } } },
    });
    expect((await call(ctx.sim, 'POST', '/prompt', '{not json')).status).toBe(500);
    expect((await call(ctx.sim, 'GET', '/history')).json).toEqual({});
  });

  it('opens sockets with status + sid first, and negotiates feature flags on the first message', async () => {
    const named = await connect('?clientId=alice');
    expect(named.messages[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'alice' } });
    named.send({ type: 'feature_flags', data: { supports_preview_metadata: true } });
    expect((await named.waitFor((m) => m.type === 'feature_flags')).data).toEqual({ supports_preview_metadata: true, max_upload_size: 104857600 });
    const anonymous = await WsRecorder.connect(ctx.sim.wsUrl.replace('/ws', '/api/ws'));
    sockets.push(anonymous);
    expect(anonymous.messages[0]!.data.sid).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.sim.clientIds()).toEqual(expect.arrayContaining(['alice', anonymous.messages[0]!.data.sid as string]));
  });

  it('serves outputs through /view with ComfyUI’s checks', async () => {
    const wf = smallWorkflow(base);
    wf['9']!.inputs.filename_prefix = 'renders/cat';
    expect((await call(ctx.sim, 'POST', '/prompt', { prompt: wf, prompt_id: 'v1' })).status).toBe(200);
    const entry = await waitForHistory(ctx.sim, 'v1');
    expect(entry.outputs['9'].images).toEqual([{ filename: 'cat_00001_.png', subfolder: 'renders', type: 'output' }]);
    const ok = await call(ctx.sim, 'GET', '/api/view?filename=cat_00001_.png&subfolder=renders&type=output');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('content-disposition')).toBe('filename="cat_00001_.png"');
    expect(inspectPng(ok.body)).toMatchObject({ width: 64, height: 48, valid: true });
    expect((await call(ctx.sim, 'GET', '/view?filename=cat_00001_.png [output]&subfolder=renders')).status).toBe(200);
    expect((await call(ctx.sim, 'GET', '/view')).status).toBe(404);
    expect((await call(ctx.sim, 'GET', '/view?filename=../secret.png')).status).toBe(400);
    expect((await call(ctx.sim, 'GET', '/view?filename=/etc/passwd')).status).toBe(400);
    expect((await call(ctx.sim, 'GET', '/view?filename=cat_00001_.png&type=bogus')).status).toBe(400);
    expect((await call(ctx.sim, 'GET', '/view?filename=x.png&subfolder=../../..')).status).toBe(403);
    expect((await call(ctx.sim, 'GET', '/view?filename=missing.png')).status).toBe(404);
  });

  it('keeps history: GET with max_items/offset, POST delete and clear', async () => {
    for (const id of ['h1', 'h2', 'h3']) {
      await call(ctx.sim, 'POST', '/prompt', { prompt: smallWorkflow(base, { seed: id.charCodeAt(1) }), prompt_id: id });
      await waitForHistory(ctx.sim, id);
    }
    expect(Object.keys((await call(ctx.sim, 'GET', '/history')).json)).toEqual(['h1', 'h2', 'h3']);
    expect(Object.keys((await call(ctx.sim, 'GET', '/history?max_items=2')).json)).toEqual(['h2', 'h3']);
    expect(Object.keys((await call(ctx.sim, 'GET', '/history?max_items=1&offset=1')).json)).toEqual(['h2']);
    expect((await call(ctx.sim, 'GET', '/history/unknown')).json).toEqual({});
    await call(ctx.sim, 'POST', '/history', { delete: ['h2'] });
    expect(Object.keys((await call(ctx.sim, 'GET', '/history')).json)).toEqual(['h1', 'h3']);
    await call(ctx.sim, 'POST', '/history', { clear: true });
    expect((await call(ctx.sim, 'GET', '/history')).json).toEqual({});
  });

  it('controls faults over HTTP and validates them', async () => {
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { failRate: 2 })).status).toBe(400);
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { oom: true })).json).toEqual({ oom: true });
    expect(ctx.sim.faults()).toEqual({ oom: true });
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { clear: true, hang: 3 })).json).toEqual({ hang: 3 });
    expect(() => ctx.sim.setFaults({ crashAfterSteps: -1 })).toThrow();
  });

  it('removes its directory on close and stops listening', async () => {
    const other = await startGpuSim();
    const { outputDir, url } = other;
    expect(existsSync(outputDir)).toBe(true);
    await other.close();
    await other.close(); // idempotent
    expect(existsSync(outputDir)).toBe(false);
    await expect(fetch(`${url}/prompt`)).rejects.toThrow();
  });
});
