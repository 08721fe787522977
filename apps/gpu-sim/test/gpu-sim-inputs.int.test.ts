import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { crc32 } from '../src/image/crc32.js';
import { summarisePng } from '../src/image/png-decode.js';
import { encodePng } from '../src/index.js';
import { call, waitForHistory } from './sim-client.js';
import { useGpuSim } from './sim-fixture.js';

const ctx = useGpuSim();

const img2img = () => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/img2img-workflow.json'), 'utf8'));

function solid(width: number, height: number, rgb: [number, number, number]): Buffer {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = rgb[i % 3]!;
  return encodePng({ width, height, pixels });
}

async function uploadImage(bytes: Buffer, filename: string, fields: Record<string, string> = {}, route = '/upload/image') {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('image', new Blob([bytes], { type: 'image/png' }), filename);
  const res = await fetch(`${ctx.sim.url}${route}`, { method: 'POST', body: form });
  return { status: res.status, body: (res.status === 200 ? await res.json() : await res.text()) as any };
}

async function run(workflow: unknown, promptId: string): Promise<Buffer> {
  expect((await call(ctx.sim, 'POST', '/prompt', { prompt: workflow, prompt_id: promptId })).status).toBe(200);
  const entry = await waitForHistory(ctx.sim, promptId);
  expect(entry.status.status_str).toBe('success');
  const file = entry.outputs['9'].images[0];
  return (await call(ctx.sim, 'GET', `/view?filename=${file.filename}&subfolder=${file.subfolder}&type=output`)).body;
}

describe('gpu-sim input images', () => {
  it('stores an upload in the input folder (subfolder kept), reuses equal bytes, renames different ones', async () => {
    const red = solid(8, 8, [255, 0, 0]);
    expect(await uploadImage(red, 'abc.png', { type: 'input', subfolder: 'gantry' })).toEqual({ status: 200, body: { name: 'abc.png', subfolder: 'gantry', type: 'input' } });
    expect((await uploadImage(red, 'abc.png', { subfolder: 'gantry' })).body).toEqual({ name: 'abc.png', subfolder: 'gantry', type: 'input' });
    expect((await uploadImage(solid(8, 8, [0, 0, 255]), 'abc.png', { subfolder: 'gantry' })).body.name).toBe('abc (1).png');
    expect(ctx.sim.uploads().map((u) => u.duplicate)).toEqual([false, true, false]);
    const back = await call(ctx.sim, 'GET', '/view?filename=abc.png&subfolder=gantry&type=input');
    expect(Buffer.compare(back.body, red)).toBe(0);
    expect((await uploadImage(red, 'x.png', { subfolder: '../../etc' })).status).toBe(400);
  });

  it('upload/mask needs an existing original_ref', async () => {
    await uploadImage(solid(4, 4, [1, 2, 3]), 'orig.png');
    expect((await uploadImage(solid(4, 4, [0, 0, 0]), 'mask.png', { original_ref: JSON.stringify({ filename: 'nope.png', type: 'input' }) }, '/upload/mask')).status).toBe(404);
    expect((await uploadImage(solid(4, 4, [0, 0, 0]), 'mask.png', { original_ref: JSON.stringify({ filename: 'orig.png', type: 'input' }) }, '/upload/mask')).status).toBe(200);
  });

  it('LoadImage feeds the sampler: the output has the input\'s size and leans to its colour', async () => {
    await uploadImage(solid(40, 24, [250, 10, 10]), 'red.png', { subfolder: 'gantry' });
    await uploadImage(solid(40, 24, [10, 10, 250]), 'blue.png', { subfolder: 'gantry' });
    const wf = img2img();
    wf['10'].inputs.image = 'gantry/red.png';
    const red = summarisePng(await run(wf, 'p-red'));
    wf['10'].inputs.image = 'gantry/blue.png';
    const blue = summarisePng(await run(wf, 'p-blue'));
    expect([red.width, red.height]).toEqual([40, 24]);
    expect(red.mean[0]).toBeGreaterThan(red.mean[2] + 40);
    expect(blue.mean[2]).toBeGreaterThan(blue.mean[0] + 40);
  });

  it('a missing input file fails the node with an execution error', async () => {
    const wf = img2img();
    wf['10'].inputs.image = 'gantry/missing.png';
    expect((await call(ctx.sim, 'POST', '/prompt', { prompt: wf, prompt_id: 'p-missing' })).status).toBe(200);
    const entry = await waitForHistory(ctx.sim, 'p-missing');
    expect(entry.status.status_str).toBe('error');
  });

  it('decodes filtered PNGs (as other encoders write them), grey and RGBA', () => {
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
      return Buffer.concat([len, Buffer.from(type), data, crc]);
    };
    // 2x2 RGBA, rows with filters Sub (1) and Up (2): every pixel (100, 150, 200, 255).
    const raw = Buffer.from([1, 100, 150, 200, 255, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(2, 0);
    ihdr.writeUInt32BE(2, 4);
    ihdr.set([8, 6, 0, 0, 0], 8);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
    expect(summarisePng(png)).toEqual({ width: 2, height: 2, mean: [100, 150, 200] });
  });
});
