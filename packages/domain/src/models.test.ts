import { formatModelRef, loaderInputKind, txt2ImgModels, workflowModels } from './models';

describe('models a job names', () => {
  it('reads the literal model inputs of loader nodes, sorted by kind then name, without duplicates', () => {
    const workflow = {
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sdxl.safetensors' } },
      '10': { class_type: 'LoraLoader', inputs: { lora_name: 'b.safetensors', model: ['4', 0], clip: ['4', 1] } },
      '11': { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors', model: ['10', 0], clip: ['10', 1] } },
      '12': { class_type: 'LoraLoaderModelOnly', inputs: { lora_name: 'a.safetensors', model: ['11', 0] } },
      '13': { class_type: 'DualCLIPLoader', inputs: { clip_name1: 'clip_l.safetensors', clip_name2: 't5.safetensors', type: 'flux' } },
      '14': { class_type: 'VAELoader', inputs: { vae_name: ['99', 0] } }, // linked: not known before it runs
      '15': { class_type: 'UpscaleModelLoader', inputs: { model_name: '' } }, // empty: nothing named
      '16': { class_type: 'KSampler', inputs: { sampler_name: 'euler', ckpt_name: 'not-a-loader.safetensors' } },
      '17': { class_type: 'UNETLoader', inputs: { unet_name: 'flux1-dev.safetensors', weight_dtype: 'default' } },
      '18': { class_type: 'ControlNetLoader', inputs: { control_net_name: 'canny.pth' } },
    };
    expect(workflowModels(workflow)).toEqual([
      { kind: 'checkpoint', name: 'sdxl.safetensors' },
      { kind: 'lora', name: 'a.safetensors' },
      { kind: 'lora', name: 'b.safetensors' },
      { kind: 'controlnet', name: 'canny.pth' },
      { kind: 'clip', name: 'clip_l.safetensors' },
      { kind: 'clip', name: 't5.safetensors' },
      { kind: 'unet', name: 'flux1-dev.safetensors' },
    ]);
  });

  it('reads the checkpoint of txt2img parameters', () => {
    expect(txt2ImgModels({ prompt: 'x', model: 'v1-5 [abc]' })).toEqual([{ kind: 'checkpoint', name: 'v1-5 [abc]' }]);
    expect(txt2ImgModels({ prompt: 'x' })).toEqual([]);
  });

  it('knows which loader inputs name model files', () => {
    expect(loaderInputKind('UpscaleModelLoader', 'model_name')).toBe('upscaler');
    expect(loaderInputKind('KSampler', 'sampler_name')).toBeNull();
    expect(loaderInputKind('LoraLoader', 'strength_model')).toBeNull();
    expect(loaderInputKind('toString', 'x')).toBeNull(); // no prototype keys
    expect(formatModelRef({ kind: 'vae', name: 'ft.safetensors' })).toBe('vae: ft.safetensors');
  });
});
