import { inspectPng } from '../src/image/png-inspect.js';
import { optionsFromEnv } from '../src/env.js';
import { loadDefaultWorkflow, startGpuSim, type GpuSimHandle } from '../src/index.js';
import { call, waitForHistory } from './sim-client.js';

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The default workflow with a LoRA between the checkpoint and the sampler, a VAE and a 4× upscale before saving. */
function loaderWorkflow(names: { ckpt?: string; lora?: string; vae?: string; upscaler?: string } = {}): Graph {
  const wf = structuredClone(loadDefaultWorkflow()) as unknown as Graph;
  wf['4']!.inputs.ckpt_name = names.ckpt ?? 'base.safetensors';
  wf['5']!.inputs = { width: 64, height: 32, batch_size: 1 };
  wf['3']!.inputs.steps = 2;
  wf['10'] = { class_type: 'LoraLoader', inputs: { model: ['4', 0], clip: ['4', 1], lora_name: names.lora ?? 'detail.safetensors', strength_model: 1, strength_clip: 1 } };
  wf['3']!.inputs.model = ['10', 0];
  wf['6']!.inputs.clip = ['10', 1];
  wf['7']!.inputs.clip = ['10', 1];
  wf['11'] = { class_type: 'VAELoader', inputs: { vae_name: names.vae ?? 'ft-mse.safetensors' } };
  wf['8']!.inputs.vae = ['11', 0];
  wf['12'] = { class_type: 'UpscaleModelLoader', inputs: { model_name: names.upscaler ?? '4x.pth' } };
  wf['13'] = { class_type: 'ImageUpscaleWithModel', inputs: { upscale_model: ['12', 0], image: ['8', 0] } };
  wf['9']!.inputs.images = ['13', 0];
  return wf;
}

describe('gpu-sim model files', () => {
  let sim: GpuSimHandle;
  beforeAll(async () => {
    sim = await startGpuSim({
      stepMs: 1,
      modelFiles: { checkpoint: ['base.safetensors'], lora: ['detail.safetensors'], vae: ['ft-mse.safetensors'], upscaler: ['4x.pth'], controlnet: [] },
    });
  });
  afterAll(() => sim.close());

  it('offers its configured files in the loader nodes of /object_info and in /models', async () => {
    const info = (await call(sim, 'GET', '/object_info')).json;
    expect(info.CheckpointLoaderSimple.input.required.ckpt_name[0]).toEqual(['base.safetensors']);
    expect(info.LoraLoader.input.required.lora_name[0]).toEqual(['detail.safetensors']);
    expect(info.VAELoader.input.required.vae_name[0]).toEqual(['ft-mse.safetensors']);
    expect(info.UpscaleModelLoader.input.required.model_name[0]).toEqual(['4x.pth']);
    expect(info.ControlNetLoader.input.required.control_net_name[0]).toEqual([]);
    expect(info.UNETLoader.input.required.unet_name[0]).toEqual(['flux1-dev.safetensors']); // a kind left out keeps its default
    expect((await call(sim, 'GET', '/models/loras')).json).toEqual(['detail.safetensors']);
    expect((await call(sim, 'GET', '/models/embeddings')).status).toBe(404);
  });

  it('runs a workflow through its loaders; the output depends on them', async () => {
    const run = async (id: string, graph: Graph) => {
      expect((await call(sim, 'POST', '/prompt', { prompt: graph, prompt_id: id })).status).toBe(200);
      const entry = await waitForHistory(sim, id);
      const image = entry.outputs['9'].images[0];
      const png = (await call(sim, 'GET', `/view?filename=${image.filename}&subfolder=${image.subfolder}&type=output`)).body;
      return png;
    };
    const first = await run('with-lora', loaderWorkflow());
    expect(inspectPng(first)).toMatchObject({ width: 256, height: 128 }); // 4× upscaled
    const weaker = loaderWorkflow();
    weaker['10']!.inputs.strength_model = 0.5;
    expect((await run('weaker-lora', weaker)).equals(first)).toBe(false);
  });

  it('fails a prompt naming a file it lacks the way ComfyUI does: value_not_in_list, nothing queued', async () => {
    const reply = await call(sim, 'POST', '/prompt', { prompt: loaderWorkflow({ lora: 'missing.safetensors', ckpt: 'other.safetensors' }), prompt_id: 'nope' });
    expect(reply.status).toBe(400);
    expect(reply.json.error.type).toBe('prompt_outputs_failed_validation');
    expect(reply.json.node_errors['10']).toMatchObject({
      class_type: 'LoraLoader',
      errors: [{ type: 'value_not_in_list', message: 'Value not in list', extra_info: { input_name: 'lora_name', received_value: 'missing.safetensors' } }],
    });
    expect(reply.json.node_errors['4'].errors[0]).toMatchObject({ type: 'value_not_in_list', extra_info: { input_name: 'ckpt_name', received_value: 'other.safetensors' } });
    expect((await call(sim, 'GET', '/history/nope')).json).toEqual({});
  });

  it('lists its files in the A1111 model endpoints', async () => {
    expect((await call(sim, 'GET', '/sdapi/v1/sd-models')).json.map((m: any) => m.title)).toEqual([expect.stringMatching(/^base\.safetensors \[[0-9a-f]{10}\]$/)]);
    expect((await call(sim, 'GET', '/sdapi/v1/loras')).json).toEqual([{ name: 'detail', alias: 'detail', path: expect.stringMatching(/\/Lora\/detail\.safetensors$/), metadata: {} }]);
    expect((await call(sim, 'GET', '/sdapi/v1/sd-vae')).json).toEqual([{ model_name: 'ft-mse.safetensors', filename: expect.stringMatching(/ft-mse\.safetensors$/) }]);
    expect((await call(sim, 'GET', '/sdapi/v1/upscalers')).json.map((u: any) => u.name)).toEqual(['None', 'Lanczos', 'Nearest', '4x']);
  });

  it('reads GPU_SIM_MODELS as JSON, refusing what is not a kind → names object', () => {
    expect(optionsFromEnv({ GPU_SIM_MODELS: '{"checkpoint":["a.safetensors"],"lora":[]}' }).modelFiles).toEqual({ checkpoint: ['a.safetensors'], lora: [] });
    expect(() => optionsFromEnv({ GPU_SIM_MODELS: '{"embedding":["x"]}' })).toThrow(/GPU_SIM_MODELS/);
    expect(() => optionsFromEnv({ GPU_SIM_MODELS: 'checkpoint=a' })).toThrow(/GPU_SIM_MODELS must be JSON/);
  });
});
