import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient, startStack, type TestStack } from '@gantry/testing';
import type { HostResolver } from '@gantry/webhooks';
import { defaultWorkflow } from './fixtures';
import { jpeg, png } from './images';

const MAX_BYTES = 200_000;

/** A workflow with image loaders named as a user would name them in the ComfyUI editor. */
function workflowWithLoaders() {
  return {
    ...defaultWorkflow({ steps: 1 }),
    '20': { class_type: 'LoadImage', inputs: { image: 'photo', upload: 'image' } },
    '21': { class_type: 'LoadImageMask', inputs: { image: 'example.png', channel: 'alpha' }, _meta: { title: 'mask' } },
  };
}

/** Job inputs at submit: sources (upload, URL, inline), binding, refusals, deletion while used, retry. */
describe('job inputs', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let server: https.Server;
  let dir: string;
  let port: number;
  const served: Record<string, (res: ServerResponse) => void> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gantry-inputs-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=images.example.test', '-addext', 'subjectAltName=DNS:images.example.test',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
      const handler = served[req.url ?? ''];
      if (handler) handler(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    stack = await startStack({
      worker: false,
      gpus: 0,
      apiEnv: { GANTRY_UPLOAD_MAX_BYTES: String(MAX_BYTES), GANTRY_WEBHOOK_ALLOWED_HOSTS: 'images.example.test', GANTRY_INPUT_FETCH_TIMEOUT_MS: '2000' },
    });
    const dns: HostResolver = async (host) => {
      if (host === 'images.example.test') return [{ address: '127.0.0.1', family: 4 }];
      if (host === 'internal.example.test') return [{ address: '10.1.2.3', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    stack.apiResources.deps.webhooks.policy.resolver = dns;
    stack.apiResources.deps.config.uploads.fetchCa = cert;
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(async () => {
    await stack.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = async (bytes: Buffer, key = stack.adminKey) =>
    (await (await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: bytes })).json()) as any;
  const storedWorkflow = async (id: string) => (await stack.apiResources.deps.db.job.findUniqueOrThrow({ where: { id } })).workflow as any;
  const jobCount = () => stack.apiResources.deps.db.job.count();

  it('binds an upload by the LoadImage value and by the node title, and stores content-hash names', async () => {
    const photo = await upload(png(20, 10));
    const mask = await upload(png(20, 10, [255, 255, 255]));
    const res = await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { photo: { upload: photo.id }, mask: { upload: mask.id } } });
    expect(res.status).toBe(202);
    expect(res.body.inputs).toEqual([
      expect.objectContaining({ name: 'mask', source: 'upload', uploadId: mask.id, sha256: mask.sha256, filename: `gantry/${mask.sha256}.png`, targets: [{ node: '21', field: 'image' }] }),
      expect.objectContaining({ name: 'photo', source: 'upload', uploadId: photo.id, width: 20, height: 10, targets: [{ node: '20', field: 'image' }], url: photo.url }),
    ]);
    const wf = await storedWorkflow(res.body.id);
    expect(wf['20'].inputs.image).toBe(`gantry/${photo.sha256}.png`);
    expect(wf['21'].inputs.image).toBe(`gantry/${mask.sha256}.png`);
    expect((await admin('GET', `/api/v1/jobs/${res.body.id}`)).body.inputs).toHaveLength(2);
    expect((await admin('GET', '/api/v1/jobs?limit=1')).body.items[0].inputs).toHaveLength(2);
  });

  it('binds to an explicit node and field', async () => {
    const photo = await upload(jpeg(64, 32));
    const res = await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { anything: { upload: photo.id, node: '20', field: 'image' } } });
    expect(res.status).toBe(202);
    expect((await storedWorkflow(res.body.id))['20'].inputs.image).toBe(`gantry/${photo.sha256}.jpg`);
  });

  it('takes inline base64 (also as a data: URL) and stores it as an upload', async () => {
    const bytes = png(6, 6, [0, 200, 0]);
    const res = await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { photo: { base64: `data:image/png;base64,${bytes.toString('base64')}` } } });
    expect(res.status).toBe(202);
    const [input] = res.body.inputs;
    expect(input).toMatchObject({ source: 'base64', width: 6, height: 6 });
    const content = await admin('GET', input.url);
    expect(Buffer.compare(content.body, bytes)).toBe(0);
  });

  it('fetches an https input under the SSRF rules, pinned to the vetted address', async () => {
    const bytes = png(12, 8, [10, 20, 30]);
    served['/photo.png'] = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(bytes);
    const res = await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { photo: { url: `https://images.example.test:${port}/photo.png` } } });
    expect(res.status).toBe(202);
    expect(res.body.inputs[0]).toMatchObject({ source: 'url', contentType: 'image/png', width: 12, height: 8 });
  });

  describe('refusals create no job', () => {
    let before: number;
    beforeEach(async () => {
      before = await jobCount();
    });
    afterEach(async () => {
      expect(await jobCount()).toBe(before);
    });

    const submit = (inputs: unknown) => admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs });

    it('an unknown or another tenant\'s upload id: 422 UPLOAD_NOT_FOUND', async () => {
      const otherKey = (await admin('POST', '/api/v1/api-keys', { tenant: 'someone-else', scopes: ['submit', 'read'] })).body.key;
      const foreign = await upload(png(3, 3, [3, 3, 3]), otherKey);
      for (const id of ['019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01', foreign.id]) {
        const res = await submit({ photo: { upload: id } });
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
        expect(res.body.errors[0].path).toBe('inputs.photo.upload');
      }
    });

    it('an input no node names: 422 INPUT_UNBOUND, before any URL is fetched', async () => {
      let fetched = 0;
      served['/count.png'] = (res) => {
        fetched += 1;
        res.writeHead(200).end(png(2, 2));
      };
      const res = await submit({ nowhere: { url: `https://images.example.test:${port}/count.png` } });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('INPUT_UNBOUND');
      expect(fetched).toBe(0);
    });

    it.each([
      ['https://127.0.0.1/x.png'],
      ['https://169.254.169.254/latest/meta-data/'],
      ['https://[::1]/x.png'],
      ['https://internal.example.test/x.png'],
    ])('an SSRF target %s: 422 INPUT_URL_FORBIDDEN', async (url) => {
      const res = await submit({ photo: { url } });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('INPUT_URL_FORBIDDEN');
      expect(JSON.stringify(res.body)).not.toContain('10.1.2.3');
    });

    it('a plain http URL: 422 VALIDATION_FAILED', async () => {
      const res = await submit({ photo: { url: `http://images.example.test:${port}/photo.png` } });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('a redirect (not followed), a 404, a stalled body: 422 INPUT_FETCH_FAILED', async () => {
      served['/redirect'] = (res) => res.writeHead(302, { location: 'https://127.0.0.1/' }).end();
      served['/stall'] = (res) => {
        res.writeHead(200, { 'content-length': '5000' });
        res.write(png(2, 2).subarray(0, 20)); // then nothing: the time bound ends it
      };
      for (const p of ['/redirect', '/missing', '/stall']) {
        const res = await submit({ photo: { url: `https://images.example.test:${port}${p}` } });
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('INPUT_FETCH_FAILED');
      }
    });

    it('oversize inline data or URL body: 413 INPUT_TOO_LARGE; corrupt inline data: 422 IMAGE_CORRUPT', async () => {
      const big = Buffer.concat([png(8, 8), Buffer.alloc(MAX_BYTES)]);
      const inline = await submit({ photo: { base64: big.toString('base64') } });
      expect(inline.status).toBe(413);
      expect(inline.body.code).toBe('INPUT_TOO_LARGE');
      served['/big.png'] = (res) => res.writeHead(200).end(big);
      const fetched = await submit({ photo: { url: `https://images.example.test:${port}/big.png` } });
      expect(fetched.status).toBe(413);
      expect(fetched.body.code).toBe('INPUT_TOO_LARGE');
      const corrupt = await submit({ photo: { base64: png(8, 8).subarray(0, 40).toString('base64') } });
      expect(corrupt.status).toBe(422);
      expect(corrupt.body.code).toBe('IMAGE_CORRUPT');
    });

    it('two sources, or none, for one input: 422 VALIDATION_FAILED', async () => {
      expect((await submit({ photo: {} })).body.code).toBe('VALIDATION_FAILED');
      expect((await submit({ photo: { upload: '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01', base64: 'AAAA' } })).body.code).toBe('VALIDATION_FAILED');
    });
  });

  it('never deletes an upload a queued job uses; once the job ended it can go', async () => {
    const photo = await upload(png(9, 9, [1, 1, 1]));
    const job = (await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { photo: { upload: photo.id } } })).body;
    const refused = await admin('DELETE', `/api/v1/uploads/${photo.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'UPLOAD_IN_USE', errors: { jobs: [job.id] } });
    expect((await admin('POST', `/api/v1/jobs/${job.id}/cancel`)).body.status).toBe('canceled');
    expect((await admin('DELETE', `/api/v1/uploads/${photo.id}`)).status).toBe(204);
    const view = (await admin('GET', `/api/v1/jobs/${job.id}`)).body;
    expect(view.inputs[0]).toMatchObject({ name: 'photo', uploadId: null, url: null, sha256: photo.sha256 });
    const retry = await admin('POST', `/api/v1/jobs/${job.id}/retry`);
    expect(retry.status).toBe(422);
    expect(retry.body.code).toBe('UPLOAD_NOT_FOUND');
  });

  it('a retry binds the same inputs again', async () => {
    const photo = await upload(png(9, 9, [2, 2, 2]));
    const job = (await admin('POST', '/api/v1/jobs', { workflow: workflowWithLoaders(), inputs: { photo: { upload: photo.id } } })).body;
    await admin('POST', `/api/v1/jobs/${job.id}/cancel`);
    const retry = await admin('POST', `/api/v1/jobs/${job.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.inputs).toEqual([expect.objectContaining({ name: 'photo', uploadId: photo.id, targets: [{ node: '20', field: 'image' }] })]);
    expect((await storedWorkflow(retry.body.id))['20'].inputs.image).toBe(`gantry/${photo.sha256}.png`);
  });

  it('the reuse key covers the input images: other bytes under one input name never share it', async () => {
    const red = await upload(png(8, 8, [200, 10, 10]));
    const blue = await upload(png(8, 8, [10, 10, 200]));
    const submit = async (body: object) => (await admin('POST', '/api/v1/jobs', body)).body.id as string;
    const reuseKeyOf = async (id: string) => (await stack.apiResources.deps.db.job.findUniqueOrThrow({ where: { id } })).reuseKey;
    const workflow = { ...defaultWorkflow({ steps: 1, seed: 7 }), '20': { class_type: 'LoadImage', inputs: { image: 'photo', upload: 'image' } } };
    const wfRed = await reuseKeyOf(await submit({ workflow, inputs: { photo: { upload: red.id } } }));
    expect(wfRed).toMatch(/^[0-9a-f]{64}$/);
    expect(await reuseKeyOf(await submit({ workflow, inputs: { photo: { upload: red.id } } }))).toBe(wfRed);
    expect(await reuseKeyOf(await submit({ workflow, inputs: { photo: { upload: blue.id } } }))).not.toBe(wfRed);
    // img2img stores its parameters only: the images' hashes still make the key.
    const img2img = { prompt: 'a fox', steps: 2, seed: 7 };
    const i2iRed = await reuseKeyOf(await submit({ img2img, inputs: { image: { upload: red.id } } }));
    expect(i2iRed).toMatch(/^[0-9a-f]{64}$/);
    expect(await reuseKeyOf(await submit({ img2img, inputs: { image: { upload: red.id } } }))).toBe(i2iRed);
    expect(await reuseKeyOf(await submit({ img2img, inputs: { image: { upload: blue.id } } }))).not.toBe(i2iRed);
  });
});
