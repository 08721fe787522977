import { encodePng } from '@gantry/gpu-sim';
import { replyError } from './errors.js';
import type { A1111Reply } from './http.js';
import { ImageStore } from './image-store.js';
import { readTxt2ImgReply, type OutputTarget } from './outputs.js';
import { txt2ImgBody } from './params.js';
import { canSaveFor, isSavedFile, savedFile, saveOverrides } from './saved-images.js';

const reply = (status: number, body: unknown): A1111Reply => ({ status, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
const png = (w: number) => encodePng({ width: w, height: 1, pixels: new Uint8Array(w * 3) });
const target: OutputTarget = { nodeId: 'txt2img', type: 'output', subfolder: 'run-1', fallbackSeed: (n) => `s${n}` };

describe('replyError', () => {
  it('maps 422 and 400 to WORKFLOW_INVALID with the FastAPI detail', () => {
    const detail = [{ loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' }];
    expect(replyError(reply(422, { detail }))).toMatchObject({ code: 'WORKFLOW_INVALID', retryable: false, details: detail, message: 'The backend rejected the txt2img parameters: steps: value is not a valid integer' });
    expect(replyError(reply(400, { error: 'HTTPException', detail: 'Sampler not found', body: '', errors: '400: Sampler not found' }))).toMatchObject({ code: 'WORKFLOW_INVALID', details: 'Sampler not found' });
  });

  it('tells an OOM from other exceptions in A1111’s 500 body', () => {
    const oom = { error: 'OutOfMemoryError', detail: '', body: '', errors: 'CUDA out of memory. Tried to allocate 2.00 GiB' };
    expect(replyError(reply(500, oom))).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true, details: { status: 500, ...oom } });
    expect(replyError(reply(500, { error: 'RuntimeError', detail: '', body: '', errors: 'HIP out of memory' }))).toMatchObject({ code: 'OUT_OF_MEMORY' });
    expect(replyError(reply(500, { error: 'NansException', detail: '', body: '', errors: 'A tensor with all NaNs was produced in Unet.' }))).toMatchObject({ code: 'EXECUTION_ERROR', retryable: false, message: 'NansException in txt2img: A tensor with all NaNs was produced in Unet.' });
  });

  it('maps other 5xx to BACKEND_UNAVAILABLE and the rest to BACKEND_ERROR', () => {
    expect(replyError(reply(502, '<html>Bad Gateway</html>'))).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true, details: { status: 502 } });
    expect(replyError(reply(401, { detail: 'Not authenticated' }))).toMatchObject({ code: 'BACKEND_ERROR', retryable: true, details: { status: 401 } });
  });
});

describe('readTxt2ImgReply', () => {
  it('names files by seed, skips a grid before index_of_first_image and accepts data: URIs', () => {
    const info = JSON.stringify({ all_seeds: [10, 11], index_of_first_image: 1 });
    const images = [png(4).toString('base64'), `data:image/png;base64,${png(2).toString('base64')}`, png(3).toString('base64')];
    const out = readTxt2ImgReply(reply(200, { images, parameters: {}, info }), target);
    expect(out.files.map((f) => f.file)).toEqual([
      { nodeId: 'txt2img', filename: 'txt2img_10_0.png', subfolder: 'run-1', type: 'output' },
      { nodeId: 'txt2img', filename: 'txt2img_11_1.png', subfolder: 'run-1', type: 'output' },
    ]);
    expect(out.files[0]!.content).toEqual({ data: png(2), contentType: 'image/png' });
  });

  it('recognises JPEG, falls back on the given seeds without info, and refuses what is not an image', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    expect(readTxt2ImgReply(reply(200, { images: [jpeg.toString('base64')], parameters: {}, info: 'not json' }), target).files[0]!.file.filename).toBe('txt2img_s0_0.jpg');
    expect(() => readTxt2ImgReply(reply(200, { images: ['aGVsbG8='], info: '{}' }), target)).toThrow(expect.objectContaining({ code: 'BACKEND_ERROR' }));
    expect(() => readTxt2ImgReply(reply(200, '[]'), target)).toThrow(expect.objectContaining({ code: 'BACKEND_ERROR' }));
  });
});

describe('ImageStore', () => {
  const file = (name: string) => ({ nodeId: 'txt2img', filename: name, subfolder: 'r', type: 'output' });
  const held = (n: number) => ({ data: Buffer.alloc(n), contentType: 'image/png' });

  it('drops the oldest images over the byte budget and expired ones, never the newest', () => {
    const store = new ImageStore(10, 1000);
    store.put(file('a'), held(4), 0);
    store.put(file('b'), held(4), 1);
    store.put(file('c'), held(4), 2);
    expect(store.get(file('a'), 3)).toBeUndefined();
    expect(store.get(file('b'), 3)).toEqual(held(4));
    expect(store.get(file('b'), 1001)).toBeUndefined();
    expect(store.get(file('c'), 5000)).toEqual(held(4));
    store.put(file('huge'), held(50), 5000);
    expect(store.size).toBe(1);
  });
});

describe('txt2ImgBody', () => {
  it('sends one iteration with our task id, and the model as an override', () => {
    expect(txt2ImgBody({ prompt: 'p', steps: 5, model: 'sd_xl_base_1.0' }, 't-1', false)).toEqual({
      prompt: 'p', steps: 5, n_iter: 1, send_images: true, save_images: false, force_task_id: 't-1',
      override_settings: { sd_model_checkpoint: 'sd_xl_base_1.0' }, override_settings_restore_afterwards: true,
    });
    expect(txt2ImgBody({ prompt: 'p' }, 't-1', false)).toEqual({ prompt: 'p', n_iter: 1, send_images: true, save_images: false, force_task_id: 't-1' });
  });

  it('with save, asks A1111 to save the images into a folder named after the task, numbered from 00000', () => {
    const body = txt2ImgBody({ prompt: 'p', model: 'm' }, 't-1', true);
    expect(body).toMatchObject({ save_images: true, force_task_id: 't-1', override_settings_restore_afterwards: true });
    expect(body.override_settings).toEqual({
      ...saveOverrides('t-1'),
      sd_model_checkpoint: 'm',
    });
    expect(body.override_settings).toMatchObject({ save_to_dirs: true, directories_filename_pattern: 'gantry-t-1', samples_filename_pattern: '[none]', save_incomplete_images: false, samples_format: 'png' });
    expect(isSavedFile(savedFile('t-1', 3))).toBe(true);
    expect(savedFile('t-1', 3)).toEqual({ nodeId: 'txt2img', filename: '00003.png', subfolder: 't-1', type: 'output' });
    expect(isSavedFile({ nodeId: 'txt2img', filename: 'txt2img_10_0.png', subfolder: 't-1', type: 'output' })).toBe(false);
    expect(canSaveFor('3f0e2b1c-0000-4000-8000-000000000000')).toBe(true);
    expect(canSaveFor('../x')).toBe(false);
    expect(canSaveFor('task(ABC)')).toBe(false);
  });
});
