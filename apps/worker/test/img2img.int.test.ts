import { apiClient, startStack, type TestStack, jobEnd } from '@gantry/testing';
import { png } from '../../api/test/images';

/** A1111 img2img jobs: the inputs go to `/sdapi/v1/img2img` as `init_images` and `mask`. */
describe('img2img jobs', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
    await stack.startWorker({ GANTRY_BACKENDS: JSON.stringify([{ id: 'forge0', kind: 'a1111', url: stack.sims[0]!.url }]) });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  it('sends the image and the mask to A1111 and renders at the image\'s size', async () => {
    const image = png(96, 72, [200, 100, 50]);
    const mask = png(96, 72, [255, 255, 255]);
    const up = (await (await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` }, body: image })).json()) as any;
    const submit = await admin('POST', '/api/v1/jobs', {
      img2img: { prompt: 'the same at night', steps: 3, seed: 5, denoising_strength: 0.5 },
      inputs: { image: { upload: up.id }, mask: { base64: mask.toString('base64') } },
    });
    expect(submit.status).toBe(202);
    expect(submit.body.kind).toBe('img2img');
    expect(submit.body.inputs.map((i: any) => [i.name, i.targets])).toEqual([
      ['image', [{ node: 'img2img', field: 'init_images' }]],
      ['mask', [{ node: 'img2img', field: 'mask' }]],
    ]);
    const job = await jobEnd(admin, submit.body.id);
    expect(job).toMatchObject({ status: 'succeeded', backend: 'forge0' });
    const out = (await admin('GET', job.artifacts[0].url)).body as Buffer;
    expect([out.readUInt32BE(16), out.readUInt32BE(20)]).toEqual([96, 72]);
    const received = stack.sims[0]!.uploads().filter((u) => u.subfolder === 'img2img');
    expect(received.map((u) => [u.name, u.bytes])).toEqual([['init_images[0]', image.length], ['mask', mask.length]]);
  });

  it('refuses img2img without the input `image`, and with other input names', async () => {
    const res = await admin('POST', '/api/v1/jobs', { img2img: { prompt: 'x' }, inputs: { photo: { base64: png(8, 8).toString('base64') } } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.body.errors)).toMatch(/img2img needs the input `image`/);
  });
});
